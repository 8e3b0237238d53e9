"""A study config turned into the stages that run it.

A study is the matrix {pre-training method} x {regressor} x {fine-tuning
fraction} x {seed}. Each cell runs four stages, each one a normal run of an
installed entry point (``python -m hpse_bench.apis.train|test|
export_backbone``), so a cell is reproduced by hand with the commands the
runner records:

    pretrain  -> work_root/pretrain/<method>/seed<k>/
    export    -> work_root/pretrain/<method>/seed<k>/export/backbone.pth
    finetune  -> work_root/finetune/<regressor>/<method>/<frac>/seed<k>/
    test      -> work_root/test/<regressor>/<method>/<frac>/seed<k>/

Pre-training and export are shared by every cell of a method and seed.
Two optional read-outs: ``baselines = True`` adds one ``baseline`` stage per
regressor (``work_root/baseline/<regressor>/``) and ``probes =
dict(enable=True)`` one frozen-backbone ``probe`` stage per method and seed
(``work_root/probe/<method>/seed<k>/``), random initialisation included.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mmengine.config import Config

from .study_config import StudyConfigError, check_study, probe_settings


@dataclass
class Stage:
    """One unit of work; done when ``<work_dir>/DONE.json`` exists and
    records the stage's current fingerprint (see :mod:`.fingerprint`)."""

    # 'pretrain' | 'export' | 'finetune' | 'test' | 'baseline' | 'probe'
    kind: str
    name: str  # unique, human readable
    work_dir: str
    config: Optional[str] = None  # config file for train/test stages
    cfg_options: Dict = field(default_factory=dict)
    depends: List[str] = field(default_factory=list)
    method: Optional[str] = None
    regressor: Optional[str] = None
    fraction: Optional[float] = None
    seed: int = 0
    gpus: int = 1
    extra: Dict = field(default_factory=dict)

    @property
    def done_file(self) -> str:
        return osp.join(self.work_dir, 'DONE.json')

    @property
    def trains(self) -> bool:
        """Whether the stage is an MMEngine training run (resumable)."""
        return self.kind in ('pretrain', 'finetune')


def fraction_tag(fraction: float) -> str:
    return f'{round(fraction * 100):d}p'


def _backbone_file(work_root: str, method: str, seed: int) -> str:
    return osp.join(work_root, 'pretrain', method, f'seed{seed}', 'export',
                    'backbone.pth')


def _has_backbone(spec: Dict) -> bool:
    return bool(spec.get('config') or spec.get('checkpoint'))


def _pretrain_stages(study: Config, common: Dict) -> List[Stage]:
    """Pre-training and export of every method and seed (a published
    checkpoint, ``checkpoint=...``, is exported only)."""
    stages = []
    gpus = int(study.get('gpus', 1))
    for method, spec in study.pretrain.items():
        for seed in study.get('seeds', [0]):
            pdir = osp.join(study.work_root, 'pretrain', method, f'seed{seed}')
            export = Stage(
                kind='export',
                name=f'export/{method}/seed{seed}',
                work_dir=osp.join(pdir, 'export'),
                method=method,
                seed=seed,
                extra=dict(source=spec.get('export_source', 'auto')))
            if spec.get('config'):
                stages.append(
                    Stage(
                        kind='pretrain',
                        name=f'pretrain/{method}/seed{seed}',
                        work_dir=pdir,
                        config=spec['config'],
                        cfg_options=dict(
                            common, **spec.get('cfg_options', {}),
                            **{'randomness.seed': seed}),
                        method=method,
                        seed=seed,
                        gpus=gpus))
                export.depends = [f'pretrain/{method}/seed{seed}']
                export.extra['pretrain_dir'] = pdir
            elif spec.get('checkpoint'):
                export.extra['checkpoint'] = spec['checkpoint']
            else:
                continue  # random initialisation: nothing to pre-train
            stages.append(export)
    return stages


def _paired_methods(study: Config, regressor: str) -> List[str]:
    """The methods a regressor is fine-tuned from (``pretrain=[...]`` in its
    spec, e.g. only backbones of its depth; all by default)."""
    paired = study.finetune[regressor].get('pretrain')
    return [m for m in study.pretrain if paired is None or m in paired]


def _cell_stages(study: Config, common: Dict, regressor: str, method: str,
                 fraction: float, seed: int) -> List[Stage]:
    """The fine-tune and test stages of one cell."""
    rspec = study.finetune[regressor]
    work_root, tag = study.work_root, fraction_tag(fraction)
    has_backbone = _has_backbone(study.pretrain[method])
    cell = f'{regressor}/{method}/{tag}/seed{seed}'
    ft_dir = osp.join(work_root, 'finetune', regressor, method, tag,
                      f'seed{seed}')
    options = dict(common, **rspec.get('cfg_options', {}))
    if not has_backbone:
        # Random init trains longer: the study matches the total length of
        # pre-training + fine-tuning.
        options.update(rspec.get('scratch_cfg_options', {}))
    options[rspec.get('fraction_key',
                      'train_dataloader.dataset.fraction')] = fraction
    options['randomness.seed'] = seed
    init = dict(
        backbone=_backbone_file(work_root, method, seed)
        if has_backbone else None,
        backbone_key=rspec.get('backbone_key', 'model.backbone'))
    cell_fields = dict(
        method=method,
        regressor=regressor,
        fraction=fraction,
        seed=seed,
        gpus=int(study.get('gpus', 1)))
    finetune = Stage(
        kind='finetune',
        name=f'finetune/{cell}',
        work_dir=ft_dir,
        config=rspec['config'],
        cfg_options=options,
        depends=[f'export/{method}/seed{seed}'] if has_backbone else [],
        extra=dict(init),
        **cell_fields)
    test = Stage(
        kind='test',
        name=f'test/{cell}',
        work_dir=osp.join(work_root, 'test', cell.replace('/', osp.sep)),
        config=rspec['config'],
        cfg_options=dict(common, **rspec.get('test_cfg_options', {})),
        depends=[finetune.name],
        extra=dict(init, finetune_dir=ft_dir),
        **cell_fields)
    return [finetune, test]


def _finetune_stages(study: Config, common: Dict) -> List[Stage]:
    stages = []
    for regressor in study.finetune:
        for method in _paired_methods(study, regressor):
            for fraction in study.fractions:
                for seed in study.get('seeds', [0]):
                    stages += _cell_stages(study, common, regressor, method,
                                           fraction, seed)
    return stages


def _baseline_stages(study: Config, common: Dict) -> List[Stage]:
    """One constant-prediction baseline per regressor (its test sets and
    training set; no method, fraction or seed involved)."""
    if not study.get('baselines', False):
        return []
    stages = []
    for regressor, rspec in study.finetune.items():
        stages.append(
            Stage(
                kind='baseline',
                name=f'baseline/{regressor}',
                work_dir=osp.join(study.work_root, 'baseline', regressor),
                config=rspec['config'],
                cfg_options={
                    **common,
                    **rspec.get('cfg_options', {}),
                    **rspec.get('test_cfg_options', {})
                },
                regressor=regressor))
    return stages


def _probe_stages(study: Config, common: Dict) -> List[Stage]:
    """One frozen-backbone probe per method and seed, random init included,
    on the data of the regressor named by ``probes.regressor`` (default:
    the first regressor paired with the method)."""
    probes = probe_settings(study)
    if not probes['enable']:
        return []
    stages = []
    for method, spec in study.pretrain.items():
        regressors = [
            r for r in study.finetune if method in _paired_methods(study, r)
        ]
        regressor = probes['regressor'] or (regressors[0]
                                            if regressors else None)
        if regressor is None:
            continue  # no regressor uses this method: no data to probe on
        has_backbone = _has_backbone(spec)
        for seed in study.get('seeds', [0]):
            stages.append(
                Stage(
                    kind='probe',
                    name=f'probe/{method}/seed{seed}',
                    work_dir=osp.join(study.work_root, 'probe', method,
                                      f'seed{seed}'),
                    config=study.finetune[regressor]['config'],
                    cfg_options=dict(common, **probes['cfg_options']),
                    depends=[f'export/{method}/seed{seed}']
                    if has_backbone else [],
                    method=method,
                    regressor=regressor,
                    seed=seed,
                    extra=dict(
                        backbone=_backbone_file(study.work_root, method, seed)
                        if has_backbone else None)))
    return stages


def _check_inside(stages: List[Stage], work_root: str) -> None:
    """Every stage folder lies inside the work root (names are checked to be
    simple identifiers; this guards the paths themselves)."""
    root = osp.realpath(work_root)
    for s in stages:
        path = osp.realpath(s.work_dir)
        if osp.commonpath([root, path]) != root:
            raise StudyConfigError(f'stage {s.name} would write to {path}, '
                                   f'outside the work root {root}')


def build_stages(study: Config) -> List[Stage]:
    """Expand a study config into stages in an order that respects deps.

    Raises:
        StudyConfigError: a malformed study key (the message names it),
            e.g. a regressor paired with an unknown method.
    """
    check_study(study)
    # Options every train/test stage gets (e.g. the size of the synthetic
    # data); a stage's own options win.
    common = dict(study.get('stage_cfg_options', {}) or {})
    # The fine-tuning chain first: with parallel workers, the read-outs
    # (baselines, probes) fill the gaps while its stages wait on parents.
    stages = (
        _pretrain_stages(study, common) + _finetune_stages(study, common) +
        _baseline_stages(study, common) + _probe_stages(study, common))
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise StudyConfigError('study produces duplicate stage names; '
                               'method and regressor keys must be unique')
    _check_inside(stages, study.work_root)
    return stages

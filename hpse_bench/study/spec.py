"""A study config turned into the stages that run it.

A study is the matrix {pre-training method} x {regressor} x {fine-tuning
fraction} x {seed}. Each cell runs four stages, each one a normal
``tools/train.py`` / ``tools/test.py`` run (or an export), so a cell is
reproduced by hand with the commands the runner prints:

    pretrain  -> work_root/pretrain/<method>/seed<k>/
    export    -> work_root/pretrain/<method>/seed<k>/backbone.pth
    finetune  -> work_root/finetune/<regressor>/<method>/<frac>/seed<k>/
    test      -> work_root/test/<regressor>/<method>/<frac>/seed<k>/

Pre-training and export are shared by every cell of a method and seed.
"""
import hashlib
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mmengine.config import Config


@dataclass
class Stage:
    """One unit of work; done when ``<work_dir>/DONE.json`` exists."""

    kind: str  # 'pretrain' | 'export' | 'finetune' | 'test'
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

    def fingerprint(self) -> str:
        """Hash of what defines the stage's result (not of its paths)."""
        payload = dict(
            kind=self.kind,
            config=file_digest(self.config) if self.config else None,
            cfg_options=self.cfg_options,
            method=self.method,
            regressor=self.regressor,
            fraction=self.fraction,
            seed=self.seed,
            extra=self.extra)
        return hashlib.sha256(
            json.dumps(payload, sort_keys=True,
                       default=str).encode()).hexdigest()[:16]


def file_digest(path: str) -> str:
    """SHA-256 of a config *as resolved* (its bases included)."""
    cfg = Config.fromfile(path)
    text = cfg.pretty_text
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fraction_tag(fraction: float) -> str:
    return f'{round(fraction * 100):d}p'


def build_stages(study: Config) -> List[Stage]:
    """Expand a study config into stages in an order that respects deps."""
    work_root = study.work_root
    seeds = list(study.get('seeds', [0]))
    fractions = list(study.fractions)
    gpus = int(study.get('gpus', 1))
    # Options every train/test stage gets (e.g. the size of the synthetic
    # data); a stage's own options win.
    common = dict(study.get('stage_cfg_options', {}) or {})
    stages: List[Stage] = []

    for method, spec in study.pretrain.items():
        for seed in seeds:
            pdir = osp.join(work_root, 'pretrain', method, f'seed{seed}')
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
                stages.append(
                    Stage(
                        kind='export',
                        name=f'export/{method}/seed{seed}',
                        work_dir=osp.join(pdir, 'export'),
                        depends=[f'pretrain/{method}/seed{seed}'],
                        method=method,
                        seed=seed,
                        extra=dict(
                            source=spec.get('export_source', 'auto'),
                            pretrain_dir=pdir)))
            elif spec.get('checkpoint'):
                # A published checkpoint (e.g. ImageNet weights): export only.
                stages.append(
                    Stage(
                        kind='export',
                        name=f'export/{method}/seed{seed}',
                        work_dir=osp.join(pdir, 'export'),
                        method=method,
                        seed=seed,
                        extra=dict(
                            source=spec.get('export_source', 'auto'),
                            checkpoint=spec['checkpoint'])))

    for regressor, rspec in study.finetune.items():
        # A regressor may pair with only some methods (e.g. the backbone
        # depth must match): ``pretrain=[method, ...]`` in its spec.
        paired = rspec.get('pretrain')
        unknown = set(paired or []) - set(study.pretrain)
        if unknown:
            raise KeyError(f'finetune.{regressor}.pretrain names unknown '
                           f'methods {sorted(unknown)}; known: '
                           f'{sorted(study.pretrain)}')
        for method, spec in study.pretrain.items():
            if paired is not None and method not in paired:
                continue
            has_backbone = bool(spec.get('config') or spec.get('checkpoint'))
            for fraction in fractions:
                for seed in seeds:
                    tag = fraction_tag(fraction)
                    ft_name = f'finetune/{regressor}/{method}/{tag}/seed{seed}'
                    ft_dir = osp.join(work_root, 'finetune', regressor, method,
                                      tag, f'seed{seed}')
                    # Random init trains longer: the study matches the total
                    # length of pre-training + fine-tuning.
                    options = dict(common, **rspec.get('cfg_options', {}))
                    if not has_backbone:
                        options.update(rspec.get('scratch_cfg_options', {}))
                    options[rspec.get('fraction_key',
                                      'train_dataloader.dataset.fraction')] = \
                        fraction
                    options['randomness.seed'] = seed
                    stages.append(
                        Stage(
                            kind='finetune',
                            name=ft_name,
                            work_dir=ft_dir,
                            config=rspec['config'],
                            cfg_options=options,
                            depends=[f'export/{method}/seed{seed}']
                            if has_backbone else [],
                            method=method,
                            regressor=regressor,
                            fraction=fraction,
                            seed=seed,
                            gpus=gpus,
                            extra=dict(
                                backbone=osp.join(
                                    work_root, 'pretrain', method,
                                    f'seed{seed}', 'export', 'backbone.pth')
                                if has_backbone else None,
                                backbone_key=rspec.get('backbone_key',
                                                       'model.backbone'))))
                    stages.append(
                        Stage(
                            kind='test',
                            name=f'test/{regressor}/{method}/{tag}/seed{seed}',
                            work_dir=osp.join(work_root, 'test', regressor,
                                              method, tag, f'seed{seed}'),
                            config=rspec['config'],
                            cfg_options=dict(
                                common, **rspec.get('test_cfg_options', {})),
                            depends=[ft_name],
                            method=method,
                            regressor=regressor,
                            fraction=fraction,
                            seed=seed,
                            gpus=gpus,
                            extra=dict(finetune_dir=ft_dir)))
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ValueError('study produces duplicate stage names; method and '
                         'regressor keys must be unique')
    return stages

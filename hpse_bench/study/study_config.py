"""Loading and checking a study config: profiles, overrides, key types.

A study config may carry device profiles::

    profiles = dict(
        cpu=dict(seeds=[0, 1, 2], finetune=dict(hmr=dict(cfg_options={
            'train_cfg.max_iters': 600}))),
        cuda=dict(...))

The chosen entry (``cuda`` when ``torch.cuda.is_available()``, else
``cpu``; ``tools/study.py --profile NAME`` chooses another) is merged over
the study config as ``Config.merge_from_dict`` merges (nested dicts key by
key, other values replaced, ``_delete_=True`` to replace a dict), before
the stages are built. Command-line ``--cfg-options`` are applied after the
profile, so they win over it. The chosen name is kept in the study config
as ``profile`` and recorded in every stage record and in the provenance.

``parallel = dict(workers='auto', threads_per_stage=1)`` runs independent
stages at once (``'auto'``: one per CPU core without CUDA, one with CUDA).
"""
import copy
import os
import re
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

#: Method and regressor names: they become folder names under the work root.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_-]*$')

_PARALLEL_KEYS = ('workers', 'threads_per_stage')
_PROBE_KEYS = ('enable', 'cfg_options', 'regressor')


class StudyConfigError(ValueError):
    """A study config key has the wrong type or value (named in the
    message)."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_list(problems: List[str], cfg: Config, key: str, item_ok,
                expected: str, example: str) -> None:
    value = cfg.get(key)
    if value is None:
        return
    if (not isinstance(value, (list, tuple)) or not value
            or not all(item_ok(v) for v in value)):
        problems.append(f'{key}: expected {expected} (e.g. {key} = '
                        f'{example}), got {value!r}')
    elif len(set(value)) != len(value):
        problems.append(f'{key}: {value!r} repeats a value')


def _check_names(problems: List[str], key: str, names) -> None:
    for name in names:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            problems.append(
                f'{key}: the name {name!r} must be a simple identifier '
                '(letters, digits, "_" and "-"; no "/", "." or "..") because '
                'it names folders under the work root')


def _check_dict(problems: List[str], where: str, value) -> bool:
    if value is not None and not isinstance(value, dict):
        problems.append(f'{where}: expected a dict, got {value!r}')
        return False
    return True


def _check_methods(problems: List[str], cfg: Config) -> None:
    pretrain = cfg.get('pretrain')
    if not isinstance(pretrain, dict) or not pretrain:
        problems.append('pretrain: expected a dict of methods, got '
                        f'{pretrain!r}')
        return
    _check_names(problems, 'pretrain', pretrain)
    for method, spec in pretrain.items():
        if not _check_dict(problems, f'pretrain.{method}', spec):
            continue
        spec = spec or {}
        for key in ('config', 'checkpoint', 'export_source'):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                problems.append(f'pretrain.{method}.{key}: expected a path '
                                f'string, got {spec[key]!r}')
        _check_dict(problems, f'pretrain.{method}.cfg_options',
                    spec.get('cfg_options'))


def _check_regressors(problems: List[str], cfg: Config) -> None:
    finetune = cfg.get('finetune')
    if not isinstance(finetune, dict) or not finetune:
        problems.append('finetune: expected a dict of regressors, got '
                        f'{finetune!r}')
        return
    _check_names(problems, 'finetune', finetune)
    methods = set(cfg.get('pretrain') or {})
    for regressor, spec in finetune.items():
        where = f'finetune.{regressor}'
        if not _check_dict(problems, where, spec):
            continue
        if not isinstance((spec or {}).get('config'), str):
            problems.append(f'{where}.config: expected the path of a '
                            f'fine-tuning config, got {spec.get("config")!r}')
        for key in ('cfg_options', 'scratch_cfg_options', 'test_cfg_options'):
            _check_dict(problems, f'{where}.{key}', spec.get(key))
        paired = spec.get('pretrain')
        if paired is not None:
            if not isinstance(paired, (list, tuple)):
                problems.append(f'{where}.pretrain: expected a list of '
                                f'method names, got {paired!r}')
            elif set(paired) - methods:
                problems.append(
                    f'{where}.pretrain names unknown methods '
                    f'{sorted(set(paired) - methods)}; known: '
                    f'{sorted(methods)}')


def _check_options(problems: List[str], cfg: Config) -> None:
    if not isinstance(cfg.get('work_root'), str) or not cfg.work_root:
        problems.append('work_root: expected a folder path, got '
                        f'{cfg.get("work_root")!r}')
    gpus = cfg.get('gpus', 1)
    if not _is_int(gpus) or gpus < 1:
        problems.append(f'gpus: expected a positive integer, got {gpus!r}')
    _check_dict(problems, 'stage_cfg_options', cfg.get('stage_cfg_options'))
    code = cfg.get('code_version')
    if code is not None and (not isinstance(code, str) or not code):
        problems.append('code_version: expected None (the installed '
                        f'sources) or a non-empty string, got {code!r}')
    if not isinstance(cfg.get('baselines', False), bool):
        problems.append('baselines: expected True or False, got '
                        f'{cfg.baselines!r}')
    try:
        parallel_settings(cfg, cuda=False)
        probe_settings(cfg)
    except StudyConfigError as e:
        problems.append(str(e))


def check_study(cfg: Config) -> None:
    """Raise :class:`StudyConfigError` listing every malformed study key."""
    problems: List[str] = []
    _check_list(problems, cfg, 'seeds', _is_int, 'a list of integers',
                '[0, 1, 2]')
    _check_list(problems, cfg, 'fractions',
                lambda v: _is_number(v) and 0 < v <= 1,
                'a list of fractions in (0, 1]', '[1.0, 0.1]')
    if cfg.get('fractions') is None:
        problems.append('fractions: missing (e.g. fractions = [1.0])')
    _check_methods(problems, cfg)
    _check_regressors(problems, cfg)
    _check_options(problems, cfg)
    if problems:
        raise StudyConfigError('malformed study config:\n  ' +
                               '\n  '.join(problems))


def parallel_settings(cfg: Config, cuda: bool) -> Dict[str, Optional[int]]:
    """``{'workers': n, 'threads_per_stage': t or None}`` of a study.

    Without a ``parallel`` key stages run one at a time and inherit the
    environment's threads. ``workers='auto'``: the CPU cores without CUDA,
    1 with CUDA. ``threads_per_stage`` defaults to 1 when ``parallel`` is
    given.
    """
    spec = cfg.get('parallel')
    if spec is None:
        return dict(workers=1, threads_per_stage=None)
    if not isinstance(spec, dict):
        raise StudyConfigError(
            "parallel: expected dict(workers='auto' or N, "
            f'threads_per_stage=N), got {spec!r}')
    unknown = set(spec) - set(_PARALLEL_KEYS)
    if unknown:
        raise StudyConfigError(f'parallel: unknown keys {sorted(unknown)}; '
                               f'known: {list(_PARALLEL_KEYS)}')
    workers = spec.get('workers', 'auto')
    if workers == 'auto':
        workers = 1 if cuda else (os.cpu_count() or 1)
    elif not _is_int(workers) or workers < 1:
        raise StudyConfigError("parallel.workers: expected 'auto' or a "
                               f'positive integer, got {workers!r}')
    threads = spec.get('threads_per_stage', 1)
    if threads is not None and (not _is_int(threads) or threads < 1):
        raise StudyConfigError('parallel.threads_per_stage: expected a '
                               f'positive integer or None, got {threads!r}')
    return dict(workers=workers, threads_per_stage=threads)


def probe_settings(cfg: Config) -> Dict:
    """``probes`` of a study as ``dict(enable, cfg_options, regressor)``."""
    spec = cfg.get('probes', False)
    if isinstance(spec, bool):
        spec = dict(enable=spec)
    if not isinstance(spec, dict):
        raise StudyConfigError('probes: expected True/False or dict(enable='
                               f'True, cfg_options={{...}}), got {spec!r}')
    unknown = set(spec) - set(_PROBE_KEYS)
    if unknown:
        raise StudyConfigError(f'probes: unknown keys {sorted(unknown)}; '
                               f'known: {list(_PROBE_KEYS)}')
    out = dict(
        enable=spec.get('enable', True),
        cfg_options=dict(spec.get('cfg_options') or {}),
        regressor=spec.get('regressor'))
    if not isinstance(out['enable'], bool):
        raise StudyConfigError(
            f'probes.enable: expected True or False, got {out["enable"]!r}')
    if not isinstance(spec.get('cfg_options') or {}, dict):
        raise StudyConfigError('probes.cfg_options: expected a dict, got '
                               f'{spec["cfg_options"]!r}')
    if out['regressor'] is not None and out['regressor'] not in (
            cfg.get('finetune') or {}):
        raise StudyConfigError(
            f'probes.regressor: {out["regressor"]!r} is not a regressor of '
            f'finetune ({sorted(cfg.get("finetune") or {})})')
    return out


def choose_profile(cfg: Config, profile: Optional[str],
                   cuda: bool) -> Optional[str]:
    """The profile to apply: ``profile`` if given, else by the device;
    None when the study defines no profiles."""
    profiles = cfg.get('profiles')
    if profiles is None:
        if profile is not None:
            raise StudyConfigError(f'--profile {profile}: the study config '
                                   'defines no profiles')
        return None
    if not isinstance(profiles, dict) or not all(
            isinstance(v, dict) for v in profiles.values()):
        raise StudyConfigError('profiles: expected dict(cpu=dict(...), '
                               f'cuda=dict(...)), got {profiles!r}')
    name = profile or ('cuda' if cuda else 'cpu')
    if name not in profiles:
        how = '' if profile else ' (chosen by the device; --profile NAME ' \
            'chooses another)'
        raise StudyConfigError(f'profiles: no profile {name!r}{how}; the '
                               f'study defines {sorted(profiles)}')
    return name


def load_study(path: str,
               cfg_options: Optional[Dict] = None,
               profile: Optional[str] = None,
               cuda: bool = False) -> Tuple[Config, Optional[str]]:
    """Read a study config, apply its profile and the overrides.

    Args:
        path: the study config file.
        cfg_options: ``--cfg-options`` of the command line (dotted keys).
        profile: profile name, or None to choose by ``cuda``.
        cuda: whether CUDA is available.

    Returns:
        ``(config, profile name or None)``; ``config.profile`` holds the
        name too.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        # Applied first so that they may also edit the profiles ...
        cfg.merge_from_dict(copy.deepcopy(cfg_options))
    name = choose_profile(cfg, profile, cuda)
    if name is not None:
        cfg.merge_from_dict(copy.deepcopy(cfg.profiles[name].to_dict()))
        if cfg_options:
            # ... and again so that they win over the profile.
            cfg.merge_from_dict(copy.deepcopy(cfg_options))
    cfg.profile = name
    return cfg, name

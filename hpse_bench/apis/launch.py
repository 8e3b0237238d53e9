"""What ``tools/train.py`` and ``tools/test.py`` do before building a Runner.

Kept in the package (not in the tools) so that the study runner and the tests
start runs exactly as the command line does.
"""
import contextlib
import os
import os.path as osp
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from hpse_bench.utils.compat import (SYNC_BN_TYPES, cuda_available,
                                     init_cpu_distributed)

_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

#: Seconds a rank waits in a collective (gradient all-reduce, barrier) for
#: the others before the run ends with an error. Set per run with
#: ``env_cfg.dist_cfg.timeout`` or this environment variable.
DIST_TIMEOUT_ENV = 'HPSE_DIST_TIMEOUT'
#: gloo's own default is 30 minutes: a frozen rank would hold the others
#: that long without a word. On CPU nothing legitimate keeps one rank out of
#: a collective for 5 minutes (data are generated before the first one).
CPU_DIST_TIMEOUT_S = 300


def dist_timeout(cfg: Config) -> Optional[int]:
    """The collective timeout in seconds the run asks for, if any:
    ``env_cfg.dist_cfg.timeout``, else ``$HPSE_DIST_TIMEOUT``."""
    dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
    value, where = dist_cfg.get('timeout'), 'env_cfg.dist_cfg.timeout'
    if value is None:
        value, where = os.environ.get(DIST_TIMEOUT_ENV), DIST_TIMEOUT_ENV
    if value is None or value == '':
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = 0
    if seconds <= 0:
        raise ValueError(f'{where} must be a positive number of seconds, '
                         f'got {value!r}')
    return seconds


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for ``launcher``; on CPU-only machines start gloo.

    On CUDA machines MMEngine initialises NCCL itself, with the config's
    ``env_cfg.dist_cfg`` (a ``$HPSE_DIST_TIMEOUT`` fills in its ``timeout``
    when the config sets none; otherwise nothing changes). On a machine
    without CUDA, a distributed launch gets a gloo process group now
    (MMEngine's own init would call ``torch.cuda.set_device``) whose
    collectives time out after :func:`dist_timeout` (default
    ``CPU_DIST_TIMEOUT_S``), and a DDP wrapper that passes no
    ``device_ids`` and turns SyncBatchNorm into BatchNorm; see
    ``hpse_bench.utils.compat``.
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    timeout = dist_timeout(cfg)
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if cuda_available():
        if timeout is not None:
            dist_cfg['timeout'] = timeout
        return
    timeout = CPU_DIST_TIMEOUT_S if timeout is None else timeout
    dist_cfg.update(backend='gloo', timeout=timeout)
    wrapper = cfg.get('model_wrapper_cfg') or {}
    if wrapper.get('type', 'MMDistributedDataParallel') in (
            'MMDistributedDataParallel', 'mmengine.MMDistributedDataParallel'):
        wrapper = dict(wrapper)
        wrapper['type'] = 'hpse_bench.CPUDistributedDataParallel'
        cfg.model_wrapper_cfg = wrapper
    _note_sync_bn(cfg)
    init_cpu_distributed(launcher, timeout_s=timeout)


def _note_sync_bn(cfg: Config) -> None:
    """Say which configured norm layers run as plain BatchNorm on CPU."""
    found = [
        where for where, value in _walk(cfg.get('model'), 'model')
        if where.endswith('norm_cfg.type') and value in SYNC_BN_TYPES
    ]
    if found:
        print_log(
            'CPU distributed run: SyncBN (' + ', '.join(found) + ') runs as '
            'BatchNorm, each process normalising with its own batch '
            'statistics (gloo cannot synchronise BatchNorm); on GPUs the '
            'config is used as written.',
            logger='current',
            level=30)


@contextlib.contextmanager
def explain_collective_timeout(cfg: Config) -> Iterator[None]:
    """Re-raise a timed-out collective with what it means and what to set.

    gloo reports only ``Timed out waiting ...ms for recv operation``; the
    usual cause is another rank that stopped (frozen, killed, out of
    memory) or is much slower.
    """
    try:
        yield
    except RuntimeError as err:
        if cfg.get('launcher', 'none') == 'none' or \
                'timed out' not in str(err).lower():
            raise
        timeout = ((cfg.get('env_cfg') or {}).get('dist_cfg')
                   or {}).get('timeout')
        rank = os.environ.get('RANK', '?')
        raise RuntimeError(
            f'rank {rank}: a collective operation timed out after '
            f'{timeout} s: another rank stopped responding (frozen, killed '
            'or far slower than this one), so the run ends here. If a rank '
            'is legitimately that slow, raise the limit with --cfg-options '
            f'env_cfg.dist_cfg.timeout=SECONDS or ${DIST_TIMEOUT_ENV}. '
            f'Cause: {err}') from err


def prepare_synthetic_data(cfg: Config) -> None:
    """Create the embedded synthetic data named by ``cfg.synthetic_data``.

    Every rank calls this; the generator serialises them with a file lock
    and reuses a complete cache. Unless the config says otherwise, the one
    process that generates uses every core it may run on: the others wait
    on the lock meanwhile, and the bytes do not depend on the worker count.
    """
    spec = cfg.get('synthetic_data')
    if not spec:
        return
    from hpse_bench.synthetic import ensure_synthetic_data
    spec = dict(spec)
    spec.setdefault('workers', max(1, len(os.sched_getaffinity(0))))
    ensure_synthetic_data(**spec)


def _dataset_cfgs(cfg: Config) -> Iterable[Tuple[str, dict]]:
    """Yield (where, dataset config) for every dataset of every dataloader."""

    def walk(where: str, ds):
        if not isinstance(ds, dict):
            return
        yield where, ds
        if 'datasets' in ds:
            for i, sub in enumerate(ds['datasets']):
                yield from walk(f'{where}.datasets[{i}]', sub)
        if 'dataset' in ds:
            yield from walk(f'{where}.dataset', ds['dataset'])

    for name in _DATALOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict) and 'dataset' in loader:
            yield from walk(f'{name}.dataset', loader['dataset'])


def check_inputs(cfg: Config) -> None:
    """Fail early, naming the path, when a file the run needs is missing.

    Checks every dataset's ``data_root`` and ``ann_file`` and the checkpoints
    named by ``load_from`` and ``resume``. Without this the same mistakes
    surface minutes later, deep inside a worker process.
    """
    problems: List[str] = []
    for where, ds in _dataset_cfgs(cfg):
        root = ds.get('data_root', '') or ''
        if root and not osp.isdir(root):
            problems.append(
                f'{where}.data_root: folder "{root}" does not exist '
                f'(looked in {osp.abspath(root)})')
            continue
        ann = ds.get('ann_file')
        if isinstance(ann, str) and ann:
            path = ann if osp.isabs(ann) else osp.join(root, ann)
            if not osp.exists(path):
                problems.append(f'{where}.ann_file: file "{path}" does not '
                                f'exist (looked in {osp.abspath(path)})')
    for key in ('load_from', ):
        path = cfg.get(key)
        if isinstance(path,
                      str) and '://' not in path and not osp.isfile(path):
            problems.append(f'{key}: checkpoint "{path}" does not exist '
                            f'(looked in {osp.abspath(path)})')
    resume = cfg.get('resume')
    if isinstance(resume, str) and not osp.isfile(resume):
        problems.append(f'resume: checkpoint "{resume}" does not exist '
                        f'(looked in {osp.abspath(resume)})')
    if problems:
        hint = ('See docs/datasets.md for the expected folder trees; configs '
                'ending in _synthetic run on the embedded data.')
        raise FileNotFoundError('missing inputs:\n  ' + '\n  '.join(problems) +
                                '\n' + hint)


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config name>``, as in every OpenMMLab codebase."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def set_cpu_threads() -> None:
    """Split the cores between local ranks on CPU-only distributed runs.

    A thread count the caller set (``OMP_NUM_THREADS``, as the study does
    for stages it runs side by side) is left alone.
    """
    if cuda_available() or os.environ.get('OMP_NUM_THREADS'):
        return
    local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
    if local_world > 1:
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))


#: Top-level keys that something reads after the config files are parsed:
#: MMEngine's Runner, the launch steps of this module and the tools. Every
#: other top-level key is a variable of the files (``fraction``,
#: ``input_size``, ``train_pipeline``...), already substituted into these
#: settings when the files were read.
RUNTIME_KEYS = ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg',
                'optim_wrapper', 'param_scheduler', 'auto_scale_lr',
                'val_evaluator', 'test_evaluator', 'default_hooks',
                'custom_hooks', 'data_preprocessor', 'work_dir', 'load_from',
                'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
                'visualizer', 'default_scope', 'randomness', 'experiment_name',
                'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn',
                'compile', 'activation_checkpointing',
                'efficient_conv_bn_eval', 'custom_imports', 'synthetic_data')
_MAX_LISTED = 6


def _walk(value: Any, where: str) -> Iterator[Tuple[str, Any]]:
    """Yield ``(dotted path, leaf value)``; list items as ``a.0.b``, the
    form ``--cfg-options`` takes."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _walk(sub, f'{where}.{key}')
    elif isinstance(value, (list, tuple)) and any(
            isinstance(v, (dict, list, tuple)) for v in value):
        for i, sub in enumerate(value):
            yield from _walk(sub, f'{where}.{i}')
    else:
        yield where, value


def _settings_named(cfg: Config, name: str) -> List[str]:
    """Paths of the runtime settings whose last key is ``name``."""
    found: List[str] = []
    for top in RUNTIME_KEYS:
        if top not in cfg:
            continue
        for where, _ in _walk(cfg[top], top):
            head, sep, _ = f'{where}.'.partition(f'.{name}.')
            if sep and f'{head}.{name}' not in found:
                found.append(f'{head}.{name}')
    return found


def _cli_value(value: Any) -> str:
    """``value`` as ``--cfg-options`` reads it back (no spaces)."""
    if isinstance(value, (list, tuple)):
        text = ','.join(_cli_value(v) for v in value)
        return f'"({text})"' if isinstance(value, tuple) else f'"[{text}]"'
    return str(value)


def _ignored_option(cfg: Config, key: str, value: Any) -> str:
    """Why ``key`` would change nothing, and what to set instead."""
    top = key.split('.', 1)[0]
    if top not in cfg:
        return (f'{key}: "{top}" is not a setting of this config and '
                'nothing reads it (top-level settings it has: ' +
                ', '.join(k for k in RUNTIME_KEYS if k in cfg) + ')')
    uses = _settings_named(cfg, key.rsplit('.', 1)[-1])
    text = (f'{key}: "{top}" is a variable of the config files, '
            'substituted into the settings when they were read, so '
            'changing it now changes nothing.')
    if not uses:
        return text + (' Set the settings that use it instead (see '
                       'tools/analysis_tools/print_config.py).')
    shown = ' '.join(f'{u}={_cli_value(value)}' for u in uses[:_MAX_LISTED])
    more = (f' (and {len(uses) - _MAX_LISTED} more)'
            if len(uses) > _MAX_LISTED else '')
    return text + f' Set the settings themselves, e.g. {shown}{more}.'


def merge_cfg_options(cfg: Config, options: Optional[Dict[str, Any]]) -> None:
    """Merge ``--cfg-options`` into ``cfg``, refusing options it would ignore.

    MMEngine resolves the variables of config files (``fraction = 1.0`` used
    as ``fraction=fraction``, ``{{_base_.x}}``, ``_base_.x``) when it reads
    them, so setting such a variable afterwards is accepted and has no
    effect. An option whose top-level key is not a setting read at run time
    (:data:`RUNTIME_KEYS`) is therefore an error that names the settings to
    set instead.

    Raises:
        ValueError: some option would be ignored; every one is listed.
    """
    if not options:
        return
    problems = [
        _ignored_option(cfg, key, value) for key, value in options.items()
        if key.split('.', 1)[0] not in RUNTIME_KEYS
    ]
    if problems:
        raise ValueError('--cfg-options that this config would ignore:\n  ' +
                         '\n  '.join(problems))
    cfg.merge_from_dict(options)
    if any(key.split('.', 1)[0] == 'custom_imports' for key in options):
        # Config.fromfile imported the file's own list before the merge.
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)


def check_device_support(cfg: Config) -> None:
    """Refuse what needs a GPU on a machine without CUDA, saying so.

    Mixed precision (``--amp``, ``AmpOptimWrapper``) runs fp16 kernels
    through ``torch.autocast`` on CUDA; MMEngine would stop later with a bare
    assertion.
    """
    optim = cfg.get('optim_wrapper') or {}
    if optim.get('type') in ('AmpOptimWrapper', 'mmengine.AmpOptimWrapper') \
            and not cuda_available():
        raise RuntimeError(
            'automatic mixed precision (--amp / optim_wrapper.type='
            '"AmpOptimWrapper") needs a CUDA GPU, and this machine has none. '
            'Run without --amp to train in full precision on the CPU.')

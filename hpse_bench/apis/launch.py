"""What ``tools/train.py`` and ``tools/test.py`` do before building a Runner.

Kept in the package (not in the tools) so that the study runner and the tests
start runs exactly as the command line does.
"""
import os
import os.path as osp
from typing import Iterable, List, Tuple

from mmengine.config import Config

from hpse_bench.utils.compat import cuda_available, init_cpu_distributed

_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for ``launcher``; on CPU-only machines start gloo.

    On CUDA machines nothing changes: MMEngine initialises NCCL itself. On a
    machine without CUDA, a distributed launch gets a gloo process group now
    (MMEngine's own init would call ``torch.cuda.set_device``) and a DDP
    wrapper that passes no ``device_ids``; see ``hpse_bench.utils.compat``.
    """
    cfg.launcher = launcher
    if launcher == 'none' or cuda_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or {}
    if wrapper.get('type', 'MMDistributedDataParallel') in (
            'MMDistributedDataParallel',
            'mmengine.MMDistributedDataParallel'):
        wrapper = dict(wrapper)
        wrapper['type'] = 'hpse_bench.CPUDistributedDataParallel'
        cfg.model_wrapper_cfg = wrapper
    init_cpu_distributed(launcher)


def prepare_synthetic_data(cfg: Config) -> None:
    """Create the embedded synthetic data named by ``cfg.synthetic_data``.

    Every rank calls this; the generator serialises them with a file lock
    and reuses a complete cache.
    """
    spec = cfg.get('synthetic_data')
    if not spec:
        return
    from hpse_bench.synthetic import ensure_synthetic_data
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
        if isinstance(path, str) and '://' not in path and not osp.isfile(
                path):
            problems.append(f'{key}: checkpoint "{path}" does not exist '
                            f'(looked in {osp.abspath(path)})')
    resume = cfg.get('resume')
    if isinstance(resume, str) and not osp.isfile(resume):
        problems.append(f'resume: checkpoint "{resume}" does not exist '
                        f'(looked in {osp.abspath(resume)})')
    if problems:
        hint = ('See docs/datasets.md for the expected folder trees; configs '
                'ending in _synthetic run on the embedded data.')
        raise FileNotFoundError('missing inputs:\n  ' +
                                '\n  '.join(problems) + '\n' + hint)


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config name>``, as in every OpenMMLab codebase."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def set_cpu_threads() -> None:
    """Split the cores between local ranks on CPU-only distributed runs."""
    if cuda_available():
        return
    local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
    if local_world > 1:
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))

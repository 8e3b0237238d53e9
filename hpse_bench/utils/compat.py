"""Compatibility patches for the OpenMMLab 2.0 stack on current PyTorch.

Every patch here fixes one measured symptom, does nothing where the real
thing works, and is applied once, by ``hpse_bench/__init__.py``, before any
OpenMMLab module is imported. Nothing else in the package patches third-party
code.

1. ``mmcv._ext`` (mmcv-lite ships no compiled ops).
   Symptom: ``import mmpose.models`` fails with ``No module named
   'mmcv._ext'`` because two mmpose files import ``mmcv.ops`` at module level.
   No compiled op is used by the ResNet / heatmap models hpse_bench builds.
   Fix: register a stand-in ``mmcv._ext`` whose functions raise a clear error
   naming the op *when called*. No-op when the real extension imports.

2. MMEngine checkpoints under ``torch.load(weights_only=True)`` (torch >= 2.6).
   Symptom: ``load_checkpoint`` / ``resume`` fail with ``Unsupported global:
   ... HistoryBuffer`` on MMEngine's own checkpoints (they hold the message
   hub, numpy scalars and ``builtins.getattr``).
   Fix: MMEngine's local-file loader first tries ``weights_only=True``; only
   if that refuses the file does it unpickle it fully. Full unpickling can run
   code, so this is for trusted files only: checkpoints you made or chose to
   point a config at. Plain ``{'state_dict': tensors}`` files (what
   ``tools/export_backbone.py`` writes) always take the safe path.

3. Distributed training on CPU (gloo).
   Symptoms: MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` ("Found
   no NVIDIA driver"), and ``Runner.wrap_model`` passes
   ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules.
   Fix: :func:`init_cpu_distributed` creates the gloo process group before the
   Runner is built (MMEngine then skips its own init), and
   :class:`CPUDistributedDataParallel` drops ``device_ids`` and runs
   SyncBatchNorm layers, which DDP refuses on CPU, as BatchNorm. Used only
   when CUDA is unavailable; on GPUs the standard NCCL path is untouched.
"""
import importlib.machinery
import importlib.util
import os
import sys
import types
from typing import Optional

_APPLIED = False


def _patch_mmcv_ext() -> None:
    try:
        has_ext = importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        has_ext = False
    if has_ext or 'mmcv._ext' in sys.modules:
        return

    class _MissingOpsModule(types.ModuleType):
        """Stands in for mmcv's compiled ops; fails loudly on use."""

        def __getattr__(self, name: str):
            if name.startswith('__'):
                raise AttributeError(name)

            def _missing_op(*args, **kwargs):
                raise RuntimeError(
                    f'mmcv compiled op "{name}" was called, but this '
                    'environment has mmcv-lite, which has no compiled ops. '
                    'hpse_bench models do not need them; if your config '
                    'does, install full mmcv built against your torch.')

            _missing_op.__name__ = name
            return _missing_op

    stub = _MissingOpsModule('mmcv._ext')
    # A spec lets importlib/pkgutil look the module up without ValueError.
    stub.__spec__ = importlib.machinery.ModuleSpec(
        'mmcv._ext', loader=None, origin='hpse_bench.utils.compat')
    sys.modules['mmcv._ext'] = stub


def _patch_checkpoint_loading() -> None:
    import torch
    from mmengine.runner.checkpoint import CheckpointLoader

    if 'weights_only' not in torch.load.__code__.co_varnames:
        return  # old torch: nothing to relax

    def load_from_local(filename, map_location):
        filename = os.path.expanduser(filename)
        if not os.path.isfile(filename):
            raise FileNotFoundError(
                f'checkpoint file not found: {filename} '
                f'(resolved to {os.path.abspath(filename)})')
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except Exception:  # noqa: BLE001 - refused by the safe unpickler
            # Trusted-files-only: see the module docstring, patch 2.
            return torch.load(
                filename, map_location=map_location, weights_only=False)

    CheckpointLoader.register_scheme(prefixes='', force=True)(
        load_from_local)


#: Norm-layer types (mmcv's names) that synchronise over processes.
SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN', 'TorchSyncBN')


def cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def init_cpu_distributed(launcher: str,
                         backend: str = 'gloo',
                         timeout_s: Optional[int] = None) -> bool:
    """Create the gloo process group for a CPU-only distributed run.

    Call before building the Runner. Returns True when it initialised a group;
    False (and does nothing) when CUDA is available, when ``launcher`` is
    ``'none'`` or when a group already exists.

    Args:
        launcher: ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        backend: ``torch.distributed`` backend; gloo is the CPU one.
        timeout_s: optional collective timeout in seconds.
    """
    import datetime

    import torch.distributed as dist

    if launcher == 'none' or cuda_available():
        return False
    if dist.is_available() and dist.is_initialized():
        return False
    if launcher == 'slurm':
        # Slurm sets its own variables; translate them to torch's.
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            import subprocess
            node_list = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {node_list} | head -n1')
    elif launcher == 'mpi':
        os.environ.setdefault('RANK',
                              os.environ['OMPI_COMM_WORLD_RANK'])
        os.environ.setdefault('WORLD_SIZE',
                              os.environ['OMPI_COMM_WORLD_SIZE'])
        os.environ.setdefault('LOCAL_RANK',
                              os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
    kwargs = {}
    if timeout_s is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout_s)
    dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)
    return True


import torch  # noqa: E402
from mmengine.model import MMDistributedDataParallel  # noqa: E402

from hpse_bench.registry import MODEL_WRAPPERS  # noqa: E402


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper for CPU modules (patch 3).

    ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]``; DDP
    requires ``device_ids=None`` for CPU modules, so it is dropped here.
    DDP also refuses SyncBatchNorm on CPU ("SyncBatchNorm layers only work
    with GPU modules"), so those layers become BatchNorm of any input rank
    (MMEngine's ``revert_sync_batchnorm``) with their weights and running
    statistics, and a warning says how many.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        from mmengine.logging import print_log
        from mmengine.model import revert_sync_batchnorm

        num_sync_bn = sum(
            isinstance(m, torch.nn.SyncBatchNorm) for m in module.modules())
        if num_sync_bn:
            module = revert_sync_batchnorm(module)
            print_log(
                f'{num_sync_bn} SyncBatchNorm layers run as BatchNorm on '
                'CPU: each process normalises with its own batch '
                'statistics', logger='current', level=30)
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=module, device_ids=None, **kwargs)


def apply() -> None:
    """Apply every patch once. Safe to call repeatedly."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_mmcv_ext()
    _patch_checkpoint_loading()
    _APPLIED = True

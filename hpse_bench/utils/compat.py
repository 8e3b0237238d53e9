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
   ... HistoryBuffer`` on MMEngine's own checkpoints: the message hub's
   ``HistoryBuffer`` objects hold numpy arrays and scalars, and their
   statistics methods are pickled as ``getattr(HistoryBuffer, 'min')``.
   Fix: MMEngine's local-file loader loads with ``weights_only=True`` only,
   allowing exactly those types (:func:`checkpoint_safe_globals`): the
   ``HistoryBuffer`` class, numpy's array and scalar rebuilders and dtypes,
   and in place of ``builtins.getattr`` a function that returns the
   statistics methods of ``HistoryBuffer`` and refuses everything else. A
   file that needs more is refused (:class:`UnsafeCheckpointError`) with its
   name, what it needs and the one-time conversion of a trusted file
   (``python -m hpse_bench.checkpoint.resave IN OUT``); nothing in it runs.
   A truncated or corrupt file raises :class:`CorruptCheckpointError`
   naming it.

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
import pickle
import re
import sys
import types
from typing import Any, List, Optional

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


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs more than ``weights_only=True`` and the types of
    :func:`checkpoint_safe_globals`; nothing in it was run."""


class CorruptCheckpointError(RuntimeError):
    """A file is truncated or corrupt, or not a PyTorch checkpoint."""


#: Statistics ``HistoryBuffer`` registers by default (mmengine 0.10.7).
_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_statistic(owner: Any, name: Any) -> Any:
    """Stands for ``builtins.getattr`` while a checkpoint loads.

    MMEngine pickles a ``HistoryBuffer``'s statistics methods as
    ``getattr(HistoryBuffer, 'min')``; a general ``getattr`` would let a
    file walk from any allowed class to anything reachable from it.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and isinstance(name, str) and (
            name in _HISTORY_STATISTICS
            or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    shown = getattr(owner, '__name__', type(owner).__name__)
    raise pickle.UnpicklingError(
        f'refusing getattr({shown}, {name!r}): a checkpoint may only '
        'name the statistics methods of MMEngine\'s HistoryBuffer')


def checkpoint_safe_globals() -> List[Any]:
    """What ``torch.load(weights_only=True)`` may build besides tensors,
    for MMEngine's training checkpoints (resume, ``load_from``).

    Types, and rebuild functions that only make arrays and scalars: no
    callable that can reach code (``getattr``, ``eval``, ``os.*``).
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    dtypes = {
        type(np.dtype(code))
        for code in ('?', 'b', 'h', 'i', 'l', 'q', 'B', 'H', 'I', 'L', 'Q',
                     'e', 'f', 'd', 'g', 'F', 'D', 'U', 'S')
    }
    allowed: List[Any] = [HistoryBuffer, np.ndarray, np.dtype, *dtypes]
    allowed.append((_history_buffer_statistic, 'builtins.getattr'))
    # numpy keeps its rebuild functions in numpy.core before 2.0,
    # numpy._core after.
    for core in ('numpy.core', 'numpy._core'):
        allowed += [(reconstruct, f'{core}.multiarray._reconstruct'),
                    (scalar, f'{core}.multiarray.scalar')]
    return allowed


def _unsafe_names(filename: str, inner: str) -> str:
    import torch
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # noqa: BLE001 - not a zip file: use the error
        names = []
    if names:
        return ', '.join(sorted(names))
    return inner.split('. ')[0].replace(' was not an allowed global by '
                                        'default', '')


def resave_command(filename: str) -> str:
    """The one-time conversion of a trusted file (see the error below)."""
    out = os.path.splitext(filename)[0] + '_weights.pth'
    return f'python -m hpse_bench.checkpoint.resave {filename} {out}'


def load_checkpoint_safely(filename: str, map_location: Any = None) -> Any:
    """``torch.load(weights_only=True)`` with :func:`checkpoint_safe_globals`.

    Raises:
        FileNotFoundError: naming the path.
        UnsafeCheckpointError: the file names a type or function outside
            the allow-list (named in the message, with the conversion).
        CorruptCheckpointError: truncated, corrupt or not a checkpoint.
    """
    import torch

    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(
            f'checkpoint file not found: {filename} '
            f'(resolved to {os.path.abspath(filename)})')
    with torch.serialization.safe_globals(checkpoint_safe_globals()):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            # torch wraps the unpickler's message; the original is the
            # context of its error.
            inner = str(err.__context__ or err).strip()
            if not re.search(
                    r'Unsupported global|unrecognized function|Can only '
                    r'(build|create)|refusing getattr|is blocked', inner):
                raise CorruptCheckpointError(
                    f'{filename}: cannot be read as a PyTorch checkpoint: '
                    'it is truncated or corrupt, or not a checkpoint '
                    f'({inner.splitlines()[0][:200]})') from err
            raise UnsafeCheckpointError(
                f'{filename}: loading it needs '
                f'{_unsafe_names(filename, inner)}, which a checkpoint may '
                'not name (unpickling it could run code; checkpoints load '
                'with torch.load(weights_only=True) and the types of '
                "MMEngine's own checkpoints only). If you trust this file, "
                'convert it once into a weights-only file and use that:\n'
                f'    {resave_command(filename)}') from None
        except (RuntimeError, EOFError, ValueError, OverflowError,
                MemoryError) as err:
            first = (str(err).splitlines() or [type(err).__name__])[0]
            raise CorruptCheckpointError(
                f'{filename}: cannot be read as a PyTorch checkpoint: it is '
                f'truncated or corrupt, or not a checkpoint ({first[:200]})'
            ) from err


def _patch_checkpoint_loading() -> None:
    from mmengine.runner.checkpoint import CheckpointLoader

    # MMEngine logs the backend by the name after 'load_from_'.
    def load_from_local(filename: str, map_location: Any) -> Any:
        return load_checkpoint_safely(filename, map_location)

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

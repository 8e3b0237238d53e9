"""The command line of each stage, through the entry points the installed
package provides (no path to a repository checkout).

- ``launcher='none'``: ``python -m hpse_bench.apis.train CONFIG ...``;
- ``'pytorch'``: ``python -m torch.distributed.run --nproc_per_node=N ...
  -m hpse_bench.apis.train CONFIG ... --launcher pytorch`` (``NNODES``,
  ``NODE_RANK``, ``MASTER_ADDR`` and ``PORT`` as ``tools/dist_train.sh``
  reads them);
- ``'slurm'``: ``srun -p PARTITION ... python -u -m hpse_bench.apis.train
  CONFIG ... --launcher slurm`` (``GPUS_PER_NODE``, ``CPUS_PER_TASK`` and
  ``SRUN_ARGS`` as ``tools/slurm_train.sh`` reads them).

Exports run as one local process; baselines and probes as one process (one
Slurm task under ``'slurm'``).
"""
import argparse
import os
import shlex
import socket
import sys
from typing import Dict, List, Optional

from mmengine.config import DictAction

#: The module run by each kind of stage.
ENTRY_POINTS = dict(
    pretrain='hpse_bench.apis.train',
    finetune='hpse_bench.apis.train',
    test='hpse_bench.apis.test',
    export='hpse_bench.apis.export_backbone',
    baseline='hpse_bench.apis.baselines',
    probe='hpse_bench.apis.probe')

# Started before the stage's command: asks Linux to send SIGTERM to the
# stage when the study process dies, even by SIGKILL (PR_SET_PDEATHSIG = 1
# survives exec), then execs the command. A plain exec wrapper rather than a
# ``preexec_fn``, which is unsafe in a process with threads.
_PDEATHSIG_WRAPPER = (
    'import ctypes, os, signal, sys\n'
    'libc = ctypes.CDLL(None, use_errno=True)\n'
    'libc.prctl(1, signal.SIGTERM, 0, 0, 0)\n'
    'if os.getppid() != int(sys.argv[1]):\n'
    '    sys.exit("the study process ended before this stage started")\n'
    'os.execvp(sys.argv[2], sys.argv[2:])\n')


def _flatten(options: Dict, prefix: str = '') -> Dict:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}``, the form --cfg-options takes."""
    out = {}
    for key, value in options.items():
        key = f'{prefix}{key}'
        if isinstance(value, dict) and value:
            out.update(_flatten(value, key + '.'))
        else:
            out[key] = value
    return out


def _format_value(value) -> str:
    if isinstance(value, (list, tuple)):
        text = ','.join(_format_value(v) for v in value)
        return f'[{text}]' if isinstance(value, list) else f'({text})'
    return str(value)


def _normalised(value):
    """Lists and tuples alike, as the comparison of a round trip needs."""
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    return value


def parse_cfg_options(args: List[str]) -> Dict:
    """The dict a stage's ``--cfg-options`` arguments become in the stage
    (parsed by the same ``DictAction`` as the entry points use)."""
    if not args:
        return {}
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(args).cfg_options


def cfg_options_args(options: Dict, stage_name: str = '') -> List[str]:
    """``['--cfg-options', 'k=v', ...]`` for a stage's options.

    Raises:
        ValueError: an option that the stage would read as another value
            (e.g. a string with a comma or a space, a string that looks
            like a number, a dict inside a list); the message names it.
    """
    if not options:
        return []
    flat = _flatten(options)
    args = ['--cfg-options'] + [
        f'{key}={_format_value(value)}' for key, value in flat.items()
    ]
    parsed = parse_cfg_options(args)
    for key, value in flat.items():
        if _normalised(parsed.get(key)) != _normalised(value):
            raise ValueError(
                f'stage {stage_name}: option {key}={value!r} cannot be passed '
                f'on the command line unchanged (the stage would read '
                f'{parsed.get(key)!r}); set it in the config file instead')
    return args


def free_port() -> int:
    """A TCP port free now on this host (for a distributed stage)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _torchrun(module: str, gpus: int, port: int) -> List[str]:
    env = os.environ
    return [
        sys.executable, '-m', 'torch.distributed.run',
        f'--nnodes={env.get("NNODES", "1")}',
        f'--node_rank={env.get("NODE_RANK", "0")}',
        f'--master_addr={env.get("MASTER_ADDR", "127.0.0.1")}',
        f'--nproc_per_node={gpus}', f'--master_port={port}', '-m', module
    ]


def _srun(module: str, partition: str, job: str, tasks: int) -> List[str]:
    env = os.environ
    per_node = min(tasks, int(env.get('GPUS_PER_NODE', '8')))
    return [
        'srun', '-p', partition, f'--job-name={job}',
        f'--gres=gpu:{per_node}', f'--ntasks={tasks}',
        f'--ntasks-per-node={per_node}',
        f'--cpus-per-task={env.get("CPUS_PER_TASK", "5")}',
        '--kill-on-bad-exit=1'
    ] + shlex.split(env.get('SRUN_ARGS', '')) + [
        sys.executable, '-u', '-m', module
    ]


def stage_command(kind: str,
                  args: List[str],
                  launcher: str = 'none',
                  gpus: int = 1,
                  partition: Optional[str] = None,
                  job: str = 'stage',
                  port: Optional[int] = None) -> List[str]:
    """The command that runs one stage.

    Args:
        kind: the stage kind (selects the entry point).
        args: the entry point's arguments.
        launcher: ``'none'``, ``'pytorch'`` or ``'slurm'``.
        gpus: processes of a train/test stage.
        partition: Slurm partition.
        job: Slurm job name.
        port: rendezvous port of a ``'pytorch'`` stage.
    """
    module = ENTRY_POINTS[kind]
    distributed = kind in ('pretrain', 'finetune', 'test')
    if kind == 'export' or launcher == 'none' or (launcher == 'pytorch'
                                                  and not distributed):
        return [sys.executable, '-m', module] + list(args)
    if launcher == 'pytorch':
        return _torchrun(module, gpus, port or free_port()) + list(args) + [
            '--launcher', 'pytorch'
        ]
    if launcher == 'slurm':
        if not partition:
            raise ValueError('--launcher slurm needs --partition')
        tasks = gpus if distributed else 1
        launch = ['--launcher', 'slurm'] if distributed else []
        return _srun(module, partition, job, tasks) + list(args) + launch
    raise ValueError(f'unknown launcher "{launcher}"; use none, pytorch or '
                     'slurm')


def with_parent_death_signal(cmd: List[str]) -> List[str]:
    """``cmd`` wrapped so that it receives SIGTERM when the study dies
    (Linux only; elsewhere ``cmd`` unchanged)."""
    if not sys.platform.startswith('linux'):
        return cmd
    return [sys.executable, '-c', _PDEATHSIG_WRAPPER,
            str(os.getpid())] + cmd


def stage_env(threads: Optional[int],
              devices: Optional[str] = None) -> Dict[str, str]:
    """The environment of a stage: the study's, with the thread count of
    ``parallel.threads_per_stage`` (``OMP_NUM_THREADS``, which torch's
    intra-op pool follows, and ``MKL_NUM_THREADS``) and, when stages share
    the GPUs of a node, its ``CUDA_VISIBLE_DEVICES``."""
    env = dict(os.environ)
    if threads is not None:
        env['OMP_NUM_THREADS'] = env['MKL_NUM_THREADS'] = str(threads)
    if devices is not None:
        env['CUDA_VISIBLE_DEVICES'] = devices
    return env


def quote(cmd: List[str]) -> str:
    return ' '.join(shlex.quote(str(c)) for c in cmd)

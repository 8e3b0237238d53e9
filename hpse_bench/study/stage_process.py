"""One stage as a child process: its arguments, its log, its signals.

Each stage runs in a process group of its own (``start_new_session``), so
that the study can stop it with everything it started (data loader
workers, torchrun's ranks) and a Ctrl-C on the terminal reaches the study
first. On Linux the stage also receives SIGTERM when the study process
dies, even by SIGKILL (``PR_SET_PDEATHSIG``, see
:func:`.commands.with_parent_death_signal`).
"""
import os
import os.path as osp
import signal
import subprocess
import time
from typing import List, Optional

from .commands import (cfg_options_args, quote, stage_command, stage_env,
                       with_parent_death_signal)
from .logs import last_checkpoint
from .spec import Stage


class StageFailed(RuntimeError):
    pass


def write_finetune_config(stage: Stage) -> str:
    """Write the config a fine-tuning stage runs: the regressor's config
    with the exported backbone (or nothing: random init) as the
    initialisation of ``extra['backbone_key']``."""
    path = osp.join(stage.work_dir, 'config.py')
    lines = [f'_base_ = [{osp.abspath(stage.config)!r}]']
    backbone = stage.extra.get('backbone')
    inner = ('dict(init_cfg=dict(_delete_=True, type=\'Pretrained\', '
             f'checkpoint={osp.abspath(backbone)!r}))'
             if backbone else 'dict(init_cfg=None)')
    keys = stage.extra['backbone_key'].split('.')
    for key in reversed(keys[1:]):
        inner = f'dict({key}={inner})'
    lines.append(f'{keys[0]} = {inner}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def stage_args(stage: Stage, resume: Optional[str]) -> List[str]:
    """The entry point's arguments for a stage (see :mod:`.commands`);
    ``resume``: the checkpoint a train stage resumes from."""
    options = cfg_options_args(stage.cfg_options, stage.name)
    work = ['--work-dir', stage.work_dir]
    resume_args = ['--resume', resume] if resume else []
    if stage.kind == 'pretrain':
        return [stage.config] + work + resume_args + options
    if stage.kind == 'finetune':
        return [write_finetune_config(stage)] + work + resume_args + options
    if stage.kind == 'test':
        ft_dir = stage.extra['finetune_dir']
        ckpt = last_checkpoint(ft_dir)
        if ckpt is None:
            raise StageFailed(f'{stage.name}: fine-tuning left no '
                              f'checkpoint in {ft_dir}')
        return [osp.join(ft_dir, 'config.py'), ckpt] + work + options
    if stage.kind == 'export':
        src = stage.extra.get('checkpoint') or last_checkpoint(
            stage.extra['pretrain_dir'])
        if not src or ('://' not in src and not osp.isfile(src)):
            raise StageFailed(f'{stage.name}: no checkpoint to export '
                              f'({src})')
        return [
            src,
            osp.join(stage.work_dir, 'backbone.pth'), '--source',
            stage.extra.get('source', 'auto')
        ]
    if stage.kind == 'baseline':
        return [stage.config] + work + options
    if stage.kind == 'probe':
        backbone = stage.extra.get('backbone') or 'none'
        return [stage.config, '--backbone', backbone, '--seed',
                str(stage.seed)] + work + options
    raise ValueError(f'unknown stage kind {stage.kind!r}')


class StageProcess:
    """A running stage.

    Args:
        stage: the stage.
        resume: the checkpoint to resume an MMEngine run from (checked
            readable by the runner), or None.
        launcher, gpus, partition: how train/test stages start.
        threads: ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` of the stage.
        devices: ``CUDA_VISIBLE_DEVICES`` of the stage, if set.
    """

    def __init__(self,
                 stage: Stage,
                 resume: Optional[str],
                 launcher: str,
                 gpus: int,
                 partition: Optional[str],
                 threads: Optional[int] = None,
                 devices: Optional[str] = None):
        self.stage = stage
        self.cmd = stage_command(
            stage.kind,
            stage_args(stage, resume),
            launcher=launcher,
            gpus=gpus,
            partition=partition,
            job=stage.name.replace('/', '-'))
        distributed = launcher != 'none' and stage.kind in ('pretrain',
                                                            'finetune', 'test')
        self.processes = gpus if distributed else 1
        self.log_path = osp.join(stage.work_dir, 'stage.log')
        self.env = stage_env(threads, devices)
        self.threads = threads
        self.devices = devices
        self.proc: Optional[subprocess.Popen] = None
        self.start_time = 0.0

    def start(self) -> None:
        self._log = open(self.log_path, 'a')
        prefix = ''
        if self.threads is not None:
            prefix += (f'OMP_NUM_THREADS={self.threads} '
                       f'MKL_NUM_THREADS={self.threads} ')
        if self.devices is not None:
            prefix += f'CUDA_VISIBLE_DEVICES={self.devices} '
        self._log.write(f'$ {prefix}{quote(self.cmd)}\n')
        self._log.flush()
        self.start_time = time.time()
        self.proc = subprocess.Popen(
            with_parent_death_signal(self.cmd),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True)

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def poll(self) -> Optional[int]:
        code = self.proc.poll()
        if code is not None:
            self._log.close()
        return code

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def stop_all(processes: List[StageProcess], grace: float = 20.0) -> None:
    """SIGTERM every stage's process group, SIGKILL what is left after
    ``grace`` seconds, and wait for them."""
    for p in processes:
        p.signal_group(signal.SIGTERM)
    deadline = time.time() + grace
    for p in processes:
        try:
            p.proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.signal_group(signal.SIGKILL)
            p.proc.wait()
        # Whatever the stage started in its group and left behind.
        p.signal_group(signal.SIGKILL)
        p.poll()

"""Run a study: every stage through the same tools a user runs by hand.

Each stage is a subprocess (``tools/train.py``, ``tools/dist_train.sh``,
``tools/slurm_train.sh``, ``tools/export_backbone.py``, ``tools/test.py``),
so a study on one CPU, on 8 GPUs or on a Slurm cluster differs only in the
launcher. A stage is done when its ``DONE.json`` exists and records the same
fingerprint (config and options) and the same upstream results; a killed
stage is started again and resumes from its last MMEngine checkpoint.
"""
import json
import os
import os.path as osp
import random
import shlex
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from hpse_bench.utils.fileio import write_json
from .logs import last_checkpoint, read_test_metrics, read_val_curve, tail
from .spec import Stage, build_stages

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO_ROOT, 'tools')


def _format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f'{h:d}:{m:02d}:{s:02d}' if h else f'{m:d}:{s:02d}'


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


def _cfg_options_args(options: Dict) -> List[str]:
    if not options:
        return []
    args = ['--cfg-options']
    for key, value in _flatten(options).items():
        if isinstance(value, bool) or value is None:
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = '[' + ','.join(str(v) for v in value) + ']'
        args.append(f'{key}={value}')
    return args


class StageFailed(RuntimeError):
    pass


class Progress:
    """Cells done and left, the current stage, and the time left."""

    # Rough first guesses (s) until the study has timed a stage of a kind.
    DEFAULT_SECONDS = dict(pretrain=120.0, export=5.0, finetune=90.0,
                           test=20.0)

    def __init__(self, stages: List[Stage], done: Dict[str, bool], stream):
        self.stages = stages
        self.done = dict(done)
        self.stream = stream
        self.durations: Dict[str, List[float]] = {}
        self.current: Optional[Stage] = None
        self.current_start = 0.0
        self.current_log: Optional[str] = None
        self.started = time.time()
        self.interactive = stream.isatty()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def record_known(self, kind: str, seconds: float) -> None:
        self.durations.setdefault(kind, []).append(seconds)

    def _estimate(self, kind: str) -> float:
        if self.durations.get(kind):
            return sum(self.durations[kind]) / len(self.durations[kind])
        return self.DEFAULT_SECONDS.get(kind, 60.0)

    def eta(self) -> float:
        left = sum(
            self._estimate(s.kind) for s in self.stages
            if not self.done.get(s.name) and s is not self.current)
        if self.current is not None:
            elapsed = time.time() - self.current_start
            left += max(0.0, self._estimate(self.current.kind) - elapsed)
        return left

    def status_line(self) -> str:
        n_done = sum(1 for s in self.stages if self.done.get(s.name))
        line = (f'[{n_done}/{len(self.stages)} stages] '
                f'elapsed {_format_seconds(time.time() - self.started)}, '
                f'ETA {_format_seconds(self.eta())}')
        if self.current is not None:
            line += (f' | {self.current.name} '
                     f'({_format_seconds(time.time() - self.current_start)})')
            last = self._last_log_line()
            if last:
                line += f' | {last}'
        return line

    def _last_log_line(self) -> str:
        if not self.current_log:
            return ''
        text = tail(self.current_log, 5).strip().splitlines()
        for raw in reversed(text):
            raw = raw.strip()
            if 'Epoch(' in raw or 'Iter(' in raw:
                # MMEngine's progress line: keep it short.
                return raw[raw.find('Epoch(') if 'Epoch(' in raw else raw.
                           find('Iter('):][:90]
        return ''

    def start(self, stage: Stage, log_path: str) -> None:
        with self._lock:
            self.current = stage
            self.current_start = time.time()
            self.current_log = log_path
        self.print(f'>> {stage.name}')

    def finish(self, stage: Stage, seconds: float) -> None:
        with self._lock:
            self.done[stage.name] = True
            self.record_known(stage.kind, seconds)
            self.current = None
        self.print(f'   done in {_format_seconds(seconds)}; '
                   + self.status_line())

    def print(self, msg: str) -> None:
        with self._lock:
            if self.interactive:
                self.stream.write('\r\033[K')
            self.stream.write(msg + '\n')
            self.stream.flush()

    def _loop(self, period: float) -> None:
        last_plain = 0.0
        while not self._stop.wait(1.0 if self.interactive else 5.0):
            with self._lock:
                if self.current is None:
                    continue
                line = self.status_line()
                if self.interactive:
                    self.stream.write('\r\033[K' + line[:160])
                    self.stream.flush()
                elif time.time() - last_plain >= period:
                    self.stream.write(line + '\n')
                    self.stream.flush()
                    last_plain = time.time()

    def __enter__(self):
        self._thread = threading.Thread(
            target=self._loop, args=(30.0, ), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


class StudyRunner:
    """Runs (or resumes) every stage of a study config, then reports.

    Args:
        study_cfg: path of a study config (``configs/study/*.py``).
        launcher: ``'none'`` (one process per stage), ``'pytorch'``
            (``tools/dist_train.sh`` with ``gpus`` processes) or ``'slurm'``
            (``tools/slurm_train.sh`` on ``partition``).
        gpus: processes per train/test stage; overrides the study's ``gpus``.
        partition: Slurm partition for ``launcher='slurm'``.
        work_root: overrides the study's ``work_root``.
        stream: where progress goes (stdout by default).
    """

    def __init__(self,
                 study_cfg: str,
                 launcher: str = 'none',
                 gpus: Optional[int] = None,
                 partition: Optional[str] = None,
                 work_root: Optional[str] = None,
                 cfg_options: Optional[Dict] = None,
                 stream=None):
        if not osp.isfile(study_cfg):
            raise FileNotFoundError(f'study config not found: {study_cfg}')
        self.study_cfg_path = study_cfg
        self.cfg = Config.fromfile(study_cfg)
        if cfg_options:
            self.cfg.merge_from_dict(cfg_options)
        if work_root is not None:
            self.cfg.work_root = work_root
        if gpus is not None:
            self.cfg.gpus = gpus
        if launcher not in ('none', 'pytorch', 'slurm'):
            raise ValueError(f'unknown launcher "{launcher}"; use none, '
                             'pytorch or slurm')
        if launcher == 'slurm' and not partition:
            raise ValueError('--launcher slurm needs --partition')
        self.launcher = launcher
        self.partition = partition
        self.stream = stream or sys.stdout
        self.stages = build_stages(self.cfg)
        self.by_name = {s.name: s for s in self.stages}
        os.makedirs(self.cfg.work_root, exist_ok=True)

    # ------------------------------------------------------------------
    # bookkeeping
    def _done_record(self, stage: Stage) -> Optional[dict]:
        if not osp.isfile(stage.done_file):
            return None
        try:
            with open(stage.done_file) as f:
                return json.load(f)
        except (OSError, json.JSONDecodeError):
            return None

    def _upstream(self, stage: Stage) -> Dict[str, str]:
        out = {}
        for dep in stage.depends:
            rec = self._done_record(self.by_name[dep])
            out[dep] = rec['fingerprint'] + ':' + rec.get(
                'finished', '') if rec else ''
        return out

    def is_done(self, stage: Stage) -> bool:
        rec = self._done_record(stage)
        if rec is None:
            return False
        if rec.get('fingerprint') != stage.fingerprint():
            return False
        return rec.get('upstream', {}) == self._upstream(stage)

    # ------------------------------------------------------------------
    # commands
    def _train_cmd(self, stage: Stage, config: str, resume: bool) -> List:
        args = ['--work-dir', stage.work_dir]
        if resume:
            args.append('--resume')
        args += _cfg_options_args(stage.cfg_options)
        return self._launch('train', stage, [config], args)

    def _test_cmd(self, stage: Stage, config: str, checkpoint: str) -> List:
        args = ['--work-dir', stage.work_dir]
        args += _cfg_options_args(stage.cfg_options)
        return self._launch('test', stage, [config, checkpoint], args)

    def _launch(self, what: str, stage: Stage, positional: List[str],
                args: List[str]) -> List[str]:
        gpus = int(self.cfg.get('gpus', 1))
        if self.launcher == 'none':
            return [sys.executable, osp.join(TOOLS, f'{what}.py')
                    ] + positional + args
        if self.launcher == 'pytorch':
            # dist_train.sh CONFIG GPUS / dist_test.sh CONFIG CKPT GPUS
            return ['bash', osp.join(TOOLS, f'dist_{what}.sh')
                    ] + positional + [str(gpus)] + args
        job = stage.name.replace('/', '-')
        if what == 'train':
            # slurm_train.sh takes the work dir positionally.
            rest = list(args)
            i = rest.index('--work-dir')
            del rest[i:i + 2]
            return ['bash', osp.join(TOOLS, 'slurm_train.sh'),
                    self.partition, job, positional[0], stage.work_dir] + rest
        return ['bash', osp.join(TOOLS, 'slurm_test.sh'), self.partition, job
                ] + positional + args

    def _env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env['PYTHONPATH'] = REPO_ROOT + (
            os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
        if self.launcher == 'pytorch':
            env.setdefault('PORT', str(random.randint(20000, 40000)))
        if self.launcher == 'slurm':
            env['GPUS'] = str(self.cfg.get('gpus', 1))
        return env

    def _run(self, cmd: List[str], stage: Stage, log_path: str) -> None:
        with open(log_path, 'a') as log:
            log.write('$ ' + ' '.join(shlex.quote(c) for c in cmd) + '\n')
            log.flush()
            proc = subprocess.run(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=os.getcwd(),
                env=self._env())
        if proc.returncode != 0:
            raise StageFailed(
                f'stage {stage.name} failed (exit {proc.returncode}); '
                f'log: {log_path}\n--- last lines ---\n{tail(log_path)}')

    # ------------------------------------------------------------------
    # stages
    def _stage_config(self, stage: Stage) -> str:
        """Write the config a fine-tuning stage runs: the regressor's config
        with the exported backbone as initialisation."""
        path = osp.join(stage.work_dir, 'config.py')
        lines = [f'_base_ = [{osp.abspath(stage.config)!r}]']
        backbone = stage.extra.get('backbone')
        # No backbone: random initialisation, no pre-trained weights at all.
        inner = ('dict(init_cfg=dict(_delete_=True, type=\'Pretrained\', '
                 f'checkpoint={osp.abspath(backbone)!r}))'
                 if backbone else 'dict(init_cfg=None)')
        keys = stage.extra['backbone_key'].split('.')
        for key in reversed(keys[1:]):
            inner = f'dict({key}={inner})'
        lines.append(f'{keys[0]} = {inner}')
        text = '\n'.join(lines) + '\n'
        with open(path, 'w') as f:
            f.write(text)
        return path

    def run_stage(self, stage: Stage, progress: Progress) -> dict:
        os.makedirs(stage.work_dir, exist_ok=True)
        log_path = osp.join(stage.work_dir, 'stage.log')
        progress.start(stage, log_path)
        t0 = time.time()
        result: Dict = {}
        if stage.kind == 'pretrain':
            resume = last_checkpoint(stage.work_dir) is not None
            self._run(self._train_cmd(stage, stage.config, resume), stage,
                      log_path)
            ckpt = last_checkpoint(stage.work_dir)
            if ckpt is None:
                raise StageFailed(f'{stage.name}: training ended without a '
                                  f'checkpoint in {stage.work_dir}')
            result['checkpoint'] = ckpt
        elif stage.kind == 'export':
            src = stage.extra.get('checkpoint') or last_checkpoint(
                stage.extra['pretrain_dir'])
            if not src or not osp.isfile(src):
                raise StageFailed(f'{stage.name}: no checkpoint to export '
                                  f'({src})')
            out = osp.join(stage.work_dir, 'backbone.pth')
            cmd = [
                sys.executable,
                osp.join(TOOLS, 'export_backbone.py'), src, out, '--source',
                stage.extra.get('source', 'auto')
            ]
            self._run(cmd, stage, log_path)
            result['backbone'] = out
        elif stage.kind == 'finetune':
            config = self._stage_config(stage)
            resume = last_checkpoint(stage.work_dir) is not None
            self._run(self._train_cmd(stage, config, resume), stage, log_path)
            ckpt = last_checkpoint(stage.work_dir)
            if ckpt is None:
                raise StageFailed(f'{stage.name}: training ended without a '
                                  f'checkpoint in {stage.work_dir}')
            result['checkpoint'] = ckpt
            result['val_curve'] = read_val_curve(stage.work_dir)
        elif stage.kind == 'test':
            ft_dir = stage.extra['finetune_dir']
            ckpt = last_checkpoint(ft_dir)
            if ckpt is None:
                raise StageFailed(f'{stage.name}: fine-tuning left no '
                                  f'checkpoint in {ft_dir}')
            self._run(
                self._test_cmd(stage, osp.join(ft_dir, 'config.py'), ckpt),
                stage, log_path)
            metrics = read_test_metrics(stage.work_dir)
            if not metrics:
                raise StageFailed(f'{stage.name}: no test metrics in the '
                                  f'logs under {stage.work_dir}')
            result['metrics'] = metrics
        else:
            raise ValueError(stage.kind)
        seconds = time.time() - t0
        record = dict(
            stage=stage.name,
            kind=stage.kind,
            fingerprint=stage.fingerprint(),
            upstream=self._upstream(stage),
            finished=time.strftime('%Y-%m-%dT%H:%M:%S'),
            seconds=seconds,
            gpus=int(self.cfg.get('gpus', 1)),
            launcher=self.launcher,
            method=stage.method,
            regressor=stage.regressor,
            fraction=stage.fraction,
            seed=stage.seed,
            config=stage.config,
            cfg_options=stage.cfg_options,
            result=result)
        write_json(stage.done_file, record, default=str)
        progress.finish(stage, seconds)
        return record

    def run(self, report: bool = True) -> Dict[str, dict]:
        done = {s.name: self.is_done(s) for s in self.stages}
        n_done = sum(done.values())
        self._print(f'study {self.cfg.get("study_name", "")}: '
                    f'{len(self.stages)} stages, {n_done} already done, '
                    f'work root {self.cfg.work_root}')
        records: Dict[str, dict] = {}
        with Progress(self.stages, done, self.stream) as progress:
            for s in self.stages:
                rec = self._done_record(s)
                if done[s.name] and rec:
                    progress.record_known(s.kind, rec.get('seconds', 0.0))
            for stage in self.stages:
                if done[stage.name]:
                    records[stage.name] = self._done_record(stage)
                    continue
                records[stage.name] = self.run_stage(stage, progress)
                done[stage.name] = True
        if report:
            from .report import write_reports
            paths = write_reports(self.cfg, self.stages, records,
                                  self.study_cfg_path)
            self._print(paths['summary'])
        return records

    def _print(self, msg: str) -> None:
        self.stream.write(msg + '\n')
        self.stream.flush()

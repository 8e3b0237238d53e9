"""Run a study: every stage through the entry points a user runs by hand.

Each stage is a child process (``python -m hpse_bench.apis.train|test|
export_backbone|baselines|probe``, under torchrun or srun for distributed
launchers; see :mod:`.commands`), so a study on one CPU, on 8 GPUs or on a
Slurm cluster differs only in the launcher.

When a stage comes up (its parents done), its fingerprint is computed
(:mod:`.fingerprint`: resolved config, data and parent hashes, code
version). It is done when its ``DONE.json`` records that fingerprint and
agrees with its logs (:mod:`.records`). A stage whose fingerprint changed
runs again from scratch, its old folder moved under ``.stale/``; a stage
killed mid-run resumes from its last checkpoint only when it was started
with the current fingerprint and the checkpoint is readable. One study
process per work root (:mod:`.workroot`).
"""
import json
import os
import os.path as osp
import signal
import sys
import threading
import time
from typing import Dict, List, Optional

from hpse_bench.utils.compat import cuda_available
from hpse_bench.utils.fileio import write_json
from .commands import quote
from .fingerprint import code_version
from .logs import tail
from .progress import Progress
from .records import StageOutputError, result_from_files
from .spec import Stage, build_stages
from .stage_process import StageFailed, StageProcess, stop_all
from .stage_state import RECORD_FORMAT, Decision, StageStates
from .study_config import StudyConfigError, load_study, parallel_settings
from .workroot import clear, has_content, move_aside, study_lock, write_marker

__all__ = ['StudyRunner', 'StageFailed', 'StudyInterrupted']


class StudyInterrupted(Exception):
    """SIGINT or SIGTERM stopped the study (and its running stages)."""

    def __init__(self, signum: int, stopped: Optional[List[str]] = None):
        self.signum = signum
        self.stopped = stopped or []
        super().__init__(f'interrupted by {signal.Signals(signum).name}')


class StudyRunner:
    """Runs (or resumes) every stage of a study config, then reports.

    Args:
        study_cfg: path of a study config (``configs/study/*.py``).
        launcher: ``'none'``, ``'pytorch'`` (torchrun, ``gpus`` processes)
            or ``'slurm'`` (srun on ``partition``).
        gpus: processes per train/test stage; overrides the study's ``gpus``.
        partition: Slurm partition for ``launcher='slurm'``.
        work_root: overrides the study's ``work_root``.
        cfg_options: overrides of study keys (dotted keys).
        profile: the study profile to apply (default: by the device).
        workers: stages run at once; overrides ``parallel.workers``.
        stream: where progress goes (stdout by default).
    """

    def __init__(self,
                 study_cfg: str,
                 launcher: str = 'none',
                 gpus: Optional[int] = None,
                 partition: Optional[str] = None,
                 work_root: Optional[str] = None,
                 cfg_options: Optional[Dict] = None,
                 profile: Optional[str] = None,
                 workers: Optional[int] = None,
                 stream=None):
        if not osp.isfile(study_cfg):
            raise FileNotFoundError(f'study config not found: {study_cfg}')
        if launcher not in ('none', 'pytorch', 'slurm'):
            raise StudyConfigError(f'unknown launcher "{launcher}"; use '
                                   'none, pytorch or slurm')
        if launcher == 'slurm' and not partition:
            raise StudyConfigError('--launcher slurm needs --partition')
        self.study_cfg_path = study_cfg
        self.cuda = cuda_available()
        self.cfg, self.profile = load_study(study_cfg, cfg_options, profile,
                                            self.cuda)
        if work_root is not None:
            self.cfg.work_root = work_root
        if gpus is not None:
            self.cfg.gpus = gpus
        self.launcher = launcher
        self.partition = partition
        self.stream = stream or sys.stdout
        self.stages = build_stages(self.cfg)
        self.by_name = {s.name: s for s in self.stages}
        self.parallel = parallel_settings(self.cfg, self.cuda)
        if workers is not None:
            if workers < 1:
                raise StudyConfigError(f'workers: expected >= 1, got '
                                       f'{workers}')
            self.parallel['workers'] = workers
        self.states = StageStates(self.cfg.work_root,
                                  self.cfg.get('code_version'))
        self._signal: Optional[int] = None
        self._critical = False

    # ------------------------------------------------------------------
    # public API
    def run(self, report: bool = True) -> Dict[str, dict]:
        """Run every stage not done; returns the records of all stages.

        Raises:
            StudyLocked: another study process holds the work root.
            StudyIntegrityError: a ``DONE.json`` disagrees with its logs.
            StageFailed: a stage failed (the others that were running are
                left to finish).
            StudyInterrupted: SIGINT / SIGTERM; running stages were
                stopped and resume on the next run.
        """
        self.states.check_configs(self.stages)
        with study_lock(self.cfg.work_root):
            self.states.check_records(self.stages)
            records = self._run_stages()
            if report:
                self._print(self.write_reports(records)['summary'])
        return records

    def records(self, prepare: bool = False) -> Dict[str, dict]:
        """Records of the finished stages whose fingerprints are current,
        their results rebuilt from the stages' logs and files.

        Raises:
            StudyIntegrityError: a ``DONE.json`` disagrees with its logs.
        """
        out: Dict[str, dict] = {}
        for stage in self.stages:
            if all(d in out for d in stage.depends):
                decision = self.states.decide(stage, prepare=prepare)
                if decision.record is not None:
                    out[stage.name] = decision.record
        return out

    def is_done(self, stage: Stage) -> bool:
        return stage.name in self.records()

    def write_reports(self,
                      records: Optional[Dict[str, dict]] = None
                      ) -> Dict[str, str]:
        """Write the study's tables and plots from the finished stages."""
        from .reports import write_reports
        if records is None:
            records = self.records()
        paths = write_reports(self.cfg, self.stages, records,
                              self.study_cfg_path)
        # What the report module does not know of: how the stages ran.
        with open(paths['provenance']) as f:
            prov = json.load(f)
        prov.update(profile=self.profile,
                    code_version=self.cfg.get('code_version') or
                    code_version(),
                    parallel=self.parallel, launcher=self.launcher)
        for name, rec in records.items():
            prov['stages'].get(name, {}).update(
                profile=rec.get('profile'), command=rec.get('command'))
        write_json(paths['provenance'], prov, default=str)
        return paths

    def report(self) -> Dict[str, str]:
        """Rebuild the reports from the finished stages (under the work
        root's lock, so that no study changes them meanwhile)."""
        with study_lock(self.cfg.work_root):
            return self.write_reports()

    # ------------------------------------------------------------------
    # running
    def _workers_and_devices(self) -> tuple:
        workers = self.parallel['workers']
        devices = None
        if self.cuda and workers > 1 and self.launcher == 'none':
            import torch
            count = torch.cuda.device_count()
            devices = [str(i % count) for i in range(workers)]
        return workers, devices

    def _launch(self, stage: Stage, decision: Decision, slot: int,
                devices, progress: Progress) -> StageProcess:
        if decision.reason:
            progress.print(f'   {stage.name}: {decision.reason}')
        if not decision.resume and has_content(stage.work_dir):
            if decision.restart:
                clear(stage.work_dir)
            else:
                dest = move_aside(stage.work_dir, self.cfg.work_root)
                progress.print(f'   {stage.name}: previous folder moved to '
                               f'{dest}')
        os.makedirs(stage.work_dir, exist_ok=True)
        process = StageProcess(stage, decision.resume, self.launcher,
                               int(self.cfg.get('gpus', 1)), self.partition,
                               self.parallel['threads_per_stage'],
                               devices[slot] if devices else None)
        process.slot = slot
        process.parts = decision.parts
        write_marker(stage.work_dir, stage=stage.name,
                     fingerprint=decision.parts['id'], pid=None,
                     started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                     command=process.cmd)
        progress.start(stage.name, process.log_path)
        self._critical = True  # a signal now must not orphan the child
        try:
            process.start()
            write_marker(stage.work_dir, stage=stage.name,
                         fingerprint=decision.parts['id'], pid=process.pid,
                         started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                         command=process.cmd)
        finally:
            self._critical = False
        return process

    def _finish(self, process: StageProcess) -> dict:
        stage = process.stage
        try:
            result = result_from_files(stage, self.states.hashes)
        except StageOutputError as e:
            raise StageFailed(f'{e}; log: {process.log_path}') from None
        end = time.time()
        record = dict(
            format=RECORD_FORMAT,
            stage=stage.name,
            kind=stage.kind,
            method=stage.method,
            regressor=stage.regressor,
            fraction=stage.fraction,
            seed=stage.seed,
            fingerprint=process.parts['id'],
            fingerprint_parts=process.parts,
            profile=self.profile,
            result=result,
            seconds=end - process.start_time,
            start_time=process.start_time,
            end_time=end,
            finished=time.strftime('%Y-%m-%dT%H:%M:%S'),
            command=quote(process.cmd),
            gpus=process.processes,
            launcher=self.launcher,
            threads=process.threads,
            config=stage.config,
            cfg_options=stage.cfg_options)
        write_json(stage.done_file, record, default=str)
        return json.loads(json.dumps(record, default=str))

    def _on_signal(self, signum, frame) -> None:
        self._signal = signum
        if not self._critical:
            raise StudyInterrupted(signum)

    def _run_stages(self) -> Dict[str, dict]:
        workers, devices = self._workers_and_devices()
        threads = self.parallel['threads_per_stage']
        self._signal = None
        self._print(
            f'study {self.cfg.get("study_name", "")}: {len(self.stages)} '
            f'stages, work root {self.cfg.work_root}, profile '
            f'{self.profile or "-"}; up to {workers} at a time' +
            (f', {threads} thread(s) each' if threads else ''))
        progress = Progress([(s.name, s.kind) for s in self.stages], workers,
                            self.stream)
        state = dict(pending=list(self.stages), running={}, records={},
                     failures=[], reused=0)
        main = threading.current_thread() is threading.main_thread()
        previous = {}
        if main:
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            self._loop(state, workers, devices, progress)
        except StudyInterrupted as e:
            e.stopped = sorted(state['running'])
            raise
        finally:
            self._critical = True
            if state['running']:
                progress.print('stopping ' +
                               ', '.join(sorted(state['running'])))
                stop_all(list(state['running'].values()))
            self._critical = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if state['failures']:
            raise StageFailed('\n\n'.join(state['failures']))
        self._print(f'study {self.cfg.get("study_name", "")}: '
                    f'{len(self.stages)} stages, {state["reused"]} already '
                    f'done, {len(state["records"]) - state["reused"]} run')
        return {
            s.name: state['records'][s.name]
            for s in self.stages if s.name in state['records']
        }

    def _loop(self, state: dict, workers: int, devices,
              progress: Progress) -> None:
        pending, running, records = (state['pending'], state['running'],
                                     state['records'])
        while True:
            if self._signal is not None:
                raise StudyInterrupted(self._signal)
            for stage in list(pending):
                if state['failures'] or len(running) >= workers:
                    break
                if any(d not in records for d in stage.depends):
                    continue
                pending.remove(stage)
                decision = self.states.decide(stage)
                if decision.record is not None:
                    records[stage.name] = decision.record
                    state['reused'] += 1
                    progress.mark_done(stage.name)
                    progress.record_known(stage.kind,
                                          decision.record.get('seconds', 0.0))
                    continue
                busy = {p.slot for p in running.values()}
                slot = min(set(range(workers)) - busy)
                try:
                    running[stage.name] = self._launch(
                        stage, decision, slot, devices, progress)
                except StageFailed as e:
                    progress.stop(stage.name)
                    state['failures'].append(str(e))
            if not running:
                return
            time.sleep(0.5)
            for name, process in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                del running[name]
                if code != 0:
                    progress.stop(name)
                    state['failures'].append(
                        f'stage {name} failed (exit {code}); log: '
                        f'{process.log_path}\n--- last lines ---\n'
                        f'{tail(process.log_path)}')
                    progress.print(f'!! {name} failed (exit {code}); '
                                   'waiting for the running stages')
                    continue
                try:
                    records[name] = self._finish(process)
                    progress.finish(name, records[name]['seconds'])
                except StageFailed as e:
                    progress.stop(name)
                    state['failures'].append(str(e))
            progress.tick()

    def _print(self, msg: str) -> None:
        self.stream.write(msg + '\n')
        self.stream.flush()

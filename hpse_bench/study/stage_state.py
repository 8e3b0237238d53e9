"""Whether a stage is done, must resume, or must run again from scratch.

Decided when the stage comes up (its parents done), from its current
fingerprint (:mod:`.fingerprint`), its ``DONE.json`` checked against its
logs (:mod:`.records`) and the marker of an unfinished run
(:mod:`.workroot`):

- ``DONE.json`` with the current fingerprint, agreeing with the logs and
  with intact outputs: done (its result read from the logs);
- ``DONE.json`` with another fingerprint, or outputs that changed since:
  run from scratch (the old folder is moved under ``.stale/``);
- no ``DONE.json``, a marker of the current fingerprint and a readable
  last checkpoint: resume; an unreadable checkpoint: run from scratch,
  saying why (the checkpoint loader's message, which names the file);
- anything else in the folder: run from scratch.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

from mmengine.config import Config

from .fingerprint import (FileHashes, StageConfigs, changed_parts,
                          data_digests, fingerprint)
from .logs import iteration_logging_problems, last_checkpoint
from .records import check_record, read_done
from .spec import Stage
from .study_config import StudyConfigError
from .workroot import has_content, read_marker

#: Version of the DONE.json layout.
RECORD_FORMAT = 2


@dataclass
class Decision:
    """What to do with a stage that came up."""
    parts: dict  # the stage's fingerprint (see fingerprint.fingerprint)
    record: Optional[dict] = None  # set: done, with its result from logs
    resume: Optional[str] = None  # the checkpoint to resume from
    restart: bool = False  # an unfinished run of this fingerprint: clear it
    reason: str = ''  # why it (re-)runs, for the progress stream


def unreadable_checkpoint(ckpt: str) -> Optional[str]:
    """The checkpoint loader's message when ``ckpt`` cannot be read."""
    from hpse_bench.checkpoint import load_checkpoint_file
    try:
        load_checkpoint_file(ckpt)
    except Exception as e:  # noqa: BLE001 - reported, then the stage re-runs
        return f'{type(e).__name__}: {e}'
    return None


class StageStates:
    """Fingerprints and decisions for the stages of one study.

    Args:
        work_root: the study's work root (holds the file-hash cache).
        code: the study's pinned ``code_version``, or None for the
            installed sources' (see :mod:`.fingerprint`).
    """

    def __init__(self, work_root: str, code: Optional[str] = None):
        self.code = code
        self.hashes = FileHashes(osp.join(work_root, '.file_hashes.json'))
        self.configs = StageConfigs()
        self._prepared: Dict[str, bool] = {}

    # ------------------------------------------------------------------
    # checks before a study runs
    def check_configs(self, stages: List[Stage]) -> None:
        """Config files exist, options pass the command line unchanged,
        iteration-based runs log what the study reads.

        Raises:
            StudyConfigError: listing every stage that cannot run.
        """
        problems: List[str] = []
        for stage in stages:
            if not stage.config:
                continue
            if not osp.isfile(stage.config):
                problems.append(f'{stage.name}: config file {stage.config} '
                                'does not exist')
                continue
            try:
                cfg = self.configs.resolve(stage, 'pending')
            except ValueError as e:
                problems.append(str(e))
                continue
            if stage.trains:
                problems += [
                    f'{stage.name}: {p}'
                    for p in iteration_logging_problems(cfg)
                ]
        if problems:
            raise StudyConfigError('stages that cannot run as configured:\n'
                                   '  ' + '\n  '.join(problems))

    def check_records(self, stages: List[Stage]) -> None:
        """Raise :class:`.records.StudyIntegrityError` when any finished
        stage's record disagrees with its logs (before anything runs)."""
        for stage in stages:
            record, _ = read_done(stage)
            if record and record.get('format') == RECORD_FORMAT:
                check_record(stage, record, self.hashes)

    # ------------------------------------------------------------------
    # fingerprints
    def _parent(self, stage: Stage) -> Dict[str, Optional[str]]:
        """The SHA-256 of the parent's output the stage reads."""
        sha = self.hashes.sha256
        if stage.kind == 'export':
            src = stage.extra.get('checkpoint') or last_checkpoint(
                stage.extra['pretrain_dir'])
            if src and '://' in src:
                return dict(checkpoint=src)  # a published name
            return dict(checkpoint=sha(src) if src else None)
        if stage.kind == 'test':
            ckpt = last_checkpoint(stage.extra['finetune_dir'])
            return dict(checkpoint=sha(ckpt) if ckpt else None)
        if stage.kind in ('finetune', 'probe') and stage.extra.get('backbone'):
            return dict(backbone=sha(stage.extra['backbone']))
        return {}

    def _prepare_data(self, cfg: Config) -> None:
        """Provide the synthetic data a stage asks for before hashing their
        manifest (the call the stage itself makes first; it returns at once
        when the data are complete)."""
        spec = cfg.get('synthetic_data')
        if not spec:
            return
        key = json.dumps(spec.to_dict(), sort_keys=True, default=str)
        if not self._prepared.get(key):
            from hpse_bench.apis.launch import prepare_synthetic_data
            prepare_synthetic_data(cfg)
            self._prepared[key] = True

    def fingerprint(self, stage: Stage, prepare: bool) -> dict:
        """The stage's fingerprint now (its parents must be done)."""
        parent = self._parent(stage)
        cfg, data = None, {}
        if stage.config:
            backbone = (
                self.hashes.sha256(stage.extra['backbone'])
                if stage.extra.get('backbone') else None)
            cfg = self.configs.resolve(stage, backbone)
            if prepare:
                self._prepare_data(cfg)
            data = data_digests(cfg, self.hashes)
        return fingerprint(stage, cfg, parent, data, self.code)

    # ------------------------------------------------------------------
    def decide(self, stage: Stage, prepare: bool = True) -> Decision:
        """Done, resume, or run from scratch (see module doc).

        Args:
            stage: a stage whose parents are done.
            prepare: provide missing synthetic data first (a run); a
                report only reads.

        Raises:
            StudyIntegrityError: its ``DONE.json`` disagrees with its logs.
        """
        parts = self.fingerprint(stage, prepare)
        record, unreadable = read_done(stage)
        if record is not None:
            if record.get('fingerprint') == parts['id']:
                result, why = check_record(stage, record, self.hashes)
                if result is not None:
                    return Decision(parts, record=dict(record, result=result))
                return Decision(parts, reason=why)
            return Decision(
                parts,
                reason='changed (' + changed_parts(
                    record.get('fingerprint_parts') or {}, parts) +
                '); running it again from scratch')
        if unreadable:
            return Decision(parts, reason=unreadable)
        marker = read_marker(stage.work_dir)
        if not marker or marker.get('fingerprint') != parts['id']:
            if has_content(stage.work_dir):
                return Decision(parts, reason='its folder holds a run of '
                                'another fingerprint')
            return Decision(parts)
        ckpt = last_checkpoint(stage.work_dir) if stage.trains else None
        if ckpt is None:
            return Decision(
                parts, restart=True, reason='restarting an unfinished run')
        problem = unreadable_checkpoint(ckpt)
        if problem:
            return Decision(
                parts,
                reason=f'cannot resume from {ckpt}: {problem}; running it '
                'again from scratch')
        return Decision(parts, resume=ckpt, reason=f'resuming from {ckpt}')

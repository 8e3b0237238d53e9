"""A stage's result, read from its own files, and its ``DONE.json`` checked
against them.

The tables are rebuilt from the stages' logs and output files, never from
``DONE.json`` alone: a record whose numbers disagree with the log of the
run it describes is refused (:class:`StudyIntegrityError`). The study then
stops rather than re-running the stage: the runner cannot tell which of the
two numbers is true (an edited record, or a run folder replaced after the
run finished), and re-running would silently discard the evidence. The
message names both values and the two ways out (restore the record, or
delete it to re-run the stage).

Output files are different: a checkpoint or backbone whose SHA-256 is no
longer the recorded one (truncated by a full disk, deleted) only means the
stage must run again, which the runner does from scratch.
"""
import json
import math
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

from .fingerprint import FileHashes
from .logs import (last_checkpoint, read_test_metrics, read_val_curve,
                   val_curve_unit)
from .spec import Stage

#: The JSON file a baseline / probe stage writes into its work dir.
RESULT_FILES = dict(baseline='baselines.json', probe='probe.json')
#: Result keys of output files' digests (a mismatch re-runs the stage).
FILE_KEYS = ('checkpoint_sha256', 'backbone_sha256')
#: Result keys of output paths: not compared (a moved work root keeps its
#: results); the files are identified by their digests.
PATH_KEYS = ('checkpoint', 'backbone')


class StudyIntegrityError(RuntimeError):
    """A ``DONE.json`` disagrees with the logs of the run it records."""


class StageOutputError(RuntimeError):
    """A stage's output files are missing or unreadable."""


def read_done(stage: Stage) -> Tuple[Optional[dict], Optional[str]]:
    """``(record, None)``, ``(None, None)`` when there is no record, or
    ``(None, why)`` when the file is unreadable."""
    if not osp.isfile(stage.done_file):
        return None, None
    try:
        with open(stage.done_file) as f:
            record = json.load(f)
        if not isinstance(record, dict):
            raise ValueError('not a JSON object')
        return record, None
    except (OSError, ValueError) as e:
        return None, f'{stage.done_file} is unreadable ({e})'


def _checkpoint(work_dir: str, what: str, hashes: FileHashes) -> Dict:
    ckpt = last_checkpoint(work_dir)
    if ckpt is None:
        raise StageOutputError(f'{what}: no checkpoint in {work_dir} (its '
                               '"last_checkpoint" names no existing file)')
    return dict(checkpoint=ckpt, checkpoint_sha256=hashes.sha256(ckpt))


def _json_result(stage: Stage) -> Dict:
    path = osp.join(stage.work_dir, RESULT_FILES[stage.kind])
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise StageOutputError(f'{stage.name}: {path} was not written')
    except (OSError, ValueError) as e:
        raise StageOutputError(f'{stage.name}: {path} is unreadable ({e})')


def result_from_files(stage: Stage, hashes: FileHashes) -> Dict[str, Any]:
    """The stage's result as its logs and output files give it.

    Raises:
        StageOutputError: an output the result needs is missing.
    """
    if stage.kind == 'pretrain':
        return _checkpoint(stage.work_dir, stage.name, hashes)
    if stage.kind == 'export':
        out = osp.join(stage.work_dir, 'backbone.pth')
        digest = hashes.sha256(out)
        if digest is None:
            raise StageOutputError(f'{stage.name}: {out} was not written')
        return dict(backbone=out, backbone_sha256=digest)
    if stage.kind == 'finetune':
        result = _checkpoint(stage.work_dir, stage.name, hashes)
        result['val_curve'] = read_val_curve(stage.work_dir)
        result['val_curve_unit'] = val_curve_unit(stage.work_dir)
        return result
    if stage.kind == 'test':
        metrics = read_test_metrics(stage.work_dir)
        if not metrics:
            raise StageOutputError(f'{stage.name}: no test metrics in the '
                                   f'logs under {stage.work_dir}')
        return dict(metrics=metrics)
    if stage.kind in RESULT_FILES:
        return _json_result(stage)
    raise ValueError(f'unknown stage kind {stage.kind!r}')


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def differences(recorded: Any, logged: Any, prefix: str = '') -> List[tuple]:
    """``[(key path, recorded, logged)]`` where two JSON values differ."""
    if isinstance(recorded, dict) and isinstance(logged, dict):
        out = []
        for key in sorted(set(recorded) | set(logged), key=str):
            out += differences(
                recorded.get(key), logged.get(key), f'{prefix}{key}.')
        return out
    if isinstance(recorded, list) and isinstance(logged, list) and len(
            recorded) == len(logged):
        out = []
        for i, (a, b) in enumerate(zip(recorded, logged)):
            out += differences(a, b, f'{prefix}{i}.')
        return out
    if _same(recorded, logged):
        return []
    return [(prefix.rstrip('.'), recorded, logged)]


def check_record(stage: Stage, record: dict,
                 hashes: FileHashes) -> Tuple[Optional[dict], Optional[str]]:
    """Check a ``DONE.json`` against the stage's files.

    Returns:
        ``(result from the files, None)`` when they agree;
        ``(None, why)`` when an output file is missing or changed (the
        stage must run again).

    Raises:
        StudyIntegrityError: a recorded number disagrees with the log.
    """
    try:
        logged = result_from_files(stage, hashes)
    except StageOutputError as e:
        return None, str(e)
    # Round-trip through JSON, as the record went.
    logged = json.loads(json.dumps(logged, default=str))
    recorded = dict(record.get('result') or {})
    for key in PATH_KEYS:
        recorded.pop(key, None)
    diffs = differences(
        recorded, {k: v
                   for k, v in logged.items() if k not in PATH_KEYS})
    files = [d for d in diffs if d[0].split('.')[0] in FILE_KEYS]
    numbers = [d for d in diffs if d not in files]
    if numbers:
        lines = [
            f'  result.{key}: {rec!r} in DONE.json, {log!r} in the logs'
            for key, rec, log in numbers[:10]
        ]
        raise StudyIntegrityError(
            f'{stage.done_file} disagrees with the logs of its run in '
            f'{stage.work_dir}:\n' + '\n'.join(lines) + '\nThe tables are '
            'built from the logs, so this record is refused. Restore the '
            'record, or delete it to run the stage again.')
    if files:
        key, rec, log = files[0]
        return None, (f'its output changed since it finished ({key}: '
                      f'{rec} recorded, {log} now)')
    return logged, None

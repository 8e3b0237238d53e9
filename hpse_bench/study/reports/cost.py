"""What each pre-training cost: measured wall time and device-hours, and
the annotation it needed under the paper's annotation-time model (Choi et
al., Table 5: 7 s per person for a box, 42.8 s for a box and 2D pose).

Annotated people are those the run trained on: the people of the run's
own training set (its resolved config, as MMEngine dumped it into the run
folder: annotation file, ``indices``, ``fraction``), not every person of
the annotation file.
"""
import functools
import glob
import math
import os
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config

from hpse_bench.datasets.coco_annotations import load_coco_json
from ..compute_budget import device_hours
from .results import StudyResults
from .stats import summarize
from .tables import Cell, Column, Row, Table, clock

#: Seconds of annotation per person (the paper's model).
ANNOTATION_SECONDS = {'none': 0.0, 'bbox': 7.0, 'bbox+pose': 42.8}


def count_persons(ann_file: str, min_keypoints: int = 1) -> int:
    """People of a COCO-style file a person-crop dataset reads: not crowd,
    at least ``min_keypoints`` labelled keypoints (when the file counts
    them)."""
    st = os.stat(ann_file)
    return _count_persons(
        osp.realpath(ann_file), st.st_size, st.st_mtime_ns, min_keypoints)


@functools.lru_cache(maxsize=16)
def _count_persons(path: str, size: int, mtime_ns: int,
                   min_keypoints: int) -> int:
    # Methods pre-trained on one file (a full COCO file is large) read it
    # once; size and mtime make a rewritten file count again.
    coco = load_coco_json(path)
    return sum(1 for a in coco['annotations'] if not a.get('iscrowd', 0)
               and a.get('num_keypoints', min_keypoints) >= min_keypoints)


def dataset_people(spec: dict) -> Optional[int]:
    """People of a dataset config as the dataset selects them: the
    annotation file's people, cut by ``fraction`` (first) and ``indices``
    (an int keeps the first N, a list its entries); wrappers are
    unwrapped, concatenations summed. None for a dataset that is not a
    COCO-style JSON file or whose file is missing."""
    if 'datasets' in spec:
        counts = [dataset_people(dict(d)) for d in spec['datasets']]
        return None if any(c is None for c in counts) else sum(counts)
    if 'dataset' in spec:  # RepeatDataset and friends: same people
        return dataset_people(dict(spec['dataset']))
    ann_file = spec.get('ann_file')
    if not ann_file or not str(ann_file).endswith('.json'):
        return None
    root = spec.get('data_root') or ''
    path = ann_file if osp.isabs(ann_file) else osp.join(root, ann_file)
    if not osp.isfile(path):
        return None
    people = count_persons(path, int(spec.get('min_keypoints', 1) or 1))
    fraction = spec.get('fraction')
    if fraction is not None and fraction < 1:
        people = int(round(fraction * people))
    indices = spec.get('indices')
    if isinstance(indices, int):
        people = min(people, abs(indices))
    elif indices is not None:
        people = len(indices)
    return people


def run_config(work_dir: str) -> Optional[Config]:
    """The config a training run resolved, as MMEngine's visualizer dumped
    it (``<timestamp>/vis_data/config.py``; the newest run)."""
    dumps = sorted(
        glob.glob(osp.join(work_dir, '2*', 'vis_data', 'config.py')))
    return Config.fromfile(dumps[-1]) if dumps else None


def people_used(res: StudyResults, method: str) -> Tuple[Optional[int], str]:
    """``(people, where they were counted)`` for a method's annotation.

    ``annotated_persons`` in the method's study entry wins; then the
    training set of its first finished pre-training run; then the whole
    ``annotation_file`` of the entry.
    """
    spec = res.cfg.pretrain[method]
    if spec.get('annotated_persons') is not None:
        return int(spec['annotated_persons']), 'study config'
    for stage, _ in res.stage_records('pretrain', method=method):
        cfg = run_config(stage.work_dir)
        if cfg is not None and cfg.get('train_dataloader'):
            people = dataset_people(dict(cfg.train_dataloader.dataset))
            if people is not None:
                return people, 'the run\'s training set'
    if spec.get('annotation_file') and osp.isfile(spec['annotation_file']):
        return count_persons(spec['annotation_file']), 'whole annotation file'
    return None, '-'


def _hours(value: float) -> str:
    return '-' if not math.isfinite(value) else f'{value:.3f}'


def cost_table(res: StudyResults) -> Table:
    """Wall time and device-hours of each pre-training (mean ± std over
    seeds), and its annotation."""
    table = Table(
        'cost', '', ['initialisation', 'annotation', 'people counted from'], [
            Column('seconds', 'pre-training wall time', None, fmt=clock),
            Column('device_hours', 'device-hours', None, fmt=_hours),
            Column('people', 'annotated people', None, 0),
            Column('annotation_hours', 'annotation time (h)', None, 2),
        ])
    for m in res.methods:
        spec = res.cfg.pretrain[m]
        recs = res.stage_records('pretrain', method=m)
        kind = spec.get('annotation', 'none')
        people, source = people_used(res, m)
        # Only a box and a box + 2D pose have a time in the paper's model.
        seconds = ANNOTATION_SECONDS.get(kind)
        hours = (
            seconds * people / 3600 if people is not None
            and seconds is not None else 0.0 if kind == 'none' else None)
        table.rows.append(
            Row('method', [res.label(m), kind, source], [
                Cell.of(
                    summarize({
                        s.seed: r.get('seconds')
                        for s, r in recs
                    })),
                Cell.of(summarize({
                    s.seed: device_hours(r)
                    for s, r in recs
                })),
                Cell.constant(people),
                Cell.constant(hours),
            ], dict(method=m)))
    table.caption = (
        'Measured pre-training wall time and device-hours (wall time x '
        'devices), mean ± std over seeds. Annotated people: those in the '
        'pre-training run\'s own training set (its annotation file cut to '
        'its indices / fraction), each annotated once however many epochs '
        'see it. Annotation time uses the paper\'s model: 7 s per person '
        'for a box, 42.8 s for a box and 2D pose; other annotations have no '
        'time in it (-).')
    return table

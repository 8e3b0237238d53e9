import logging
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from hpse_bench.registry import METRICS
from hpse_bench.structures.conventions import H36M_17, H36M_TO_MPI17
from ..functional import (AUC_THRESHOLDS_MM, MUPOTS_MATCH_THRESHOLD_PX,
                          PCK_THRESHOLD_MM, mupots_3dpck, mupots_image_errors,
                          mupots_scored_mask)
from ._data_sample import (check_finite, describe, get_field, get_meta,
                           sample_as_dict)
from ._evaluate import evaluate_metric

_KEYS = ('pck_all', 'auc_all', 'pck_matched', 'auc_matched')


@METRICS.register_module()
class MuPoTSMetric(BaseMetric):
    """MuPoTS-3D 3DPCK and AUC by the official multi-person protocol.

    Mehta et al., "Single-Shot Multi-Person 3D Pose Estimation From
    Monocular RGB", 3DV 2018; the protocol of
    ``mpii_mupots_multiperson_eval.m``, implemented and documented in
    :mod:`hpse_bench.evaluation.functional.mupots` and
    ``docs/evaluation.md``: per frame, predictions are matched to annotated
    people in 2D (40 px per axis on 13 joints, all annotated joints
    visible, greedy in annotation order, most matching joints wins), the
    matched prediction is made relative to its pelvis and its bones
    rescaled to the ground truth's along the MPI-INF-3DHP 17-joint tree, and
    14 joints are scored at 150 mm, per sequence.

    Each data sample is one annotated person with its prediction (top-down
    models predict one person per crop). The people of one frame are those
    with the same metainfo ``sequence`` and ``image_id`` (frame numbers
    repeat across sequences), in ``sample_idx`` order (the annotation order
    of the greedy matching). A person whose ``gt_keypoints3d`` confidences
    are all 0 is not annotated: it is not scored, but its prediction can
    still be matched.

    Fields read (``docs/data_contract.md``, H36M-17, converted to the
    official 17 joints by ``H36M_TO_MPI17``): ``pred_keypoints2d_img``
    (17, 2|3) and ``gt_keypoints2d_img`` (17, 3), original-image pixels;
    ``pred_keypoints3d`` (17, 3) and ``gt_keypoints3d`` (17, 4), metres;
    metainfo ``image_id``, ``sample_idx`` and, for per-sequence values,
    ``sequence``.

    Reported (percent): ``pck_all``, ``auc_all`` (every annotated person; an
    unmatched one counts as 14 wrong joints) and ``pck_matched``,
    ``auc_matched`` (matched people only), each the plain mean of the
    sequence values as the official total; the same pooled over all people
    as ``pck_all_pooled`` ...; with ``sequence`` metainfo and
    ``per_sequence=True`` also ``<sequence>/pck_all`` ... for each sequence
    (e.g. ``mupots/TS1/pck_all``), and a per-sequence table in the log.
    Without ``sequence`` metainfo all people form one sequence, so the mean
    and the pooled values agree.

    Bad values: a prediction with nan/inf scores the joints it reaches as
    misses (counted in the log); ground truth with nan/inf at an annotated
    joint, a sample without ``image_id`` or ``sample_idx``, samples of which
    only some carry ``sequence``, and an evaluation without any annotated
    person raise errors.

    Args:
        pck_threshold: 3DPCK threshold in millimetres.
        match_threshold: 2D matching threshold in pixels.
        per_sequence: also report the values of each sequence.
        collect_device: ``'cpu'`` or ``'gpu'``, for gathering across ranks.
        prefix: metric name prefix (default ``'mupots'``).
        collect_dir: folder for ``'cpu'`` collection.
    """
    default_prefix: Optional[str] = 'mupots'

    def __init__(self,
                 pck_threshold: float = PCK_THRESHOLD_MM,
                 match_threshold: float = MUPOTS_MATCH_THRESHOLD_PX,
                 per_sequence: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.pck_threshold = pck_threshold
        self.match_threshold = match_threshold
        self.per_sequence = per_sequence

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence) -> None:
        """Keep each person's MPI-17 keypoints (mm / px) and metainfo."""
        owner = type(self).__name__
        joints = list(H36M_TO_MPI17)
        num_joints = len(H36M_17)
        for sample in data_samples:
            sample = sample_as_dict(sample)
            pred2d = get_field(sample, 'pred_keypoints2d_img',
                               (num_joints, None), owner)
            gt2d = get_field(sample, 'gt_keypoints2d_img', (num_joints, 3),
                             owner)
            pred3d = get_field(sample, 'pred_keypoints3d', (num_joints, 3),
                               owner)
            gt3d = get_field(sample, 'gt_keypoints3d', (num_joints, 4), owner)
            if pred2d.shape[1] not in (2, 3):
                raise ValueError(f'{owner}: "pred_keypoints2d_img" has shape '
                                 f'{pred2d.shape}, expected (17, 2) or '
                                 f'(17, 3) ({describe(sample)})')
            annotated = gt3d[joints, 3] > 0
            check_finite(gt3d[None, joints, :3], annotated[None],
                         'gt_keypoints3d', [sample], owner)
            # The matching reads every ground-truth 2D joint of a person
            # annotated in 3D (visibility all ones, as the official code).
            check_finite(gt2d[None, joints, :2],
                         np.full((1, len(joints)), annotated.any()),
                         'gt_keypoints2d_img', [sample], owner)
            self.results.append(
                dict(
                    image_id=get_meta(sample, 'image_id', owner),
                    sample_idx=int(get_meta(sample, 'sample_idx', owner)),
                    sequence=sample.get('sequence'),
                    name=describe(sample),
                    pred_keypoints2d=pred2d[joints, :2],
                    gt_keypoints2d=gt2d[joints, :2],
                    pred_keypoints3d=1000.0 * pred3d[joints],
                    gt_keypoints3d=1000.0 * gt3d[joints, :3],
                    gt_confidence=gt3d[joints, 3],
                ))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Group people by frame, match, rescale and score."""
        owner = type(self).__name__
        if not results:
            raise ValueError(f'{owner}: no data sample was evaluated (an '
                             'empty val/test set, or process() never '
                             'received a sample): there is nothing to score')
        with_sequence = [r['sequence'] is not None for r in results]
        if any(with_sequence) and not all(with_sequence):
            missing = [r['name'] for r in results if r['sequence'] is None]
            raise ValueError(
                f'{owner}: {len(missing)} of {len(results)} samples have no '
                '"sequence" metainfo while the others do (first: '
                f'{missing[0]}); frames and per-sequence values would mix')
        frames: Dict[Any, List[dict]] = {}
        for result in results:
            frames.setdefault((result['sequence'], result['image_id']),
                              []).append(result)

        errors, matched, masks, sequences = [], [], [], []
        unannotated = nonfinite = 0
        for (sequence, _), people in frames.items():
            people = sorted(people, key=lambda p: p['sample_idx'])
            pred3d = np.stack([p['pred_keypoints3d'] for p in people])
            nonfinite += int((~np.isfinite(pred3d).all(axis=(1, 2))).sum())
            mask = mupots_scored_mask(
                np.stack([p['gt_confidence'] for p in people]))
            annotated = mask.any(axis=1)
            unannotated += int((~annotated).sum())
            if not annotated.any():
                continue
            frame_errors, matching = mupots_image_errors(
                gt_keypoints2d=np.stack([p['gt_keypoints2d']
                                         for p in people])[annotated],
                gt_keypoints3d=np.stack([p['gt_keypoints3d']
                                         for p in people])[annotated],
                pred_keypoints2d=np.stack(
                    [p['pred_keypoints2d'] for p in people]),
                pred_keypoints3d=pred3d,
                match_threshold=self.match_threshold)
            errors.append(frame_errors)
            matched.append(matching >= 0)
            masks.append(mask[annotated])
            sequences.extend([sequence] * int(annotated.sum()))
        if not errors:
            raise ValueError(f'{owner}: no annotated person among '
                             f'{len(results)} samples (every gt_keypoints3d '
                             'confidence on the pelvis path is 0)')

        use_sequences = self.per_sequence and all(with_sequence)
        summary = mupots_3dpck(
            np.concatenate(errors),
            np.concatenate(matched),
            np.concatenate(masks),
            sequences=sequences if all(with_sequence) else None,
            pck_threshold=self.pck_threshold,
            auc_thresholds=AUC_THRESHOLDS_MM)
        self._log_summary(summary, len(frames), unannotated, nonfinite,
                          use_sequences)
        out = {k: summary[k] for k in _KEYS}
        out.update({f'{k}_pooled': summary[f'{k}_pooled'] for k in _KEYS})
        if use_sequences:
            for seq, values in summary['per_sequence'].items():
                out.update({f'{seq}/{k}': values[k] for k in _KEYS})
        return out

    def _log_summary(self, summary: dict, num_frames: int, unannotated: int,
                     nonfinite: int, table: bool) -> None:
        """Log what was scored, what was left out and, per sequence, the
        values (the official script's per-sequence table)."""
        per_sequence = summary['per_sequence']
        people = sum(v['people'] for v in per_sequence.values())
        found = sum(v['matched'] for v in per_sequence.values())
        lines = [
            f'{type(self).__name__}: {people} annotated people in '
            f'{num_frames} frames of {len(per_sequence)} sequence(s), '
            f'{found} matched; {unannotated} people without a scorable 3D '
            f'annotation; {nonfinite} predictions with nan/inf (their '
            'joints scored as misses)'
        ]
        if table:
            lines.append(f'{"sequence":>10} {"people":>7} {"matched":>8} ' +
                         ' '.join(f'{k:>12}' for k in _KEYS))
            for seq, v in per_sequence.items():
                values = ' '.join(f'{v[k]:>12.2f}' for k in _KEYS)
                lines.append(f'{seq!s:>10} {v["people"]:>7} '
                             f'{v["matched"]:>8} {values}')
            lines.append(f'{"mean":>10} {"":>7} {"":>8} ' +
                         ' '.join(f'{summary[k]:>12.2f}' for k in _KEYS))
        print_log(
            '\n'.join(lines),
            logger='current',
            level=logging.WARNING if nonfinite else logging.INFO)

    def evaluate(self, size: int) -> dict:
        """As ``BaseMetric.evaluate``; an error raises on every rank."""
        return evaluate_metric(self, size)

from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from hpse_bench.registry import METRICS
from hpse_bench.structures.conventions import H36M_17, H36M_TO_LSP14
from ..functional import (AUC_THRESHOLDS_MM, MUPOTS_MATCH_THRESHOLD_PX,
                          PCK_THRESHOLD_MM, mupots_3dpck, mupots_image_errors)
from ._data_sample import get_field, get_meta, sample_as_dict


@METRICS.register_module()
class MuPoTSMetric(BaseMetric):
    """MuPoTS-3D 3DPCK and AUC by the official multi-person protocol.

    Mehta et al., "Single-Shot Multi-Person 3D Pose Estimation From
    Monocular RGB", 3DV 2018; the protocol of
    ``mpii_mupots_multiperson_eval.m`` as implemented and documented in
    :mod:`hpse_bench.evaluation.functional.mupots`: per image, predictions
    are matched to annotated people in 2D (40 px per axis, greedy in
    annotation order, most matching joints wins), the matched prediction is
    made pelvis-relative and its bones rescaled to the ground truth's, and
    14 LSP joints are scored at 150 mm.

    Each data sample is one annotated person with its prediction (top-down
    models predict one person per crop); the samples of one image are grouped
    by metainfo ``image_id`` and, inside the image, ordered by
    ``sample_idx`` when present (the annotation order of the greedy
    matching). A person whose ``gt_keypoints3d`` confidences are all 0 is not
    annotated: it is not scored, but its prediction can still be matched.

    Fields read (``docs/data_contract.md``, H36M-17, converted to LSP-14 by
    ``H36M_TO_LSP14``): ``pred_keypoints2d_img`` (17, 2|3) and
    ``gt_keypoints2d_img`` (17, 3), original-image pixels, the latter's 3rd
    column the visibility used for matching; ``pred_keypoints3d`` (17, 3) and
    ``gt_keypoints3d`` (17, 4), metres; metainfo ``image_id`` and, optionally,
    ``sequence``.

    Reported (percent): ``pck_all``, ``auc_all`` (every annotated person;
    an unmatched one counts as 14 wrong joints), ``pck_matched``,
    ``auc_matched`` (matched people only), pooled over all people; with
    ``sequence`` metainfo and ``per_sequence=True`` also
    ``pck_all_<seq>`` ... for each sequence, and ``pck_all_seq_mean`` ...,
    the plain means of the sequence values.

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
        """Keep each person's LSP-14 keypoints (mm / px) and metainfo."""
        owner = type(self).__name__
        joints = list(H36M_TO_LSP14)
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
                                 '(17, 3)')
            self.results.append(
                dict(
                    image_id=get_meta(sample, 'image_id', owner),
                    sequence=sample.get('sequence'),
                    sample_idx=sample.get('sample_idx'),
                    pred_keypoints2d=pred2d[joints, :2],
                    gt_keypoints2d=gt2d[joints],
                    pred_keypoints3d=1000.0 * pred3d[joints],
                    gt_keypoints3d=np.concatenate(
                        [1000.0 * gt3d[joints, :3], gt3d[joints, 3:]], axis=1),
                ))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Group people by image, match, rescale and score."""
        images: Dict = OrderedDict()
        for result in results:
            images.setdefault(result['image_id'], []).append(result)

        errors: List[np.ndarray] = []
        matched: List[np.ndarray] = []
        masks: List[np.ndarray] = []
        sequences: List = []
        for people in images.values():
            if all(p['sample_idx'] is not None for p in people):
                people = sorted(people, key=lambda p: p['sample_idx'])
            gt3d = np.stack([p['gt_keypoints3d'] for p in people])
            annotated = (gt3d[..., 3] > 0).any(axis=1)
            if not annotated.any():
                continue
            gt2d = np.stack([p['gt_keypoints2d'] for p in people])
            image_errors, matching = mupots_image_errors(
                gt_keypoints2d=gt2d[annotated, :, :2],
                gt_keypoints3d=gt3d[annotated, :, :3],
                pred_keypoints2d=np.stack(
                    [p['pred_keypoints2d'] for p in people]),
                pred_keypoints3d=np.stack(
                    [p['pred_keypoints3d'] for p in people]),
                gt_visible=gt2d[annotated, :, 2],
                match_threshold=self.match_threshold)
            errors.append(image_errors)
            matched.append(matching >= 0)
            masks.append(gt3d[annotated, :, 3])
            sequences.extend(p['sequence'] for p, a in zip(people, annotated)
                             if a)
        if not errors:
            raise ValueError('MuPoTSMetric: no annotated person (every '
                             'gt_keypoints3d confidence is 0)')

        use_sequences = self.per_sequence and all(s is not None
                                                  for s in sequences)
        summary = mupots_3dpck(
            np.concatenate(errors),
            np.concatenate(matched),
            np.concatenate(masks),
            sequences=sequences if use_sequences else None,
            pck_threshold=self.pck_threshold,
            auc_thresholds=AUC_THRESHOLDS_MM)
        out = {
            k: summary[k]
            for k in ('pck_all', 'pck_matched', 'auc_all', 'auc_matched')
        }
        if use_sequences:
            for key in ('pck_all', 'pck_matched', 'auc_all', 'auc_matched'):
                out[f'{key}_seq_mean'] = summary[f'{key}_seq_mean']
            for seq, values in summary['per_sequence'].items():
                for key, value in values.items():
                    out[f'{key}_{seq}'] = value
        return out

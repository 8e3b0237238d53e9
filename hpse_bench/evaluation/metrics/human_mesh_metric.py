import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from hpse_bench.registry import METRICS
from hpse_bench.structures.conventions import (H36M_17, H36M_TO_LSP14,
                                               NUM_SMPL_VERTICES)
from ..functional import (align_by_pelvis, auc_3d, joint_errors, pck_3d,
                          pelvis, reduce_joint_errors, similarity_transform)
from ..functional.keypoint_error import PELVIS_JOINTS
from ._data_sample import check_finite, describe, get_field, sample_as_dict
from ._evaluate import evaluate_metric

_JOINT_SETS = {
    'lsp_14': list(H36M_TO_LSP14),
    'h36m_17': list(range(len(H36M_17))),
}


@METRICS.register_module()
class HumanMeshMetric(BaseMetric):
    """MPJPE, PA-MPJPE, PVE (and 3DPCK / AUC) of a mesh or keypoint regressor.

    The 3DPW / Human3.6M protocol of HMR, SPIN and PARE (and of Choi et al.,
    ICLR 2023, Tables 1-3): H36M-17 joints regressed from the mesh, reduced to
    ``joint_set``, in millimetres, aligned at the pelvis (mid-hip for
    LSP-14, the pelvis joint for H36M-17).

    - ``mpjpe``: pelvis-aligned mean per-joint position error.
    - ``pa_mpjpe``: after per-sample Procrustes alignment
      (:func:`~hpse_bench.evaluation.functional.similarity_transform`,
      estimated on the valid joints).
    - ``pve``: mean per-vertex error, each mesh minus its own pelvis (that of
      its joints), as PARE evaluates 3DPW.
    - ``pck`` / ``auc``: pelvis-aligned 3DPCK at ``pck_threshold`` mm and its
      AUC over 0..150 mm in 5 mm steps.

    A joint whose ground-truth confidence (4th column of ``gt_keypoints3d``)
    is 0 is excluded; the errors are averaged as ``reduction`` says
    (``'joints'``: over all valid joints of the data set;
    ``'samples'``: per sample first, as SPIN's script; see
    :mod:`hpse_bench.evaluation.functional.keypoint_error`).

    Fields read (``docs/data_contract.md``): ``pred_keypoints3d`` (17, 3) and
    ``gt_keypoints3d`` (17, 4), metres; for ``pve`` also ``pred_vertices``
    and ``gt_vertices`` (6890, 3), metres.

    Bad values (``docs/evaluation.md``): nan/inf in a joint that is not
    read (confidence 0, and not a pelvis joint of a pelvis-aligned metric)
    changes nothing. A sample whose prediction is nan/inf where it is read
    (a valid joint, a pelvis joint, a vertex for ``pve``) is left out of
    every value of this metric, counted in ``skipped_nonfinite`` (reported
    only when > 0) and named in a logged warning; the other samples' values
    are unaffected. Ground truth that is nan/inf where it is read raises
    ``ValueError``, as does an evaluation without samples.

    Args:
        metrics: any of ``'mpjpe'``, ``'pa_mpjpe'``, ``'pve'``, ``'pck'``,
            ``'auc'``.
        joint_set: ``'lsp_14'`` (3DPW, Human3.6M protocol 2) or ``'h36m_17'``.
        reduction: ``'joints'`` (default) or ``'samples'``.
        pck_threshold: 3DPCK threshold in millimetres.
        collect_device: ``'cpu'`` or ``'gpu'``, for gathering across ranks.
        prefix: metric name prefix, e.g. ``'3dpw'`` -> ``'3dpw/pa_mpjpe'``.
        collect_dir: folder for ``'cpu'`` collection.
    """
    default_prefix: Optional[str] = 'mesh'
    SUPPORTED_METRICS = ('mpjpe', 'pa_mpjpe', 'pve', 'pck', 'auc')

    def __init__(self,
                 metrics: Sequence[str] = ('pa_mpjpe', 'mpjpe', 'pve'),
                 joint_set: str = 'lsp_14',
                 reduction: str = 'joints',
                 pck_threshold: float = 150.0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in self.SUPPORTED_METRICS]
        if unknown or not metrics:
            raise ValueError(f'HumanMeshMetric: unknown metrics {unknown}; '
                             f'choose from {self.SUPPORTED_METRICS}')
        if joint_set not in _JOINT_SETS:
            raise ValueError(f'HumanMeshMetric: joint_set must be one of '
                             f'{sorted(_JOINT_SETS)}, got "{joint_set}"')
        if reduction not in ('joints', 'samples'):
            raise ValueError('HumanMeshMetric: reduction must be "joints" or '
                             f'"samples", got "{reduction}"')
        self.metrics: List[str] = metrics
        self.joint_set = joint_set
        self.reduction = reduction
        self.pck_threshold = pck_threshold

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence) -> None:
        """Compute per-joint (and per-vertex) errors of one batch.

        Only errors and masks are kept (not the 6890-vertex meshes), one
        result per sample so that MMEngine can drop the padding added by
        distributed samplers.
        """
        if len(data_samples) == 0:
            return
        samples = [sample_as_dict(s) for s in data_samples]
        owner = type(self).__name__
        num_joints = len(H36M_17)
        pred = np.stack([
            get_field(s, 'pred_keypoints3d', (num_joints, 3), owner)
            for s in samples
        ])
        gt = np.stack([
            get_field(s, 'gt_keypoints3d', (num_joints, 4), owner)
            for s in samples
        ])
        joints = _JOINT_SETS[self.joint_set]
        pred = 1000.0 * pred[:, joints]  # metres -> millimetres
        mask = gt[:, joints, 3] > 0
        gt = 1000.0 * gt[:, joints, :3]
        # Read: the valid joints, and the pelvis where a metric is aligned
        # by it (PA-MPJPE is not).
        read = mask.copy()
        if set(self.metrics) - {'pa_mpjpe'}:
            read[:, PELVIS_JOINTS[self.joint_set]] = True
        check_finite(gt, read, 'gt_keypoints3d', samples, owner)
        usable = (np.isfinite(pred).all(axis=-1) | ~read).all(axis=1)
        if 'pve' in self.metrics:
            shape = (NUM_SMPL_VERTICES, 3)
            pred_v = np.stack(
                [get_field(s, 'pred_vertices', shape, owner) for s in samples])
            gt_v = np.stack(
                [get_field(s, 'gt_vertices', shape, owner) for s in samples])
            check_finite(gt_v, np.ones(gt_v.shape[:2], bool), 'gt_vertices',
                         samples, owner)
            usable &= np.isfinite(pred_v).all(axis=(1, 2))

        # nan/inf reach only unread joints and unusable samples (dropped).
        with np.errstate(invalid='ignore', over='ignore'):
            # Procrustes needs no pelvis (it fits the translation).
            pa_errors = joint_errors(similarity_transform(pred, gt, mask), gt)
            pred_pelvis = pelvis(pred, self.joint_set)
            gt_pelvis = pelvis(gt, self.joint_set)
            pred = align_by_pelvis(pred, self.joint_set)
            gt = align_by_pelvis(gt, self.joint_set)
            errors = joint_errors(pred, gt)
            if 'pve' in self.metrics:
                pred_v = 1000.0 * pred_v - pred_pelvis[:, None]
                gt_v = 1000.0 * gt_v - gt_pelvis[:, None]
                vertex_errors = joint_errors(pred_v, gt_v).mean(axis=1)
        for i, sample in enumerate(samples):
            result = dict(
                mpjpe=errors[i],
                pa_mpjpe=pa_errors[i],
                mask=mask[i],
                usable=bool(usable[i]))
            if not usable[i]:
                result['name'] = describe(sample)
            if 'pve' in self.metrics:
                result['pve'] = float(vertex_errors[i])
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Reduce the collected per-sample errors to data-set values (mm).

        Raises:
            ValueError: no result at all, or no usable one.
        """
        owner = type(self).__name__
        if not results:
            raise ValueError(f'{owner}: no data sample was evaluated (an '
                             'empty val/test set, or process() never '
                             'received a sample): there is nothing to score')
        skipped = [r['name'] for r in results if not r['usable']]
        results = [r for r in results if r['usable']]
        if skipped:
            print_log(
                f'{owner}: {len(skipped)} of {len(skipped) + len(results)} '
                'samples have nan/inf in their prediction and are left out '
                f'of {self.metrics}: ' + '; '.join(skipped[:10]) +
                (' ...' if len(skipped) > 10 else ''),
                logger='current',
                level=logging.WARNING)
        if not results:
            raise ValueError(f'{owner}: every one of the {len(skipped)} '
                             'predictions holds nan/inf; nothing to score')
        mask = np.stack([r['mask'] for r in results])
        errors = np.stack([r['mpjpe'] for r in results])
        out: Dict[str, float] = {}
        for name in self.metrics:
            if name in ('mpjpe', 'pa_mpjpe'):
                out[name] = reduce_joint_errors(
                    np.stack([r[name] for r in results]), mask, self.reduction)
            elif name == 'pve':
                # Every sample has all 6890 vertices: both reductions agree.
                out[name] = float(np.mean([r['pve'] for r in results]))
            elif name == 'pck':
                out[name] = pck_3d(errors, mask, self.pck_threshold)
            elif name == 'auc':
                out[name] = auc_3d(errors, mask)
        if skipped:
            out['skipped_nonfinite'] = len(skipped)
        return out

    def evaluate(self, size: int) -> dict:
        """As ``BaseMetric.evaluate``; an error raises on every rank."""
        return evaluate_metric(self, size)

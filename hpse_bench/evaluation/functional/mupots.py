"""MuPoTS-3D 3DPCK: the official multi-person evaluation protocol.

Mehta et al., "Single-Shot Multi-Person 3D Pose Estimation From Monocular
RGB", 3DV 2018. The official MATLAB code (``mpii_mupots_multiperson_eval.m``
with ``mpii_multiperson_get_identity_matching.m``,
``mpii_map_to_gt_bone_lengths.m``, ``mpii_evaluate_multiperson_errors.m``,
``mpii_compute_3d_pck.m`` and the joint set of ``mpii_get_joints``) works
on the 17 joints ``MPI_17`` (``hpse_bench.structures.conventions``: the 14
scored joints, then pelvis, spine and head) and does, per frame of each of
the 20 sequences:

1. Matching (``mpii_multiperson_get_identity_matching``, threshold 40 px):
   the annotated people are visited in annotation order; each takes, among
   the predictions not yet taken, the one with the most *matching joints*
   within 40 px, where a joint matches when ``|dx| < 40`` and ``|dy| < 40``
   (strict, per axis: a 80 x 80 px box, not a circle) and is visible in both
   poses. The matching joints are the 13 scored joints other than the head
   top (``MUPOTS_MATCHING_JOINTS``); every annotated joint counts as visible
   (the script sets the ground-truth visibility to all ones), a predicted
   joint at exactly ``(0, 0)`` does not. The best score must be > 0, so one
   matching joint suffices; ties go to the lowest prediction index (MATLAB
   ``max``). Greedy: a person visited early can take the prediction a later
   person would have matched better.
2. Root-relative poses: both skeletons minus their own pelvis joint.
3. Bone rescaling (``mpii_map_to_gt_bone_lengths``): walking the tree
   ``MPI17_PARENTS`` (the script's ``o1``) outward from the pelvis -- pelvis
   -> spine -> neck -> shoulders, head and head top; pelvis -> hips; then
   the limbs -- each predicted bone keeps its direction and takes the
   ground-truth bone's length, attached to the already rescaled parent.
4. Scoring: the Euclidean error of the 14 joints ``MPI_17[:14]`` (head top,
   neck, shoulders, elbows, wrists, hips, knees, ankles). An unmatched
   person gets coordinates 1e5, i.e. all 14 joints wrong; it is kept in the
   "all annotated" mode (``EVALUATION_MODE = 0``) and dropped in "matched
   only" (``EVALUATION_MODE = 1``).
5. PCK / AUC per sequence (``mpii_compute_3d_pck``): correct means
   ``error < 150 mm`` (strict); a sequence's value pools all scored joints
   of all its evaluated people; AUC is the mean PCK over 0, 5, ..., 150 mm.

The script writes per-sequence tables only; the total that papers report,
and that the public Python ports of the script print, is the plain mean of
the 20 sequence values. :func:`mupots_3dpck` returns that mean as the
headline (``pck_all`` ...) and, for comparison, the values pooled over all
people of all sequences (``pck_all_pooled`` ...), which weigh the sequences
by their number of people.

Two things the official data never needs are defined here: a joint whose
ground-truth confidence is 0 is not scored, nor is any joint below it in
the tree (its rescaled position hangs on an unknown bone length); and a
non-finite predicted coordinate makes the joints that depend on it misses
(the MATLAB code would compare NaN, which is never below a threshold).
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from hpse_bench.structures.conventions import (MPI17_PARENTS, MPI17_PELVIS_ID,
                                               MPI_17)
from ._array import as_float64, as_mask
from .pck import AUC_THRESHOLDS_MM, PCK_THRESHOLD_MM, auc_3d, pck_3d

MUPOTS_MATCH_THRESHOLD_PX = 40.0
NUM_MUPOTS_JOINTS = len(MPI_17)  # 17, the input of the protocol
NUM_MUPOTS_SCORED = 14  # MPI_17[:14]
# The official matching joints: the scored joints without the head top.
MUPOTS_MATCHING_JOINTS: List[int] = list(range(1, NUM_MUPOTS_SCORED))
_MODES = ('all', 'matched')
_KEYS = ('pck_all', 'auc_all', 'pck_matched', 'auc_matched')


def match_mupots_poses(
        gt_keypoints2d: Any,
        pred_keypoints2d: Any,
        gt_visible: Optional[Any] = None,
        pred_visible: Optional[Any] = None,
        threshold: float = MUPOTS_MATCH_THRESHOLD_PX) -> np.ndarray:
    """Match the predictions of one frame to its annotated people in 2D.

    The rule of ``mpii_multiperson_get_identity_matching.m`` (module
    docstring, step 1) on the joints given; :func:`mupots_image_errors`
    passes ``MUPOTS_MATCHING_JOINTS``.

    Args:
        gt_keypoints2d: ``(G, J, 2)`` annotated people, pixels, in
            annotation order (the order decides greedy conflicts).
        pred_keypoints2d: ``(P, J, 2)`` predictions, pixels.
        gt_visible: ``(G, J)``; ``None``: every joint (as the official code).
        pred_visible: ``(P, J)``; ``None``: every joint not at exactly
            ``(0, 0)`` (as the official code).
        threshold: per-axis distance in pixels (strict).

    Returns:
        ``(G,)`` int64: the matched prediction index, -1 where none.
    """
    gt = as_float64(gt_keypoints2d, 'gt_keypoints2d')[..., :2]
    pred = as_float64(pred_keypoints2d, 'pred_keypoints2d')[..., :2]
    if gt.ndim != 3 or pred.ndim != 3 or gt.shape[1] != pred.shape[1]:
        raise ValueError('gt_keypoints2d and pred_keypoints2d must be '
                         '(G, J, 2) and (P, J, 2) with the same J; got '
                         f'{gt.shape} and {pred.shape}')
    num_gt, num_joints = gt.shape[:2]
    num_pred = pred.shape[0]
    gt_vis = as_mask(gt_visible, (num_gt, num_joints), 'gt_visible')
    if pred_visible is None:
        pred_vis = ~np.all(pred == 0, axis=-1)
    else:
        pred_vis = as_mask(pred_visible, (num_pred, num_joints),
                           'pred_visible')

    matching = np.full(num_gt, -1, dtype=np.int64)
    if num_pred == 0:
        return matching
    taken = np.zeros(num_pred, dtype=bool)
    # Sequential over people (the greedy rule depends on earlier choices),
    # vectorised over predictions and joints. NaN is never close.
    for i in range(num_gt):
        close = np.all(np.abs(gt[i][None] - pred) < threshold, axis=-1)
        score = (close & gt_vis[i][None] & pred_vis).sum(axis=-1)
        score[taken] = 0
        best = int(np.argmax(score))  # first maximum, like MATLAB's max
        if score[best] > 0:
            matching[i] = best
            taken[best] = True
    return matching


def _traversal_order(parents: Sequence[int]) -> List[int]:
    """Non-root joints ordered so that every parent precedes its children."""
    num = len(parents)
    children: Dict[int, List[int]] = {j: [] for j in range(-1, num)}
    for j, p in enumerate(parents):
        if not -1 <= p < num or p == j:
            raise ValueError(f'invalid parent {p} for joint {j} in {parents}')
        children[p].append(j)
    order, frontier = [], list(children[-1])
    while frontier:
        j = frontier.pop(0)
        order.append(j)
        frontier.extend(children[j])
    if len(order) != num:
        raise ValueError(f'parents {parents} do not form a tree (cycle or '
                         'joint unreachable from a root)')
    return [j for j in order if parents[j] != -1]


def rescale_bone_lengths(pred: Any, gt: Any,
                         parents: Sequence[int]) -> np.ndarray:
    """Give each predicted bone the ground-truth bone's length.

    ``mpii_map_to_gt_bone_lengths.m``: roots stay where they are; walking
    outward, ``out[j] = out[parent] + (pred[j] - pred[parent]) *
    |gt[j] - gt[parent]| / |pred[j] - pred[parent]|``, so every bone keeps
    the predicted direction. Any order that visits parents first gives the
    same result. A zero-length predicted bone has no direction; its child is
    put on the parent (the official code would produce NaN).

    Args:
        pred: ``(N, J, 3)`` or ``(J, 3)`` predicted joints.
        gt: ground-truth joints, same shape.
        parents: parent of each joint, -1 for a root.
    """
    pred = as_float64(pred, 'pred')
    gt = as_float64(gt, 'gt')
    if pred.shape != gt.shape or pred.shape[-2] != len(parents):
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} must have the '
                         f'same shape with {len(parents)} joints')
    out = pred.copy()
    for j in _traversal_order(parents):
        p = parents[j]
        bone = pred[..., j, :] - pred[..., p, :]
        length = np.linalg.norm(bone, axis=-1, keepdims=True)
        gt_length = np.linalg.norm(
            gt[..., j, :] - gt[..., p, :], axis=-1, keepdims=True)
        with np.errstate(invalid='ignore'):  # nan stays nan
            factor = np.divide(
                gt_length, length, out=np.zeros_like(length), where=length > 0)
        factor[np.isnan(length)] = np.nan
        out[..., j, :] = out[..., p, :] + bone * factor
    return out


def mupots_rescale_to_gt(pred_keypoints3d: Any, gt_keypoints3d: Any) -> tuple:
    """Pelvis-relative poses with the prediction's bones rescaled to GT's.

    Steps 2 and 3 of the module docstring, on ``MPI_17`` joints.

    Args:
        pred_keypoints3d: ``(N, 17, 3)`` predicted joints.
        gt_keypoints3d: ``(N, 17, 3)`` ground-truth joints.

    Returns:
        ``(pred, gt)``: both ``(N, 17, 3)``, pelvis at the origin, ``pred``
        with ground-truth bone lengths.
    """
    pred = as_float64(pred_keypoints3d, 'pred_keypoints3d')
    gt = as_float64(gt_keypoints3d, 'gt_keypoints3d')
    if pred.shape != gt.shape or pred.shape[-2:] != (NUM_MUPOTS_JOINTS, 3):
        raise ValueError('pred_keypoints3d and gt_keypoints3d must both be '
                         f'(N, {NUM_MUPOTS_JOINTS}, 3) MPI-17; got '
                         f'{pred.shape} and {gt.shape}')
    root = MPI17_PELVIS_ID
    pred = pred - pred[..., root:root + 1, :]
    gt = gt - gt[..., root:root + 1, :]
    return rescale_bone_lengths(pred, gt, MPI17_PARENTS), gt


def mupots_scored_mask(gt_confidence: Any) -> np.ndarray:
    """Which of the 14 scored joints of each person can be scored.

    A joint is scored when it and every joint on its path to the pelvis are
    annotated (confidence > 0): the rescaled position of a joint is built
    from the ground-truth lengths of all bones on that path. MuPoTS-3D
    annotates every joint, so there all 14 are.

    Args:
        gt_confidence: ``(G, 17)`` ground-truth confidences, ``MPI_17``.

    Returns:
        ``(G, 14)`` booleans.
    """
    conf = as_float64(gt_confidence, 'gt_confidence')
    if conf.ndim != 2 or conf.shape[1] != NUM_MUPOTS_JOINTS:
        raise ValueError(f'gt_confidence must be (G, {NUM_MUPOTS_JOINTS}), '
                         f'got {conf.shape}')
    ok = conf > 0
    for j in _traversal_order(MPI17_PARENTS):
        ok[:, j] &= ok[:, MPI17_PARENTS[j]]
    return ok[:, :NUM_MUPOTS_SCORED]


def mupots_image_errors(
        gt_keypoints2d: Any,
        gt_keypoints3d: Any,
        pred_keypoints2d: Any,
        pred_keypoints3d: Any,
        pred_visible: Optional[Any] = None,
        match_threshold: float = MUPOTS_MATCH_THRESHOLD_PX) -> tuple:
    """Per-joint errors of the annotated people of one frame (steps 1-4).

    Args:
        gt_keypoints2d: ``(G, 17, 2)`` ``MPI_17`` annotated people, pixels,
            in annotation order.
        gt_keypoints3d: ``(G, 17, 3)`` ``MPI_17``, millimetres.
        pred_keypoints2d: ``(P, 17, 2)`` ``MPI_17`` predictions, pixels.
        pred_keypoints3d: ``(P, 17, 3)`` ``MPI_17``, millimetres.
        pred_visible: ``(P, 17)`` 2D visibility of the predictions for
            matching (default: not at ``(0, 0)``); the annotation is fully
            visible, as in the official script.
        match_threshold: matching distance in pixels.

    Returns:
        ``(errors, matching)``: ``(G, 14)`` errors of ``MPI_17[:14]`` in
        millimetres, ``inf`` for every joint of an unmatched person and for
        every joint that a non-finite prediction reaches; ``(G,)`` matched
        prediction index or -1.
    """
    gt3d = as_float64(gt_keypoints3d, 'gt_keypoints3d')
    pred3d = as_float64(pred_keypoints3d, 'pred_keypoints3d')
    gt2d = as_float64(gt_keypoints2d, 'gt_keypoints2d')
    pred2d = as_float64(pred_keypoints2d, 'pred_keypoints2d')
    if gt3d.shape[0] != gt2d.shape[0] or pred3d.shape[0] != pred2d.shape[0]:
        raise ValueError('2D and 3D keypoints must describe the same people: '
                         f'gt {gt2d.shape} / {gt3d.shape}, pred '
                         f'{pred2d.shape} / {pred3d.shape}')
    joints = MUPOTS_MATCHING_JOINTS
    matching = match_mupots_poses(
        gt2d[:, joints], pred2d[:, joints], None,
        None if pred_visible is None else as_float64(pred_visible)[:, joints],
        match_threshold)
    errors = np.full((gt3d.shape[0], NUM_MUPOTS_SCORED), np.inf)
    matched = matching >= 0
    if matched.any():
        with np.errstate(invalid='ignore'):
            pred, gt = mupots_rescale_to_gt(pred3d[matching[matched]],
                                            gt3d[matched])
            dist = np.linalg.norm(pred - gt, axis=-1)[:, :NUM_MUPOTS_SCORED]
        errors[matched] = np.where(np.isfinite(dist), dist, np.inf)
    return errors, matching


def mupots_3dpck(
        errors: Any,
        matched: Any,
        mask: Optional[Any] = None,
        sequences: Optional[Sequence] = None,
        pck_threshold: float = PCK_THRESHOLD_MM,
        auc_thresholds: Sequence[float] = AUC_THRESHOLDS_MM) -> Dict[str, Any]:
    """3DPCK and AUC, "all annotated" and "matched only" (step 5).

    Args:
        errors: ``(M, 14)`` errors (mm) of every annotated person of the
            test set, ``inf`` for unmatched people
            (:func:`mupots_image_errors`).
        matched: ``(M,)`` booleans, whether each person was matched.
        mask: ``(M, 14)`` which joints are scored
            (:func:`mupots_scored_mask`); ``None``: all.
        sequences: ``(M,)`` sequence label of each person; ``None``: all
            people form one sequence.
        pck_threshold: correct below this error (mm).
        auc_thresholds: the thresholds of the AUC (mm).

    Returns:
        ``pck_all``, ``auc_all`` (unmatched people count as all joints
        wrong) and ``pck_matched``, ``auc_matched`` (matched people only):
        the plain means of the sequence values, over the sequences that have
        something to score; the same four pooled over all people, suffixed
        ``_pooled``; ``per_sequence``: ``{label: {the four keys, 'people',
        'matched'}}`` in natural order (TS2 before TS10). A value with
        nothing to score (no person matched) is ``nan``.
    """
    errors = as_float64(errors, 'errors')
    if errors.ndim != 2:
        raise ValueError(f'errors must be (M, J), got {errors.shape}')
    matched = np.asarray(matched, dtype=bool).reshape(-1)
    if matched.shape[0] != errors.shape[0]:
        raise ValueError(f'matched has {matched.shape[0]} entries for '
                         f'{errors.shape[0]} people')
    valid = as_mask(mask, errors.shape)
    if sequences is None:
        sequences = np.zeros(errors.shape[0], dtype=np.int64)
    sequences = np.asarray(sequences)
    if sequences.shape != (errors.shape[0], ):
        raise ValueError(f'sequences has shape {sequences.shape} for '
                         f'{errors.shape[0]} people')

    def scores(rows: np.ndarray) -> Dict[str, float]:
        out = dict(people=int(rows.sum()), matched=int((rows & matched).sum()))
        for mode, keep in zip(_MODES, (rows, rows & matched)):
            use = valid & keep[:, None]
            if use.any():
                out[f'pck_{mode}'] = pck_3d(errors, use, pck_threshold)
                out[f'auc_{mode}'] = auc_3d(errors, use, auc_thresholds)
            else:
                out[f'pck_{mode}'] = out[f'auc_{mode}'] = float('nan')
        return out

    per_sequence = {
        seq: scores(sequences == seq)
        for seq in sorted(set(sequences.tolist()), key=_natural_key)
    }
    pooled = scores(np.ones(errors.shape[0], dtype=bool))
    result: Dict[str, Any] = {}
    for key in _KEYS:
        values = np.array([v[key] for v in per_sequence.values()])
        values = values[~np.isnan(values)]
        result[key] = float(values.mean()) if values.size else float('nan')
        result[f'{key}_pooled'] = pooled[key]
    result['per_sequence'] = per_sequence
    return result


def _natural_key(label: Any) -> tuple:
    """Sort 'TS2' before 'TS10'."""
    text = str(label)
    digits = ''.join(c for c in text if c.isdigit())
    return (text.rstrip('0123456789'), int(digits) if digits else -1, text)

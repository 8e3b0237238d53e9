import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation.functional import (MUPOTS_MATCHING_JOINTS,
                                              match_mupots_poses, mupots_3dpck,
                                              mupots_image_errors,
                                              mupots_rescale_to_gt,
                                              rescale_bone_lengths)
from hpse_bench.structures.conventions import LSP14_PARENTS, LSP_14

HEAD_TOP = LSP_14.index('head_top')
NECK = LSP_14.index('neck')
HIPS = [LSP_14.index('right_hip'), LSP_14.index('left_hip')]


def _skeleton(rng, scale=250.0):
    """A random LSP-14 skeleton in millimetres."""
    return rng.normal(scale=scale, size=(14, 3))


def _pose2d(rng, centre):
    return centre + rng.normal(scale=60.0, size=(14, 2))


def test_matching_joints_exclude_head_top():
    assert MUPOTS_MATCHING_JOINTS == [i for i in range(14) if i != HEAD_TOP]


def test_forty_pixel_rule_is_strict_and_per_axis():
    gt = np.zeros((1, 3, 2)) + 500.0
    for offset, expected in [((40.0, 0.0), -1), ((39.999, 0.0), 0),
                             ((0.0, -40.0), -1),
                             ((39.0, 39.0), 0)]:  # 55 px away, inside the box
        pred = gt.copy()
        pred[0, :] += offset
        assert match_mupots_poses(gt, pred)[0] == expected, offset


def test_one_joint_suffices_and_most_joints_win():
    gt = np.full((1, 4, 2), 300.0)
    far = gt + 500.0
    one = far.copy()
    one[0, 2] = gt[0, 2] + 10.0  # a single joint within 40 px
    assert match_mupots_poses(gt, one)[0] == 0
    two = far.copy()
    two[0, :2] = gt[0, :2]
    # Prediction 1 has 2 matching joints, prediction 0 only 1.
    assert match_mupots_poses(gt, np.concatenate([one, two]))[0] == 1
    # Equal scores: the lowest prediction index wins (MATLAB max).
    assert match_mupots_poses(gt, np.concatenate([two, two]))[0] == 0
    assert match_mupots_poses(gt, far)[0] == -1
    assert match_mupots_poses(gt, np.zeros((0, 4, 2)))[0] == -1


def test_matching_is_greedy_in_annotation_order():
    # Person 0 matches prediction A by 2 joints and B by 3; person 1 matches
    # only B (by 3). Person 0 comes first and takes B, leaving person 1
    # unmatched although A would have been left for person 0.
    gt = np.array([[[0, 0], [100, 0], [200, 0], [300, 0]],
                   [[0, 500], [100, 500], [200, 0], [300, 0]]], float) + 50
    pred_a = gt[0].copy()
    pred_a[2:] += 300.0
    pred_b = gt[0].copy()
    pred_b[1] = gt[1, 1]  # off for person 0, on for person 1; joints 2, 3
    # are where both people have them.
    preds = np.stack([pred_a, pred_b])
    np.testing.assert_array_equal(match_mupots_poses(gt, preds), [1, -1])
    np.testing.assert_array_equal(match_mupots_poses(gt[::-1], preds), [1, 0])


def test_prediction_joint_at_origin_is_invisible():
    gt = np.zeros((1, 2, 2))  # an annotation at (0, 0) ...
    pred = np.zeros((1, 2, 2))  # ... and a prediction there: not visible
    assert match_mupots_poses(gt, pred)[0] == -1
    assert match_mupots_poses(gt, pred, pred_visible=np.ones((1, 2)))[0] == 0


def test_rescaling_keeps_gt_lengths_and_predicted_directions():
    rng = np.random.default_rng(0)
    gt = np.stack([_skeleton(rng) for _ in range(6)])
    pred = np.stack([_skeleton(rng) for _ in range(6)])
    out = rescale_bone_lengths(pred, gt, LSP14_PARENTS)
    np.testing.assert_allclose(out[:, NECK], pred[:, NECK])  # root stays
    for j, p in enumerate(LSP14_PARENTS):
        if p < 0:
            continue
        new_bone = out[:, j] - out[:, p]
        pred_bone = pred[:, j] - pred[:, p]
        np.testing.assert_allclose(
            np.linalg.norm(new_bone, axis=1),
            np.linalg.norm(gt[:, j] - gt[:, p], axis=1),
            rtol=1e-10)
        cosine = (new_bone * pred_bone).sum(1) / (
            np.linalg.norm(new_bone, axis=1) *
            np.linalg.norm(pred_bone, axis=1))
        np.testing.assert_allclose(cosine, 1.0, atol=1e-12)


def test_rescaling_a_same_length_pose_changes_nothing():
    rng = np.random.default_rng(1)
    gt = _skeleton(rng)
    rotated = Rotation.random(random_state=2).apply(gt) + 40.0
    np.testing.assert_allclose(
        rescale_bone_lengths(rotated, gt, LSP14_PARENTS), rotated, atol=1e-9)


def test_rescaling_rejects_a_cycle():
    with pytest.raises(ValueError, match='tree'):
        rescale_bone_lengths(np.zeros((3, 3)), np.zeros((3, 3)), [1, 2, 0])


def test_mupots_rescale_is_pelvis_relative_with_torso_rescaled():
    rng = np.random.default_rng(3)
    gt = _skeleton(rng) + 2000.0
    pred = _skeleton(rng) - 500.0
    out, gt_rel = mupots_rescale_to_gt(pred[None], gt[None])
    np.testing.assert_allclose(gt_rel[0], gt - gt[HIPS].mean(0))
    # The neck lies along the predicted pelvis->neck direction, at the GT
    # pelvis->neck distance.
    pred_torso = pred[NECK] - pred[HIPS].mean(0)
    np.testing.assert_allclose(
        out[0, NECK], pred_torso / np.linalg.norm(pred_torso) *
        np.linalg.norm(gt_rel[0, NECK]))
    # Ground truth rescaled onto itself comes back unchanged.
    same, _ = mupots_rescale_to_gt(gt[None] + 7.0, gt[None])
    np.testing.assert_allclose(same, gt_rel, atol=1e-9)


def _matched_person(rng):
    """GT, a prediction whose only real error is a rotated head, by hand.

    The prediction's head bone is twice too long (undone by rescaling) and
    turned by 90 degrees about the neck: the head top misses by sqrt(2) * L
    with L = 200 mm, every other joint is exact.
    """
    gt3d = _skeleton(rng)
    head = np.array([0.0, -200.0, 0.0])
    gt3d[HEAD_TOP] = gt3d[NECK] + head
    pred3d = gt3d + 100.0  # a different root position does not matter
    pred3d[HEAD_TOP] = pred3d[NECK] + 2 * np.array([200.0, 0.0, 0.0])
    return gt3d, pred3d


def test_unmatched_person_all_annotated_vs_matched_only_by_hand():
    rng = np.random.default_rng(4)
    gt3d_a, pred3d_a = _matched_person(rng)
    gt3d_b = _skeleton(rng)
    gt2d = np.stack([_pose2d(rng, 300.0), _pose2d(rng, 1500.0)])
    pred2d = gt2d[:1] + 5.0  # one prediction, near person 0 only
    errors, matching = mupots_image_errors(gt2d, np.stack([gt3d_a, gt3d_b]),
                                           pred2d, pred3d_a[None])
    np.testing.assert_array_equal(matching, [0, -1])
    expected = np.zeros(14)
    expected[HEAD_TOP] = np.sqrt(2) * 200.0
    np.testing.assert_allclose(errors[0], expected, atol=1e-9)
    assert np.all(np.isinf(errors[1]))

    result = mupots_3dpck(errors, matching >= 0)
    # Matched only: 13 of 14 joints correct; all annotated: 13 of 28.
    assert result['pck_matched'] == pytest.approx(100.0 * 13 / 14)
    assert result['pck_all'] == pytest.approx(100.0 * 13 / 28)
    # AUC: the 13 exact joints count at the 30 thresholds above 0; the head
    # top (283 mm) and the unmatched joints never do.
    assert result['auc_matched'] == pytest.approx(100.0 * 13 * 30 / (31 * 14))
    assert result['auc_all'] == pytest.approx(100.0 * 13 * 30 / (31 * 28))


def test_total_is_pooled_over_people_not_mean_of_sequences():
    # Sequence A: 1 person, 14/14 correct; sequence B: 3 people, 7/14 each.
    errors = np.zeros((4, 14))
    errors[1:, :7] = 500.0
    result = mupots_3dpck(
        errors, np.ones(4, bool), sequences=['TS2', 'TS10', 'TS10', 'TS10'])
    assert list(result['per_sequence']) == ['TS2', 'TS10']
    assert result['per_sequence']['TS2']['pck_all'] == pytest.approx(100.0)
    assert result['per_sequence']['TS10']['pck_all'] == pytest.approx(50.0)
    assert result['pck_all'] == pytest.approx(100.0 * (14 + 21) / 56)
    assert result['pck_all_seq_mean'] == pytest.approx(75.0)


def test_no_match_gives_nan_matched_values():
    errors = np.full((2, 14), np.inf)
    result = mupots_3dpck(errors, np.zeros(2, bool))
    assert result['pck_all'] == 0.0
    assert np.isnan(result['pck_matched'])


def test_matching_and_rescaling_equal_loops_on_random_data():
    rng = np.random.default_rng(5)
    for _ in range(20):
        num_gt, num_pred = rng.integers(1, 5), rng.integers(0, 5)
        gt = rng.uniform(0, 300, size=(num_gt, 13, 2))
        pred = rng.uniform(0, 300, size=(num_pred, 13, 2))
        expected, taken = [], set()
        for g in gt:  # the official double loop
            scores = [
                0 if k in taken else sum(
                    abs(g[j, 0] - p[j, 0]) < 40 and abs(g[j, 1] - p[j, 1]) < 40
                    for j in range(13)) for k, p in enumerate(pred)
            ]
            best = max(range(len(scores)), key=lambda k: (scores[k], -k),
                       default=None)
            if best is not None and scores[best] > 0:
                expected.append(best)
                taken.add(best)
            else:
                expected.append(-1)
        np.testing.assert_array_equal(match_mupots_poses(gt, pred), expected)

    gt3d = rng.normal(scale=250.0, size=(10, 14, 3))
    pred3d = rng.normal(scale=250.0, size=(10, 14, 3))
    batched = rescale_bone_lengths(pred3d, gt3d, LSP14_PARENTS)
    order = [NECK, 2, 3, 8, 9, HEAD_TOP, 1, 4, 7, 10, 0, 5, 6, 11]
    for n in range(10):
        out = pred3d[n].copy()
        for j in order[1:]:
            p = LSP14_PARENTS[j]
            bone = pred3d[n, j] - pred3d[n, p]
            out[j] = out[p] + bone / np.linalg.norm(bone) * np.linalg.norm(
                gt3d[n, j] - gt3d[n, p])
        np.testing.assert_allclose(batched[n], out, atol=1e-9)

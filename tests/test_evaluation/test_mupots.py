import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation.functional import (MUPOTS_MATCHING_JOINTS,
                                              match_mupots_poses, mupots_3dpck,
                                              mupots_image_errors,
                                              mupots_rescale_to_gt,
                                              mupots_scored_mask,
                                              rescale_bone_lengths)
from hpse_bench.structures.conventions import MPI17_PARENTS, MPI_17

J = {name: i for i, name in enumerate(MPI_17)}


def test_official_joint_set_and_tree():
    # mpii_get_joints('relevant'): the 14 scored joints first, and o1 =
    # [2 16 2 3 4 2 6 7 15 9 10 15 12 13 15 15 2] (1-based; the pelvis,
    # joint 15, is its own parent there).
    assert MPI_17[:14] == [
        'head_top', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
        'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
        'right_ankle', 'left_hip', 'left_knee', 'left_ankle'
    ]
    assert MPI_17[14:] == ['pelvis', 'spine', 'head']
    o1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]
    assert [p + 1 if p >= 0 else j + 1
            for j, p in enumerate(MPI17_PARENTS)] == o1
    # matching_joints = 2:14 (1-based): the scored joints but the head top.
    assert MUPOTS_MATCHING_JOINTS == list(range(1, 14))


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
    gt = rng.normal(scale=250.0, size=(6, 17, 3))
    pred = rng.normal(scale=250.0, size=(6, 17, 3))
    out = rescale_bone_lengths(pred, gt, MPI17_PARENTS)
    np.testing.assert_allclose(out[:, J['pelvis']], pred[:, J['pelvis']])
    for j, p in enumerate(MPI17_PARENTS):
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
    gt = rng.normal(scale=250.0, size=(17, 3))
    rotated = Rotation.random(random_state=2).apply(gt) + 40.0
    np.testing.assert_allclose(
        rescale_bone_lengths(rotated, gt, MPI17_PARENTS), rotated, atol=1e-9)


def test_rescaling_rejects_a_cycle():
    with pytest.raises(ValueError, match='tree'):
        rescale_bone_lengths(np.zeros((3, 3)), np.zeros((3, 3)), [1, 2, 0])


def test_rescaling_follows_the_official_traversal():
    """Loop over the official safe_traversal_order(2:end), 1-based."""
    order = [16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    o1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]
    rng = np.random.default_rng(5)
    gt3d = rng.normal(scale=250.0, size=(10, 17, 3))
    pred3d = rng.normal(scale=250.0, size=(10, 17, 3))
    batched = rescale_bone_lengths(pred3d, gt3d, MPI17_PARENTS)
    for n in range(10):
        out = pred3d[n].copy()
        for idx in order:
            j, p = idx - 1, o1[idx - 1] - 1
            bone = pred3d[n, j] - pred3d[n, p]
            out[j] = out[p] + bone / np.linalg.norm(bone) * np.linalg.norm(
                gt3d[n, j] - gt3d[n, p])
        np.testing.assert_allclose(batched[n], out, atol=1e-9)


# --- A two-person frame worked by hand ---------------------------------------

# Person A's annotation, millimetres relative to its pelvis (x right, y
# down): a straight skeleton with round bone lengths.
GT_A = {
    'pelvis': (0, 0, 0),
    'spine': (0, -200, 0),
    'neck': (0, -500, 0),
    'head': (0, -600, 0),
    'head_top': (0, -750, 0),
    'right_shoulder': (-150, -500, 0),
    'right_elbow': (-150, -200, 0),
    'right_wrist': (-150, 50, 0),
    'left_shoulder': (150, -500, 0),
    'left_elbow': (150, -200, 0),
    'left_wrist': (150, 50, 0),
    'right_hip': (-100, 0, 0),
    'right_knee': (-100, 400, 0),
    'right_ankle': (-100, 800, 0),
    'left_hip': (100, 0, 0),
    'left_knee': (100, 400, 0),
    'left_ankle': (100, 800, 0)
}
GT_PELVIS = np.array([-200.0, 100.0, 4000.0])
PRED_PELVIS = np.array([30.0, -20.0, 5000.0])

# The prediction's bone lengths, as multiples of the annotation's: a short
# torso, wide hips, long legs.
BONE_SCALE = {
    'spine': 0.5,
    'neck': 0.5,
    'head': 1.3,
    'head_top': 1.3,
    'right_shoulder': 1.2,
    'left_shoulder': 1.2,
    'right_elbow': 0.8,
    'left_elbow': 0.8,
    'right_wrist': 0.8,
    'left_wrist': 0.8,
    'right_hip': 2.5,
    'left_hip': 2.5,
    'right_knee': 1.5,
    'left_knee': 1.5,
    'right_ankle': 1.5,
    'left_ankle': 1.5
}


def _person_a():
    """GT and prediction of person A, ``MPI_17`` order, millimetres.

    The prediction's bones have other lengths than the annotation's
    (``BONE_SCALE``; undone by the rescaling, which keeps only their
    directions) and three have other directions:

    - spine -> neck turned 60 degrees forward (towards +z): the rescaled
      neck ends 300 mm from the annotated one (the chord of a 300 mm bone
      turned by 60 degrees), and everything hanging from the neck --
      shoulders, arms, head, head top -- moves with it: error 300 mm;
    - neck -> head pointing sideways: the head is not scored, and the head
      top hangs from the neck in the official tree, so nothing changes;
    - left knee -> ankle pointing sideways (+x): the rescaled ankle is
      (100 + 400, 400) instead of (100, 800): error 400 * sqrt(2) mm.

    Hips, knees and the right ankle hang from the pelvis through bones of
    the right directions: exact. Scored: 5 of 14 joints within 150 mm.
    """
    gt = {n: np.array(v, float) for n, v in GT_A.items()}
    pred = {'pelvis': np.zeros(3)}
    for j in (15, 1, 0, 16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13):
        name, parent = MPI_17[j], MPI_17[MPI17_PARENTS[j]]
        pred[name] = pred[parent] + BONE_SCALE[name] * (gt[name] - gt[parent])
        if name == 'neck':
            tilt = np.array([0.0, -np.cos(np.pi / 3), np.sin(np.pi / 3)])
            pred[name] = pred['spine'] + 150.0 * tilt
        elif name == 'head':
            pred[name] = pred['neck'] + np.array([500.0, 0.0, 0.0])
        elif name == 'left_ankle':
            pred[name] = pred['left_knee'] + np.array([800.0, 0.0, 0.0])
    expected = np.zeros(14)
    expected[[
        J[n]
        for n in ('head_top', 'neck', 'right_shoulder', 'right_elbow',
                  'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist')
    ]] = 300.0
    expected[J['left_ankle']] = 400.0 * np.sqrt(2.0)
    return (np.array([gt[n] for n in MPI_17]) + GT_PELVIS,
            np.array([pred[n] for n in MPI_17]) + PRED_PELVIS, expected)


def hand_worked_frame():
    """Person A (matched) and person B (no prediction near it), 2D + 3D.

    Returns ``(gt2d, gt3d, pred2d, pred3d, expected_errors_of_a)``; the
    second prediction is far from everyone.
    """
    gt3d_a, pred3d_a, expected = _person_a()
    gt3d_b = gt3d_a + np.array([900.0, 0.0, 500.0])
    gt2d_a = 300.0 + gt3d_a[:, :2] / 5.0
    gt2d_b = gt2d_a + np.array([600.0, 0.0])
    pred2d = np.stack([gt2d_a + 10.0, gt2d_a + 2000.0])
    pred3d = np.stack([pred3d_a, gt3d_b])  # B's 3D, but nowhere near in 2D
    return (np.stack([gt2d_a,
                      gt2d_b]), np.stack([gt3d_a,
                                          gt3d_b]), pred2d, pred3d, expected)


def test_two_person_frame_by_hand():
    gt2d, gt3d, pred2d, pred3d, expected = hand_worked_frame()
    errors, matching = mupots_image_errors(gt2d, gt3d, pred2d, pred3d)
    np.testing.assert_array_equal(matching, [0, -1])
    np.testing.assert_allclose(errors[0], expected, atol=1e-9)
    assert np.all(np.isinf(errors[1]))

    result = mupots_3dpck(errors, matching >= 0)
    # Matched only: 5 of 14 joints correct; all annotated: 5 of 28.
    assert result['pck_matched'] == pytest.approx(100.0 * 5 / 14)
    assert result['pck_all'] == pytest.approx(100.0 * 5 / 28)
    # AUC: the 5 exact joints count at the 30 thresholds above 0; the
    # others (>= 300 mm) and the unmatched joints never do.
    assert result['auc_matched'] == pytest.approx(100.0 * 5 * 30 / (31 * 14))
    assert result['auc_all'] == pytest.approx(100.0 * 5 * 30 / (31 * 28))


def test_rescaled_pose_is_pelvis_relative():
    gt3d, pred3d, _ = _person_a()
    out, gt_rel = mupots_rescale_to_gt(pred3d[None], gt3d[None])
    np.testing.assert_allclose(gt_rel[0], gt3d - GT_PELVIS, atol=1e-9)
    np.testing.assert_allclose(out[0, J['pelvis']], 0.0)
    np.testing.assert_allclose(out[0, J['spine']], GT_A['spine'], atol=1e-9)
    np.testing.assert_allclose(
        out[0, J['left_knee']], GT_A['left_knee'], atol=1e-9)
    # Ground truth rescaled onto itself comes back unchanged.
    same, _ = mupots_rescale_to_gt(gt3d[None] + 7.0, gt3d[None])
    np.testing.assert_allclose(same, gt_rel, atol=1e-9)


def test_non_finite_prediction_scores_misses_where_it_reaches():
    gt2d, gt3d, pred2d, pred3d, expected = hand_worked_frame()
    pred3d[0, J['left_knee'], 1] = np.nan  # the knee and the ankle below
    errors, matching = mupots_image_errors(gt2d, gt3d, pred2d, pred3d)
    assert matching[0] == 0
    assert np.isinf(errors[0, [J['left_knee'], J['left_ankle']]]).all()
    keep = [j for j in range(14) if j not in (J['left_knee'], J['left_ankle'])]
    np.testing.assert_allclose(errors[0, keep], expected[keep], atol=1e-9)


def test_scored_mask_drops_joints_below_an_absent_one():
    conf = np.ones((3, 17))
    conf[0, J['right_elbow']] = 0  # the elbow and the wrist below
    conf[1, J['spine']] = 0  # everything above the hips
    conf[2, J['pelvis']] = 0  # everything
    mask = mupots_scored_mask(conf)
    assert set(
        np.flatnonzero(~mask[0])) == {J['right_elbow'], J['right_wrist']}
    assert set(np.flatnonzero(mask[1])) == {
        J[n]
        for n in ('right_hip', 'right_knee', 'right_ankle', 'left_hip',
                  'left_knee', 'left_ankle')
    }
    assert not mask[2].any()


def test_headline_is_mean_of_sequences_pooled_kept():
    # Sequence TS2: 1 person, 14/14 correct; TS10: 3 people, 7/14 each.
    errors = np.zeros((4, 14))
    errors[1:, :7] = 500.0
    result = mupots_3dpck(
        errors, np.ones(4, bool), sequences=['TS2', 'TS10', 'TS10', 'TS10'])
    assert list(result['per_sequence']) == ['TS2', 'TS10']
    assert result['per_sequence']['TS2']['pck_all'] == pytest.approx(100.0)
    assert result['per_sequence']['TS10']['pck_all'] == pytest.approx(50.0)
    assert result['per_sequence']['TS10']['people'] == 3
    assert result['pck_all'] == pytest.approx(75.0)
    assert result['pck_all_pooled'] == pytest.approx(100.0 * (14 + 21) / 56)
    # Without sequences everyone is one sequence: mean and pool agree.
    single = mupots_3dpck(errors, np.ones(4, bool))
    assert single['pck_all'] == single['pck_all_pooled'] == pytest.approx(
        result['pck_all_pooled'])


def test_sequence_without_a_match_is_left_out_of_the_matched_mean():
    errors = np.zeros((3, 14))
    errors[2] = np.inf
    result = mupots_3dpck(
        errors, [True, True, False], sequences=['TS1', 'TS1', 'TS2'])
    assert np.isnan(result['per_sequence']['TS2']['pck_matched'])
    assert result['pck_matched'] == pytest.approx(100.0)
    assert result['pck_all'] == pytest.approx((100.0 + 0.0) / 2)


def test_no_match_gives_nan_matched_values():
    errors = np.full((2, 14), np.inf)
    result = mupots_3dpck(errors, np.zeros(2, bool))
    assert result['pck_all'] == 0.0
    assert np.isnan(result['pck_matched'])


def test_matching_equals_the_official_double_loop_on_random_data():
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
            best = max(
                range(len(scores)),
                key=lambda k: (scores[k], -k),
                default=None)
            if best is not None and scores[best] > 0:
                expected.append(best)
                taken.add(best)
            else:
                expected.append(-1)
        np.testing.assert_array_equal(match_mupots_poses(gt, pred), expected)

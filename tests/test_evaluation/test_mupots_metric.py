import numpy as np
import pytest
import torch
from evaluation_samples import logged, make_mupots_samples
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from test_mupots import hand_worked_frame

from hpse_bench.evaluation import MuPoTSMetric
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import H36M_17, MPI_17

# H36M-17 -> the official 17 joints by name (its neck is H36M's thorax).
MPI_INDEX = [H36M_17.index({'neck': 'thorax'}.get(n, n)) for n in MPI_17]
# The official script's o1 and safe_traversal_order(2:end), 1-based.
O1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]
TRAVERSAL = [16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
KEYS = ('pck_all', 'auc_all', 'pck_matched', 'auc_matched')


def _official_person(pred, gt):
    """Pelvis-relative, bones mapped to GT lengths in the official order."""
    pred = pred - pred[14]
    gt = gt - gt[14]
    out = pred.copy()
    for idx in TRAVERSAL:
        j, p = idx - 1, O1[idx - 1] - 1
        bone = pred[j] - pred[p]
        out[j] = out[p] + bone * np.linalg.norm(gt[j] - gt[p]) / \
            np.linalg.norm(bone)
    return np.linalg.norm(out - gt, axis=1)[:14]


def reference_mupots(samples, threshold=40.0):
    """Independent transcription of the official per-frame loop, per
    sequence, and the mean over sequences."""
    frames = {}
    for s in samples:
        key = (s.metainfo['sequence'], s.metainfo['image_id'])
        frames.setdefault(key, []).append(s)
    rows = []  # (sequence, matched, errors (14,), mask (14,))
    for (sequence, _), people in frames.items():
        people = sorted(people, key=lambda s: s.metainfo['sample_idx'])
        preds = [(s.pred_keypoints2d_img.numpy()[MPI_INDEX, :2],
                  s.pred_keypoints3d.numpy()[MPI_INDEX] * 1000)
                 for s in people]
        taken = [False] * len(preds)
        for s in people:
            gt3d = s.gt_keypoints3d.numpy()[MPI_INDEX]
            if not (gt3d[:, 3] > 0).any():
                continue
            gt2d = s.gt_keypoints2d_img.numpy()[MPI_INDEX, :2]
            scores = []
            for k, (pred2d, _) in enumerate(preds):
                score = 0
                for j in range(1, 14):  # visibility: all ones
                    dx, dy = np.abs(gt2d[j] - pred2d[j])
                    if not taken[k] and dx < threshold and dy < threshold:
                        score += 1
                scores.append(score)
            best = int(np.argmax(scores))
            if scores[best] > 0:
                taken[best] = True
                errors = _official_person(preds[best][1], gt3d[:, :3] * 1000)
            else:
                errors = np.full(14, 1e5)
            # An absent leaf joint is not scored (an extension; MuPoTS-3D
            # annotates every joint).
            rows.append((sequence, scores[best] > 0, errors, gt3d[:14, 3] > 0))

    def pck(selected, t):
        hits = sum(((e < t) & m).sum() for _, _, e, m in selected)
        count = sum(m.sum() for _, _, _, m in selected)
        return 100.0 * hits / count if count else np.nan

    def values(selected):
        matched = [r for r in selected if r[1]]
        return {
            'pck_all': pck(selected, 150),
            'pck_matched': pck(matched, 150),
            'auc_all': np.mean([pck(selected, t) for t in range(0, 151, 5)]),
            'auc_matched':
            np.mean([pck(matched, t) for t in range(0, 151, 5)]),
        }

    out = {}
    sequences = sorted({r[0] for r in rows})
    for seq in sequences:
        for key, value in values([r for r in rows if r[0] == seq]).items():
            out[f'{seq}/{key}'] = value
    for key in KEYS:
        out[key] = np.nanmean([out[f'{seq}/{key}'] for seq in sequences])
        out[f'{key}_pooled'] = values(rows)[key]
    return out, rows


@pytest.fixture(scope='module', autouse=True)
def _scope():
    DefaultScope.get_instance('test_mupots_metric', scope_name='hpse_bench')


def _evaluate(samples, **kwargs):
    metric = MuPoTSMetric(**kwargs)
    metric.process({}, [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


def test_evaluator_matches_official_loop():
    samples = make_mupots_samples()
    expected, rows = reference_mupots(samples)
    # The scenario has what it should: one unmatched person, one skipped.
    assert sum(not r[1] for r in rows) == 1
    assert len(rows) == len(samples) - 1

    evaluator = Evaluator(dict(type='MuPoTSMetric'))
    evaluator.process(samples[:5])
    evaluator.process(samples[5:])
    result = evaluator.evaluate(len(samples))
    assert set(result) == {f'mupots/{k}' for k in expected}
    for key, value in expected.items():
        assert result[f'mupots/{key}'] == pytest.approx(value, abs=1e-6), key
    assert result['mupots/pck_all'] < result['mupots/pck_matched']
    # The headline is the mean of the two sequences, not the pool here.
    assert result['mupots/pck_all'] == pytest.approx(
        (expected['TS1/pck_all'] + expected['TS7/pck_all']) / 2)
    assert result['mupots/pck_all'] != pytest.approx(
        result['mupots/pck_all_pooled'], abs=1e-3)


def _h36m_sample(gt2d, gt3d, pred2d, pred3d, **meta):
    """A HumanDataSample from MPI-17 arrays (px, mm), H36M-17 fields."""

    def h36m(x, width):
        out = np.zeros((17, width))
        out[MPI_INDEX, :x.shape[1]] = x
        return out

    sample = HumanDataSample(metainfo=dict(meta))
    sample.gt_keypoints2d_img = torch.tensor(
        h36m(np.concatenate([gt2d, np.ones((17, 1))], 1), 3))
    sample.gt_keypoints3d = torch.tensor(
        h36m(np.concatenate([gt3d / 1000, np.ones((17, 1))], 1), 4))
    sample.pred_keypoints2d_img = torch.tensor(h36m(pred2d, 2))
    sample.pred_keypoints3d = torch.tensor(h36m(pred3d / 1000, 3))
    return sample


def _hand_worked_samples(sequence='TS1', frame=0, start=0):
    """The two-person frame of test_mupots, one sample per person."""
    gt2d, gt3d, pred2d, pred3d, _ = hand_worked_frame()
    return [
        _h36m_sample(
            gt2d[k],
            gt3d[k],
            pred2d[k],
            pred3d[k],
            sequence=sequence,
            image_id=frame,
            sample_idx=start + k,
            img_path=f'{sequence}/img_{frame:06d}.jpg') for k in range(2)
    ]


def test_two_person_frame_by_hand_through_the_metric():
    # Person A: 5 of 14 joints within 150 mm after the official rescaling
    # (worked in test_mupots._person_a); person B unmatched.
    result = _evaluate(_hand_worked_samples())
    assert result['mupots/pck_matched'] == pytest.approx(100.0 * 5 / 14)
    assert result['mupots/pck_all'] == pytest.approx(100.0 * 5 / 28)
    assert result['mupots/auc_all'] == pytest.approx(100.0 * 5 * 30 /
                                                     (31 * 28))
    assert result['mupots/TS1/pck_all'] == result['mupots/pck_all']


def test_people_are_grouped_by_sequence_and_frame():
    # Frame 0 of TS1 and frame 0 of TS2 show one person each, at the same
    # place in the image, both predicted exactly. TS2's prediction matches
    # TS1's person on more joints than TS1's own (which is off by 50 px on
    # all matching joints but the neck): grouped by image_id alone, the
    # first would take the second's prediction.
    gt2d, gt3d, pred2d, pred3d, _ = hand_worked_frame()
    gt2d, gt3d = gt2d[0], gt3d[0]
    other3d = gt3d + np.array([0.0, 0.0, 800.0])
    other3d[:, 0] = 2 * (other3d[:, 0] - other3d[14, 0]) + other3d[14, 0]
    own2d = gt2d.copy()
    own2d[2:] += 50.0
    samples = [
        _h36m_sample(
            gt2d, gt3d, own2d, gt3d, sequence='TS1', image_id=0, sample_idx=0),
        _h36m_sample(
            gt2d,
            other3d,
            gt2d,
            other3d,
            sequence='TS2',
            image_id=0,
            sample_idx=1),
    ]
    result = _evaluate(samples)
    assert result['mupots/pck_all'] == pytest.approx(100.0)
    assert result['mupots/TS1/pck_all'] == pytest.approx(100.0)
    assert result['mupots/TS2/pck_all'] == pytest.approx(100.0)


def test_annotated_joints_match_whatever_their_2d_confidence():
    # The official matching sets the ground-truth visibility to all ones.
    samples = _hand_worked_samples()
    for s in samples:
        s.gt_keypoints2d_img[:, 2] = 0.0
    result = _evaluate(samples)
    assert result['mupots/pck_matched'] == pytest.approx(100.0 * 5 / 14)


def test_sample_order_does_not_matter():
    samples = make_mupots_samples(seed=1)
    results = []
    for order in (samples, samples[::-1]):
        results.append(_evaluate(order, per_sequence=False))
    assert results[0] == results[1]
    assert set(
        results[0]) == {f'mupots/{k}'
                        for k in KEYS} | {f'mupots/{k}_pooled'
                                          for k in KEYS}


def test_non_finite_prediction_counts_as_misses_and_is_logged():
    clean = _evaluate(_hand_worked_samples())
    samples = _hand_worked_samples()
    samples[0].pred_keypoints3d[MPI_INDEX[MPI_17.index('pelvis')], 0] = \
        float('nan')
    samples[1].pred_keypoints3d[:] = float('inf')  # unmatched anyway
    result, log = logged(_evaluate, samples)
    # The pelvis roots every joint: all 14 joints of A are misses.
    assert result['mupots/pck_all'] == 0.0
    assert result['mupots/pck_matched'] == 0.0
    assert clean['mupots/pck_matched'] > 0
    assert '2 predictions with nan/inf' in log


@pytest.mark.parametrize('key',
                         ['image_id', 'sample_idx', 'pred_keypoints2d_img'])
def test_missing_field_is_reported(key):
    data = make_mupots_samples()[0].to_dict()
    del data[key]
    with pytest.raises(KeyError, match=key):
        MuPoTSMetric().process({}, [data])


def test_broken_ground_truth_and_empty_evaluations_raise():
    sample = _hand_worked_samples()[0]
    sample.gt_keypoints3d[0, 0] = float('nan')
    with pytest.raises(ValueError, match='gt_keypoints3d.*nan/inf'):
        MuPoTSMetric().process({}, [sample])
    with pytest.raises(ValueError, match='no data sample'):
        MuPoTSMetric().evaluate(0)
    samples = _hand_worked_samples()
    samples[1].set_metainfo(dict(sequence=None))
    with pytest.raises(ValueError, match='"sequence"'):
        _evaluate(samples)
    samples = _hand_worked_samples()
    for s in samples:
        s.gt_keypoints3d[:, 3] = 0.0
    with pytest.raises(ValueError, match='no annotated person'):
        _evaluate(samples)

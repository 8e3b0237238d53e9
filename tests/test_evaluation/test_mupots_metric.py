import numpy as np
import pytest
from evaluation_samples import LSP_INDEX, make_mupots_samples
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from hpse_bench.evaluation import MuPoTSMetric
from hpse_bench.structures.conventions import LSP14_PARENTS, LSP_14


def _reference_rescale(pred, gt):
    """Loop version: pelvis-relative, neck hung from the mid-hip pelvis."""
    hips = [LSP_14.index('right_hip'), LSP_14.index('left_hip')]
    pred = pred - pred[hips].mean(0)
    gt = gt - gt[hips].mean(0)
    parent = {j: p for j, p in enumerate(LSP14_PARENTS)}
    neck = LSP_14.index('neck')
    out = {'pelvis': np.zeros(3)}
    origin = {'pelvis': np.zeros(3)}
    parent[neck] = 'pelvis'
    pred_at = lambda j: origin[j] if j == 'pelvis' else pred[j]  # noqa: E731
    gt_at = lambda j: origin[j] if j == 'pelvis' else gt[j]  # noqa: E731
    pending = list(range(14))
    while pending:
        j = pending.pop(0)
        if parent[j] not in out:
            pending.append(j)
            continue
        bone = pred_at(j) - pred_at(parent[j])
        length = np.linalg.norm(gt_at(j) - gt_at(parent[j]))
        out[j] = out[parent[j]] + bone / np.linalg.norm(bone) * length
    return np.array([out[j] for j in range(14)]), gt


def reference_mupots(samples, threshold=40.0):
    """Independent transcription of the official per-frame loop."""
    by_image = {}
    for s in samples:
        by_image.setdefault(s.metainfo['image_id'], []).append(s)
    matching_joints = [j for j in range(14) if LSP_14[j] != 'head_top']
    rows = []  # (sequence, matched, errors (14,), mask (14,))
    for people in by_image.values():
        people = sorted(people, key=lambda s: s.metainfo['sample_idx'])
        preds = [(s.pred_keypoints2d_img.numpy()[LSP_INDEX],
                  s.pred_keypoints3d.numpy()[LSP_INDEX] * 1000)
                 for s in people]
        taken = [False] * len(preds)
        for s in people:
            gt3d = s.gt_keypoints3d.numpy()[LSP_INDEX]
            if not (gt3d[:, 3] > 0).any():
                continue
            gt2d = s.gt_keypoints2d_img.numpy()[LSP_INDEX]
            scores = []
            for k, (pred2d, _) in enumerate(preds):
                score = 0
                for j in matching_joints:
                    dx, dy = np.abs(gt2d[j, :2] - pred2d[j])
                    if not taken[k] and dx < threshold and dy < threshold:
                        score += 1
                scores.append(score)
            best = int(np.argmax(scores))
            if scores[best] > 0:
                taken[best] = True
                pred, gt = _reference_rescale(preds[best][1],
                                              gt3d[:, :3] * 1000)
                errors = np.linalg.norm(pred - gt, axis=1)
            else:
                errors = np.full(14, 1e9)
            rows.append((s.metainfo['sequence'], scores[best]
                         > 0, errors, gt3d[:, 3] > 0))

    def pck(selected, t):
        hits = sum(((e < t) & m).sum() for _, _, e, m in selected)
        return 100.0 * hits / sum(m.sum() for _, _, _, m in selected)

    def values(selected):
        matched = [r for r in selected if r[1]]
        return {
            'pck_all': pck(selected, 150),
            'pck_matched': pck(matched, 150),
            'auc_all': np.mean([pck(selected, t) for t in range(0, 151, 5)]),
            'auc_matched':
            np.mean([pck(matched, t) for t in range(0, 151, 5)]),
        }

    out = values(rows)
    for seq in sorted({r[0] for r in rows}):
        for key, value in values([r for r in rows if r[0] == seq]).items():
            out[f'{key}_{seq}'] = value
    return out, rows


@pytest.fixture(scope='module', autouse=True)
def _scope():
    DefaultScope.get_instance('test_mupots_metric', scope_name='hpse_bench')


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
    for key, value in expected.items():
        assert result[f'mupots/{key}'] == pytest.approx(value, abs=1e-6), key
    assert result['mupots/pck_all'] < result['mupots/pck_matched']
    # The total pools people: it is not the mean of the two sequences here.
    assert result['mupots/pck_all_seq_mean'] == pytest.approx(
        (expected['pck_all_TS1'] + expected['pck_all_TS7']) / 2)
    assert result['mupots/pck_all'] != pytest.approx(
        result['mupots/pck_all_seq_mean'], abs=1e-3)


def test_sample_order_does_not_matter():
    samples = make_mupots_samples(seed=1)
    results = []
    for order in (samples, samples[::-1]):
        metric = MuPoTSMetric(per_sequence=False)
        metric.process({}, [s.to_dict() for s in order])
        results.append(metric.evaluate(len(order)))
    assert results[0] == results[1]
    assert set(results[0]) == {
        'mupots/pck_all', 'mupots/pck_matched', 'mupots/auc_all',
        'mupots/auc_matched'
    }


def test_missing_image_id_is_reported():
    sample = make_mupots_samples()[0]
    data = sample.to_dict()
    del data['image_id']
    with pytest.raises(KeyError, match='image_id'):
        MuPoTSMetric().process({}, [data])
    data = sample.to_dict()
    del data['pred_keypoints2d_img']
    with pytest.raises(KeyError, match='pred_keypoints2d_img'):
        MuPoTSMetric().process({}, [data])

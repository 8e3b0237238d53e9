import numpy as np
import pytest
from evaluation_samples import LSP_INDEX, logged, make_mesh_samples
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from scipy.spatial.transform import Rotation

from hpse_bench.evaluation import HumanMeshMetric
from hpse_bench.registry import METRICS
from hpse_bench.structures.conventions import H36M_17, LSP_14


def reference_values(samples, joint_set='lsp_14'):
    """Independent per-sample loop: errors pooled over valid joints (mm)."""
    if joint_set == 'lsp_14':
        index = LSP_INDEX
        hips = [LSP_14.index('right_hip'), LSP_14.index('left_hip')]
    else:
        index = list(range(17))
        hips = [H36M_17.index('pelvis')]
    sums = dict(mpjpe=0.0, pa_mpjpe=0.0)
    count, pve = 0, []
    for s in samples:
        pred = s.pred_keypoints3d.double().numpy()[index] * 1000
        gt_all = s.gt_keypoints3d.double().numpy()[index]
        gt, valid = gt_all[:, :3] * 1000, gt_all[:, 3] > 0
        pred_root, gt_root = pred[hips].mean(0), gt[hips].mean(0)
        for j in np.flatnonzero(valid):
            sums['mpjpe'] += np.linalg.norm((pred[j] - pred_root) -
                                            (gt[j] - gt_root))
        p, g = pred[valid], gt[valid]
        p0, g0 = p - p.mean(0), g - g.mean(0)
        rot, _ = Rotation.align_vectors(g0, p0)
        scale = np.sum(g0 * rot.apply(p0)) / np.sum(p0**2)
        fitted = scale * rot.apply(p0) + g.mean(0)
        sums['pa_mpjpe'] += np.linalg.norm(fitted - g, axis=1).sum()
        count += valid.sum()
        if 'pred_vertices' in s:
            pv = s.pred_vertices.double().numpy() * 1000 - pred_root
            gv = s.gt_vertices.double().numpy() * 1000 - gt_root
            pve.append(np.linalg.norm(pv - gv, axis=1).mean())
    out = {k: v / count for k, v in sums.items()}
    if pve:
        out['pve'] = float(np.mean(pve))
    return out


@pytest.fixture(scope='module', autouse=True)
def _scope():
    # Configs name hpse_bench types under the hpse_bench default scope.
    DefaultScope.get_instance(
        'test_human_mesh_metric', scope_name='hpse_bench')


def test_registered_and_built_from_config():
    metric = METRICS.build(
        dict(type='HumanMeshMetric', metrics=['pa_mpjpe'], prefix='h36m'))
    assert isinstance(metric, HumanMeshMetric)
    assert metric.prefix == 'h36m'


@pytest.mark.parametrize('joint_set', ['lsp_14', 'h36m_17'])
def test_evaluator_matches_independent_loop(joint_set):
    samples = make_mesh_samples()
    evaluator = Evaluator(
        dict(
            type='HumanMeshMetric',
            metrics=['pa_mpjpe', 'mpjpe', 'pve'],
            joint_set=joint_set,
            prefix='3dpw'))
    evaluator.process(samples[:4])
    evaluator.process(samples[4:])
    result = evaluator.evaluate(len(samples))
    assert set(result) == {'3dpw/pa_mpjpe', '3dpw/mpjpe', '3dpw/pve'}
    expected = reference_values(samples, joint_set)
    for name, value in expected.items():
        assert result[f'3dpw/{name}'] == pytest.approx(value, abs=1e-6)
    assert 0 < result['3dpw/pa_mpjpe'] < result['3dpw/mpjpe']


def test_dict_samples_and_pck_auc():
    samples = make_mesh_samples(num=4, seed=1, with_vertices=False)
    metric = HumanMeshMetric(metrics=['mpjpe', 'pck', 'auc'], prefix='x')
    metric.process({}, [s.to_dict() for s in samples[:2]])
    metric.process({}, samples[2:])  # HumanDataSample objects directly
    result = metric.evaluate(4)
    assert result['x/mpjpe'] == pytest.approx(
        reference_values(samples)['mpjpe'], abs=1e-6)
    assert 0 <= result['x/auc'] <= result['x/pck'] <= 100


def test_per_sample_reduction_differs_with_masks():
    samples = make_mesh_samples(num=6, seed=2, with_vertices=False)
    values = {}
    for reduction in ('joints', 'samples'):
        metric = HumanMeshMetric(metrics=['mpjpe'], reduction=reduction)
        metric.process({}, samples)
        values[reduction] = metric.evaluate(6)['mesh/mpjpe']
    assert values['joints'] == pytest.approx(
        reference_values(samples)['mpjpe'], abs=1e-6)
    assert values['joints'] != pytest.approx(values['samples'], abs=1e-3)


def test_missing_and_malformed_fields_are_reported():
    samples = make_mesh_samples(num=2, with_vertices=False)
    metric = HumanMeshMetric(metrics=['pve'])
    with pytest.raises(KeyError, match='pred_vertices.*img_000.jpg'):
        metric.process({}, samples)
    bad = make_mesh_samples(num=1, with_vertices=False)[0]
    bad.gt_keypoints3d = bad.gt_keypoints3d[:, :3]
    with pytest.raises(ValueError, match=r'gt_keypoints3d.*\(17, 4\)'):
        HumanMeshMetric(metrics=['mpjpe']).process({}, [bad])
    with pytest.raises(ValueError, match='unknown metrics'):
        HumanMeshMetric(metrics=['mpvpe'])
    with pytest.raises(ValueError, match='joint_set'):
        HumanMeshMetric(joint_set='coco_17')


def _values(samples, metrics=('pa_mpjpe', 'mpjpe', 'pve', 'pck', 'auc')):
    metric = HumanMeshMetric(metrics=list(metrics), prefix='x')
    metric.process({}, [s.to_dict() for s in samples])
    return logged(metric.evaluate, len(samples))


def test_empty_evaluation_raises_a_clear_error():
    with pytest.raises(ValueError, match='no data sample was evaluated'):
        HumanMeshMetric().evaluate(0)


def test_non_finite_in_unread_joints_changes_nothing():
    samples = make_mesh_samples(num=6, seed=4)
    clean, _ = _values(samples)
    # Sample 1 has H36M joints 9 (head) and 13 (left wrist) at confidence
    # 0, and the head is no LSP-14 joint at all.
    samples[1].pred_keypoints3d[9] = float('nan')
    samples[1].pred_keypoints3d[13] = float('inf')
    samples[4].pred_keypoints3d[9] = float('-inf')
    dirty, log = _values(samples)
    assert dirty == pytest.approx(clean, abs=1e-9)
    assert set(dirty) == set(clean) and 'nan/inf' not in log


def test_non_finite_prediction_is_skipped_counted_and_logged():
    samples = make_mesh_samples(num=6, seed=5)
    samples[2].pred_keypoints3d[2, 1] = float('nan')  # a valid LSP joint
    samples[3].pred_vertices[100] = float('inf')
    result, log = _values(samples)
    others = [samples[i] for i in (0, 1, 4, 5)]
    expected, _ = _values(others)
    assert result.pop('x/skipped_nonfinite') == 2
    assert result == pytest.approx(expected, abs=1e-9)
    assert '2 of 6 samples' in log and 'img_002.jpg' in log
    # Without PVE, the inf vertices are not read: only sample 2 is left out.
    result, _ = _values(samples, ('pa_mpjpe', ))
    assert result['x/skipped_nonfinite'] == 1
    # PA-MPJPE does not read the pelvis, the pelvis-aligned metrics do.
    samples = make_mesh_samples(num=3, seed=6, with_vertices=False)
    samples[0].gt_keypoints3d[1, 3] = 0.0  # H36M left hip: an LSP hip
    samples[0].pred_keypoints3d[1] = float('nan')
    assert 'x/skipped_nonfinite' not in _values(samples, ('pa_mpjpe', ))[0]
    assert _values(samples, ('mpjpe', ))[0]['x/skipped_nonfinite'] == 1


def test_every_prediction_non_finite_or_broken_ground_truth_raises():
    samples = make_mesh_samples(num=2, seed=7, with_vertices=False)
    for s in samples:
        s.pred_keypoints3d[:] = float('nan')
    with pytest.raises(ValueError, match='every one of the 2 predictions'):
        _values(samples, ('mpjpe', ))
    samples = make_mesh_samples(num=2, seed=7, with_vertices=False)
    samples[1].gt_keypoints3d[4, 0] = float('nan')
    with pytest.raises(ValueError, match='gt_keypoints3d.*img_001.jpg'):
        _values(samples, ('mpjpe', ))

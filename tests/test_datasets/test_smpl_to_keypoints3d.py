"""SMPLToKeypoints3D: 3D keypoint labels of SMPL-only samples (3DPW)."""
import numpy as np
import pytest

from hpse_bench.datasets import HumanImageDataset
from hpse_bench.datasets.transforms import SMPLToKeypoints3D


@pytest.fixture(scope='module')
def h36m_samples(synthetic_root):
    """Raw (un-augmented) synthetic h36m samples: their keypoints3d were
    written by the generator, an independent reference for the joints."""
    ds = HumanImageDataset(
        dataset_name='h36m',
        data_root=synthetic_root,
        ann_file='h36m/h36m_train.npz',
        data_prefix=dict(img='h36m/'),
        pipeline=[])
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_joints_from_smpl_match_the_generator_labels(h36m_samples):
    transform = SMPLToKeypoints3D()
    for info in h36m_samples:
        assert info['has_smpl'] > 0 and info['has_keypoints3d'] > 0
        reference = info['keypoints3d'].copy()
        smpl_only = dict(info, has_keypoints3d=0.0,
                         keypoints3d=np.zeros_like(reference))
        out = transform(smpl_only)
        assert out['has_keypoints3d'] == 1.0
        assert np.all(out['keypoints3d'][:, 3] == 1)
        # Same joints up to the translation that SMPL parameters lack.
        pred = out['keypoints3d'][:, :3] - out['keypoints3d'][:1, :3]
        ref = reference[:, :3] - reference[:1, :3]
        np.testing.assert_allclose(pred, ref, atol=1e-4)


def test_labelled_and_unlabelled_samples_are_left_alone(h36m_samples):
    transform = SMPLToKeypoints3D()
    info = h36m_samples[0]
    labelled = dict(info, keypoints3d=info['keypoints3d'] + 1.0)
    assert np.array_equal(
        transform(dict(labelled))['keypoints3d'], labelled['keypoints3d'])
    no_smpl = dict(info, has_smpl=0.0, has_keypoints3d=0.0)
    out = transform(dict(no_smpl))
    assert out['has_keypoints3d'] == 0.0


def test_gender(h36m_samples):
    transform = SMPLToKeypoints3D()
    info = dict(h36m_samples[0], has_keypoints3d=0.0)
    neutral = transform(dict(info))['keypoints3d']
    # The embedded model is neutral only: a female sample warns and uses it.
    with pytest.warns(UserWarning, match='neutral model for "female"'):
        female = transform(dict(info, gender='f'))['keypoints3d']
    np.testing.assert_array_equal(female, neutral)
    with pytest.raises(ValueError, match='unknown gender "x"'):
        transform(dict(info, gender='x'))

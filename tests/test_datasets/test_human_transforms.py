import copy

import cv2
import numpy as np
import pytest
import smplx
import torch
from human_data_samples import IMG_H, IMG_W, slots_of, write_split
from mmengine.registry import init_default_scope

from hpse_bench.datasets import HumanImageDataset
from hpse_bench.datasets.transforms import (LoadHumanImage, PackHumanInputs,
                                            RandomChannelNoise,
                                            RandomHumanBBoxTransform,
                                            RandomHumanFlip,
                                            TopdownHumanAffine)
from hpse_bench.datasets.transforms.geometry import inplane_rotation_matrix
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import (COCO_17, FLIP_INDICES, H36M_17,
                                               SMPL_24, SMPL_PARENTS,
                                               flip_smpl_pose)

MIRROR = np.diag([-1.0, 1.0, 1.0])


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hpse_bench')


def sample_results(seed=0, size=(IMG_H, IMG_W)):
    """A data info as HumanImageDataset makes it, with an image."""
    rng = np.random.default_rng(seed)
    h, w = size
    kp2d = np.concatenate([
        rng.uniform([20, 15], [w - 20, h - 15], (17, 2)),
        rng.choice([0., 1.], (17, 1), p=[0.2, 0.8])
    ],
                          axis=1).astype(np.float32)
    kp2d[kp2d[:, 2] == 0, :2] = 0
    kp3d = np.concatenate(
        [rng.normal(0, 0.4, (17, 3)) + [0, 0, 5],
         np.ones((17, 1))], axis=1).astype(np.float32)
    return dict(
        img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
        img_path='x.jpg',
        sample_idx=3,
        dataset_name='h36m',
        image_id='x.jpg',
        bbox_center=np.array([w / 2 + 3, h / 2 - 2], np.float32),
        bbox_scale=np.array([80, 80], np.float32),
        keypoints2d=kp2d,
        keypoints2d_img=np.concatenate(
            [rng.uniform(0, w, (17, 2)),
             np.ones((17, 1))], axis=1).astype(np.float32),
        keypoints3d=kp3d,
        smpl_pose=rng.normal(0, 0.4, 72).astype(np.float32),
        smpl_betas=rng.normal(0, 1, 10).astype(np.float32),
        has_smpl=1.0,
        has_keypoints3d=1.0,
        principal_point=np.array([w / 2, h / 2], np.float32),
        flip=False,
        rotation=0.0)


# ----------------------------------------------------------------------
# Flip
# ----------------------------------------------------------------------
def test_flip_twice_is_identity():
    results = sample_results()
    original = copy.deepcopy(results)
    flip = RandomHumanFlip(prob=1.0)
    once = flip(copy.deepcopy(results))
    assert once['flip'] is True
    assert not np.array_equal(once['img'], original['img'])
    twice = flip(once)
    assert twice['flip'] is False
    for key, value in original.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(
                twice[key], value, atol=1e-5, err_msg=key)
    assert RandomHumanFlip(prob=0.0)(copy.deepcopy(results))['flip'] is False


def test_flip_labels_by_hand():
    results = sample_results(seed=1)
    w = IMG_W
    out = RandomHumanFlip(prob=1.0)(copy.deepcopy(results))
    # Pixel column x moves to w - 1 - x (cv2.flip's mapping).
    np.testing.assert_array_equal(out['img'], cv2.flip(results['img'], 1))
    left = COCO_17.index('left_wrist')
    right = COCO_17.index('right_wrist')
    src = results['keypoints2d'][left]
    dst = out['keypoints2d'][right]
    if src[2] > 0:
        np.testing.assert_allclose(dst, [w - 1 - src[0], src[1], src[2]])
    lh, rh = H36M_17.index('left_hip'), H36M_17.index('right_hip')
    np.testing.assert_allclose(out['keypoints3d'][rh],
                               results['keypoints3d'][lh] * [-1, 1, 1, 1])
    np.testing.assert_allclose(out['keypoints2d_img'][rh, 0],
                               w - 1 - results['keypoints2d_img'][lh, 0])
    assert out['bbox_center'][0] == pytest.approx(w - 1 -
                                                  results['bbox_center'][0])
    # Absent keypoints keep zero coordinates.
    absent = out['keypoints2d'][:, 2] == 0
    assert (out['keypoints2d'][absent, :2] == 0).all()


def toy_symmetric_smpl():
    """A real ``smplx.SMPL`` whose rest skeleton is mirror symmetric.

    The 24 rest joints sit at vertices 0..23 (one-hot ``J_regressor``), the
    person's left on +x; blend shapes are zero. smplx's kinematics is then
    exactly what is tested: mirroring the pose must mirror the joints.
    """
    left = {
        'hip': (0.09, -0.09, 0.01),
        'knee': (0.11, -0.48, 0.02),
        'ankle': (0.1, -0.88, -0.03),
        'foot': (0.12, -0.94, 0.1),
        'collar': (0.07, 0.42, -0.01),
        'shoulder': (0.18, 0.45, -0.02),
        'elbow': (0.44, 0.44, -0.03),
        'wrist': (0.69, 0.45, -0.02),
        'hand': (0.78, 0.44, -0.01),
    }
    centre = {
        'pelvis': (0, 0, 0),
        'spine_1': (0, 0.1, -0.01),
        'spine_2': (0, 0.22, 0.0),
        'spine_3': (0, 0.28, 0.01),
        'neck': (0, 0.5, -0.01),
        'head': (0, 0.6, 0.04),
    }
    joints = []
    for name in SMPL_24:
        if name.startswith('left_'):
            joints.append(left[name[5:]])
        elif name.startswith('right_'):
            x, y, z = left[name[6:]]
            joints.append((-x, y, z))
        else:
            joints.append(centre[name])
    nv = 6890  # smplx picks extra joints at SMPL vertex ids
    v_template = np.zeros((nv, 3))
    v_template[:24] = joints
    j_regressor = np.zeros((24, nv))
    j_regressor[np.arange(24), np.arange(24)] = 1
    weights = np.zeros((nv, 24))
    weights[:, 0] = 1
    struct = smplx.utils.Struct(
        v_template=v_template,
        shapedirs=np.zeros((nv, 3, 10)),
        posedirs=np.zeros((nv, 3, 207)),
        J_regressor=j_regressor,
        weights=weights,
        kintree_table=np.stack([SMPL_PARENTS, np.arange(24)]),
        f=np.array([[0, 1, 2]]))
    return smplx.SMPL(model_path='', data_struct=struct)


def smpl_joints(model, pose, betas=None):
    pose = torch.as_tensor(np.asarray(pose), dtype=torch.float32)
    pose = pose.reshape(-1, 72)
    kwargs = {}
    if betas is not None:
        kwargs['betas'] = torch.as_tensor(
            np.asarray(betas), dtype=torch.float32).reshape(-1, 10)
    with torch.no_grad():
        out = model(global_orient=pose[:, :3], body_pose=pose[:, 3:], **kwargs)
    return out.joints[:, :24].numpy().astype(np.float64)


def assert_flip_mirrors_joints(model, poses, atol):
    joints = smpl_joints(model, poses)
    flipped = smpl_joints(model, flip_smpl_pose(poses))
    # Mirror x -> -x, and the left joint of the mirror image is the
    # original right one.
    expected = (joints @ MIRROR)[:, FLIP_INDICES['smpl_24']]
    root = expected[:, :1] - flipped[:, :1]
    np.testing.assert_allclose(flipped + root, expected, atol=atol)


def test_flip_smpl_pose_mirrors_joints_toy_model():
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 0.5, (8, 72))
    assert_flip_mirrors_joints(toy_symmetric_smpl(), poses, atol=1e-5)
    # A wrong flip (no sign change) is caught by the same comparison.
    model = toy_symmetric_smpl()
    wrong = poses.reshape(8, 24, 3)[:, FLIP_INDICES['smpl_24']].reshape(8, 72)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(
            smpl_joints(model, wrong),
            (smpl_joints(model, poses) @ MIRROR)[:, FLIP_INDICES['smpl_24']],
            atol=1e-3)


def test_flip_smpl_pose_mirrors_joints_hpse_smpl():
    """The key check of flip_smpl_pose on hpse_bench's SMPL (embedded)."""
    body_models = pytest.importorskip('hpse_bench.body_models')
    if not hasattr(body_models, 'SMPL'):
        pytest.skip('hpse_bench.body_models.SMPL is not available')
    model = body_models.SMPL()
    rng = np.random.default_rng(1)
    poses = torch.as_tensor(rng.normal(0, 0.4, (4, 72)), dtype=torch.float32)
    flipped = torch.as_tensor(flip_smpl_pose(poses.numpy()))
    betas = torch.as_tensor(rng.normal(0, 1, (4, 10)), dtype=torch.float32)
    with torch.no_grad():
        out = model(
            betas=betas, body_pose=poses[:, 3:], global_orient=poses[:, :3])
        out_f = model(
            betas=betas,
            body_pose=flipped[:, 3:],
            global_orient=flipped[:, :3])
    for key, convention in (('joints_smpl24', 'smpl_24'), ('keypoints_h36m17',
                                                           'h36m_17')):
        joints = out[key].numpy().astype(np.float64)
        expected = (joints @ MIRROR)[:, FLIP_INDICES[convention]]
        got = out_f[key].numpy().astype(np.float64)
        # The embedded template is mirror symmetric; 1 mm of slack.
        np.testing.assert_allclose(got, expected, atol=1e-3, err_msg=key)


# ----------------------------------------------------------------------
# Box jitter and affine crop
# ----------------------------------------------------------------------
def test_bbox_transform_distribution():
    np.random.seed(0)
    t = RandomHumanBBoxTransform(
        scale_factor=0.25, rotate_factor=30, rotate_prob=0.4)
    scales, rotations = [], []
    for _ in range(4000):
        out = t(
            dict(
                bbox_center=np.array([50., 60.]),
                bbox_scale=np.array([100., 100.])))
        scales.append(out['bbox_scale'][0] / 100)
        rotations.append(out['rotation'])
        np.testing.assert_array_equal(out['bbox_center'], [50, 60])
    scales, rotations = np.array(scales), np.array(rotations)
    assert scales.min() >= 0.75 - 1e-6 and scales.max() <= 1.25 + 1e-6
    assert abs(scales.mean() - 1) < 0.01
    assert np.abs(rotations).max() <= 60
    assert abs((rotations != 0).mean() - 0.4) < 0.03
    nonzero = rotations[rotations != 0]
    # N(0, 30) clipped at 60: std a little below 30.
    assert 25 < nonzero.std() < 30


def draw_dot(img, x, y, value=255):
    img[y - 1:y + 2, x - 1:x + 2] = value


def find_dot(img):
    gray = img.astype(np.float64).sum(axis=2)
    gray[gray < gray.max() * 0.5] = 0
    ys, xs = np.nonzero(gray)
    wts = gray[ys, xs]
    return np.array([(xs * wts).sum(), (ys * wts).sum()]) / wts.sum()


@pytest.mark.parametrize('rotation,flip', [(0, False), (25, False),
                                           (-40, True), (90, True)])
def test_keypoints_follow_the_image(rotation, flip):
    """Draw a dot at a keypoint, crop (and flip), find the dot again."""
    results = sample_results(seed=2)
    joint = COCO_17.index('left_knee')
    x, y = 70, 50
    img = np.zeros((IMG_H, IMG_W, 3), np.uint8)
    draw_dot(img, x, y)
    results['img'] = img
    results['keypoints2d'][:] = 0
    results['keypoints2d'][joint] = [x, y, 1]
    results['bbox_center'] = np.array([75., 55.], np.float32)
    results['bbox_scale'] = np.array([70., 70.], np.float32)
    results['rotation'] = float(rotation)
    if flip:
        results = RandomHumanFlip(prob=1.0)(results)
        joint = COCO_17.index('right_knee')
    out = TopdownHumanAffine(input_size=(96, 128))(results)
    assert out['img'].shape == (128, 96, 3) and out['img_shape'] == (128, 96)
    assert out['warp_mat'].shape == (2, 3)
    kp = out['keypoints2d'][joint]
    assert kp[2] == 1
    np.testing.assert_allclose(find_dot(out['img']), kp[:2], atol=0.6)
    # The crop keeps the input's aspect ratio: 70x70 box -> 70x93.3.
    np.testing.assert_allclose(
        out['bbox_scale'], [70, 70 * 128 / 96], rtol=1e-5)


def test_keypoints_leaving_the_crop_get_zero_confidence():
    results = sample_results(seed=3)
    results['keypoints2d'][:, 2] = 1
    results['keypoints2d'][0, :2] = results['bbox_center'] + [60, 0]
    results['keypoints2d'][1, :2] = results['bbox_center'] + [0, -45]
    results['keypoints2d'][2, :2] = results['bbox_center'] + [10, 10]
    out = TopdownHumanAffine(input_size=(64, 64))(results)
    np.testing.assert_array_equal(out['keypoints2d'][:3, 2], [0, 0, 1])
    np.testing.assert_array_equal(out['keypoints2d'][:2, :2], 0)
    assert np.allclose(out['keypoints2d'][2, :2], 32 + 10 * 64 / 80)


@pytest.mark.parametrize('rotation,flip', [(33.0, False), (-50.0, True)])
def test_rotation_moves_3d_keypoints_with_2d(tmp_path, rotation, flip):
    """Projected 3D keypoints land on the 2D ones after the augmentation.

    The file's 2D keypoints are pinhole projections of its 3D keypoints
    with the principal point at the image centre; boxes are centred there.
    After flip and rotation, the crop camera (focal scaled, principal point
    at the crop centre) must project the augmented 3D keypoints onto the
    augmented 2D keypoints, for the joints COCO-17 and H36M-17 share.
    """
    write_split(str(tmp_path), 4, seed=5)
    pipeline = [dict(type='LoadHumanImage')]
    if flip:
        pipeline.append(dict(type='RandomHumanFlip', prob=1.0))
    ds = HumanImageDataset(
        ann_file='train.npz',
        data_root=str(tmp_path),
        dataset_name='h36m',
        pipeline=pipeline)
    affine = TopdownHumanAffine(input_size=(64, 64))
    # Joints stored in the same human_data slot for COCO-17 and H36M-17
    # (knees, ankles, shoulders, elbows, wrists; the hips differ).
    coco_slots, h36m_slots = slots_of('coco_17'), slots_of('h36m_17')
    pairs = [(i, int(np.flatnonzero(h36m_slots == s)[0]))
             for i, s in enumerate(coco_slots) if s in h36m_slots]
    assert len(pairs) == 10
    coco_idx, h36m_idx = map(list, zip(*pairs))
    for i in range(len(ds)):
        results = ds[i]
        # Centre the box on the principal point (the image centre).
        results['bbox_center'] = np.array([(IMG_W - 1) / 2, (IMG_H - 1) / 2],
                                          np.float32)
        results['rotation'] = rotation
        before = copy.deepcopy(results)
        out = affine(results)
        focal = out['focal_length'][0] * 64 / out['bbox_scale'][0]
        kp3d = out['keypoints3d'][h36m_idx, :3]
        proj = kp3d[:, :2] / kp3d[:, 2:] * focal + 32
        kp2d = out['keypoints2d'][coco_idx]
        valid = kp2d[:, 2] > 0
        assert valid.sum() >= 3
        np.testing.assert_allclose(proj[valid], kp2d[valid, :2], atol=1e-3)
        # A rotation about the camera z axis: depth and distances unchanged.
        np.testing.assert_allclose(
            kp3d[:, 2], before['keypoints3d'][h36m_idx, 2], atol=1e-6)
        assert out['flip'] is flip


def test_rotation_turns_the_smpl_body_with_the_keypoints():
    """SMPL joints of the rotated global orientation = rotated joints."""
    model = toy_symmetric_smpl()
    results = sample_results(seed=4)
    results['rotation'] = 35.0
    pose_before = results['smpl_pose'].copy()
    out = TopdownHumanAffine(input_size=(64, 64))(results)
    np.testing.assert_array_equal(out['smpl_pose'][3:], pose_before[3:])
    before = smpl_joints(model, pose_before)[0]
    after = smpl_joints(model, out['smpl_pose'])[0]
    rot = inplane_rotation_matrix(35.0)
    expected = (before - before[0]) @ rot.T
    np.testing.assert_allclose(after - after[0], expected, atol=1e-5)
    # The 3D keypoints turn by the same matrix.
    np.testing.assert_allclose(
        out['keypoints3d'][:, :3],
        sample_results(seed=4)['keypoints3d'][:, :3] @ rot.T,
        atol=1e-5)


# ----------------------------------------------------------------------
# Colour and packing
# ----------------------------------------------------------------------
def test_channel_noise():
    np.random.seed(0)
    img = np.full((8, 8, 3), 100, np.uint8)
    img[0, 0] = [10, 20, 250]
    transform = RandomChannelNoise(noise_factor=0.4)
    seen = []
    for _ in range(200):
        out = transform(dict(img=img.copy()))['img']
        assert out.dtype == np.uint8 and out.shape == img.shape
        # One factor per channel for the whole image.
        assert (out[1:, 1:] == out[1, 1]).all()
        factor = out[1, 1] / 100.0
        assert ((factor >= 0.6 - 0.005) & (factor <= 1.4 + 0.005)).all()
        expected = np.clip(np.array([10, 20, 250]) * factor, 0, 255)
        np.testing.assert_allclose(out[0, 0], expected, atol=1.5)
        seen.append(factor)
    seen = np.array(seen)
    assert seen.min() < 0.65 and seen.max() > 1.35
    assert len(np.unique(seen[:, 0])) > 50  # channels drawn independently
    assert not np.allclose(seen[:, 0], seen[:, 1])
    unchanged = RandomChannelNoise(0.0)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(unchanged, img)


def test_pack_human_inputs_shapes_and_dtypes():
    results = TopdownHumanAffine(input_size=(48, 64))(sample_results())
    packed = PackHumanInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(inputs, torch.Tensor) and inputs.dtype == torch.uint8
    assert inputs.shape == (3, 64, 48) and inputs.is_contiguous()
    np.testing.assert_array_equal(
        inputs.permute(1, 2, 0).numpy(), results['img'])
    assert isinstance(sample, HumanDataSample)
    shapes = dict(
        gt_keypoints2d=(17, 3),
        gt_keypoints2d_img=(17, 3),
        gt_keypoints3d=(17, 4),
        gt_smpl_pose=(72, ),
        gt_smpl_betas=(10, ),
        has_smpl=(),
        has_keypoints3d=())
    for field, shape in shapes.items():
        value = sample.get(field)
        assert value.dtype == torch.float32 and tuple(value.shape) == shape
    assert set(sample.metainfo) == {
        'img_path', 'sample_idx', 'dataset_name', 'image_id', 'img_shape',
        'bbox_center', 'bbox_scale', 'warp_mat', 'flip', 'rotation'
    }
    assert sample.img_shape == (64, 48)
    assert sample.warp_mat.shape == (2, 3)

    # Absent labels: zeros, confidence 0, has_* = 0.
    bare = TopdownHumanAffine(input_size=(48, 64))({
        k: v
        for k, v in sample_results().items()
        if k not in ('keypoints3d', 'smpl_pose', 'smpl_betas', 'has_smpl',
                     'has_keypoints3d')
    })
    sample = PackHumanInputs()(bare)['data_samples']
    assert sample.has_smpl.item() == 0 and sample.has_keypoints3d.item() == 0
    assert (sample.gt_keypoints3d == 0).all()
    assert (sample.gt_smpl_pose == 0).all()

    # Optional metainfo, and clear errors.
    results = TopdownHumanAffine(input_size=(48, 64))(sample_results())
    results['sequence'] = 'TS3'
    sample = PackHumanInputs(
        optional_meta_keys=('sequence', 'gender'))(results)['data_samples']
    assert sample.sequence == 'TS3' and 'gender' not in sample.metainfo
    with pytest.raises(KeyError, match='TopdownHumanAffine'):
        PackHumanInputs()(sample_results())
    results = TopdownHumanAffine(input_size=(48, 64))(sample_results())
    results['keypoints3d'] = np.zeros((24, 4))
    with pytest.raises(ValueError, match='keypoints3d'):
        PackHumanInputs()(results)


def test_flip_after_crop_is_refused():
    results = TopdownHumanAffine(input_size=(32, 32))(sample_results())
    with pytest.raises(RuntimeError, match='before TopdownHumanAffine'):
        RandomHumanFlip(prob=1.0)(results)


def test_loader_reads_bgr_and_rgb(tmp_path):
    img = np.zeros((10, 12, 3), np.uint8)
    img[..., 0] = 200  # blue in BGR
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, img)
    bgr = LoadHumanImage()(dict(img_path=path))
    rgb = LoadHumanImage(channel_order='rgb')(dict(img_path=path))
    assert bgr['img'][0, 0].tolist() == [200, 0, 0]
    assert rgb['img'][0, 0].tolist() == [0, 0, 200]
    assert bgr['img_shape'] == (10, 12)

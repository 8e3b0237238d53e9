"""The synthetic labels agree with the pixels and the geometry.

Files of the ``synthetic_root`` fixture are read back and checked against
independent references: pycocotools masks, smplx on the stored SMPL
parameters, the H36M regressor applied by hand, ray casting of the posed
meshes (for DensePose), and scenes built on purpose (for visibility).
"""
import contextlib
import io
import json
import os.path as osp
from collections import defaultdict

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import smplx
import torch
from ray_casting import RayCaster
from scipy.spatial.transform import Rotation

from hpse_bench.body_models import get_smpl_root, smpl_model_file
from hpse_bench.structures.cameras import perspective_projection
from hpse_bench.structures.conventions import (COCO_17,
                                               DENSEPOSE_CHART_TO_COARSE,
                                               human_data_indices)
from hpse_bench.synthetic import GROUP_SIZE, make_generator, split_files
from hpse_bench.synthetic.primitives import box_mesh
from hpse_bench.synthetic.scene import Camera, Occluder, PersonParams

THREE_D_SPLITS = [('h36m', 'train'), ('h36m', 'test'), ('pw3d', 'test'),
                  ('mupots', 'test')]


@pytest.fixture(scope='module')
def generator():
    return make_generator()


@pytest.fixture(scope='module')
def session_generator(synthetic_root):
    """The generator of the session's data (its sizes and options), for
    re-rendering what is on disk."""
    with open(osp.join(synthetic_root, 'MANIFEST.json')) as f:
        return make_generator(**json.load(f)['options'])


def load_coco(root, subset='train'):
    with open(split_files(root, 'coco')[subset]['coco_json']) as f:
        coco = json.load(f)
    anns = defaultdict(list)
    for a in coco['annotations']:
        anns[a['image_id']].append(a)
    return coco, anns


def load_human_data(root, split, subset):
    data = np.load(
        split_files(root, split)[subset]['human_data'], allow_pickle=True)
    return {k: data[k] for k in data.files}


def project(points, focal, center):
    return perspective_projection(
        torch.as_tensor(points, dtype=torch.float64)[None], float(focal),
        torch.as_tensor(center, dtype=torch.float64))[0].numpy()


@pytest.mark.parametrize('subset', ['train', 'val'])
def test_coco_keypoints_masks_and_boxes_agree(synthetic_root, subset):
    coco, anns = load_coco(synthetic_root, subset)
    counts = np.zeros(3, int)
    for image in coco['images']:
        h, w = image['height'], image['width']
        for a in anns[image['id']]:
            mask = mask_utils.decode(a['segmentation']).astype(bool)
            assert mask.shape == (h, w)
            assert a['area'] == mask.sum()
            np.testing.assert_allclose(
                a['bbox'], mask_utils.toBbox(a['segmentation']), atol=0.01)
            kp = np.asarray(a['keypoints'], float).reshape(17, 3)
            assert a['num_keypoints'] == (kp[:, 2] > 0).sum()
            for x, y, v in kp:
                counts[int(v)] += 1
                if v == 0:
                    assert x == 0 and y == 0
                    continue
                col, row = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
                assert 0 <= col < w and 0 <= row < h
                if v == 2:
                    # A visible keypoint lies on its person's visible mask.
                    assert mask[row, col]
    # The data exercise all three visibility states.
    assert counts[2] > 0 and counts[1] > 0


def read_parts(root, split, subset, index):
    """(chart, person) maps of an image's part PNG."""
    files = split_files(root, split)[subset]
    path = osp.join(files['parts'],
                    f'{files["request_digest"]}_{index:06d}.png')
    rgb = cv2.imread(path, cv2.IMREAD_UNCHANGED)[..., ::-1]
    return rgb[..., 0].astype(int), rgb[..., 1].astype(int)


def test_part_maps_agree_with_masks_and_densepose(synthetic_root):
    coco, anns = load_coco(synthetic_root)
    for image in coco['images']:
        chart, person = read_parts(synthetic_root, 'coco', 'train',
                                   image['id'] - 1)
        assert set(np.unique(chart)) <= set(range(25))
        np.testing.assert_array_equal(chart > 0, person > 0)
        for k, a in enumerate(anns[image['id']]):
            mask = mask_utils.decode(a['segmentation']).astype(bool)
            np.testing.assert_array_equal(person == k + 1, mask)
            x0, y0, w, h = a['bbox']
            cols = np.round(x0 + np.asarray(a['dp_x']) * w / 256 -
                            0.5).astype(int)
            rows = np.round(y0 + np.asarray(a['dp_y']) * h / 256 -
                            0.5).astype(int)
            np.testing.assert_array_equal(chart[rows, cols], a['dp_I'])
    data = load_human_data(synthetic_root, 'mupots', 'test')
    for image_id in np.unique(data['image_id']):
        rows = np.flatnonzero(data['image_id'] == image_id)
        _, person = read_parts(synthetic_root, 'mupots', 'test', image_id - 1)
        for k, row in enumerate(rows):
            ys, xs = np.nonzero(person == k + 1)
            np.testing.assert_allclose(
                data['bbox_xywh'][row, :4],
                [xs.min(), ys.min(),
                 xs.ptp() + 1, ys.ptp() + 1])


def test_coco_keypoints_are_projections_of_the_3d_joints(
        synthetic_root, session_generator):
    """Re-render the first group in memory: same keypoints as the file,
    and they are the perspective projections of the COCO-17 joints."""
    coco, anns = load_coco(synthetic_root)
    results = session_generator.generate_group('coco', 'train', 0,
                                               range(GROUP_SIZE))
    for index, result in enumerate(results):
        stored = anns[index + 1]
        assert len(stored) == len(result.people)
        for a, person in zip(stored, result.people):
            kp = np.asarray(a['keypoints'], float).reshape(17, 3)
            proj = project(person.keypoints3d['coco_17'],
                           result.camera.focal_length,
                           result.camera.principal_point)
            labelled = kp[:, 2] > 0
            assert np.abs(kp[labelled, :2] - proj[labelled]).max() < 0.5
            np.testing.assert_array_equal(kp[:, 2], person.keypoints[:, 2])
            # Absent keypoints are the ones outside the image.
            h, w = result.image.shape[:2]
            outside = ((proj[:, 0] < -0.5) | (proj[:, 0] >= w - 0.5) |
                       (proj[:, 1] < -0.5) | (proj[:, 1] >= h - 0.5))
            np.testing.assert_array_equal(outside, ~labelled)


@pytest.mark.parametrize('split,subset', THREE_D_SPLITS)
def test_human_data_3d_joints_project_onto_2d_keypoints(
        synthetic_root, split, subset):
    data = load_human_data(synthetic_root, split, subset)
    n = len(data['image_path'])
    assert n >= 8
    slots = np.flatnonzero(data['keypoints3d_mask'])
    for i in range(n):
        focal = data['focal_length'][i]
        assert focal[0] == focal[1]
        proj = project(data['keypoints3d'][i, slots, :3], focal[0],
                       data['principal_point'][i])
        err = np.abs(proj - data['keypoints2d'][i, slots, :2]).max()
        assert err < 0.5, (split, i, err)
        assert np.all(data['keypoints3d'][i, slots, 2] > 0)
    if split == 'mupots':
        # Several people per image, grouped by image_id.
        _, people = np.unique(data['image_id'], return_counts=True)
        assert people.min() >= 2 and people.max() <= 4


@pytest.mark.parametrize('split,subset',
                         THREE_D_SPLITS[:1] + THREE_D_SPLITS[-1:])
def test_smplx_on_stored_parameters_reproduces_the_generator(
        synthetic_root, session_generator, split, subset):
    """Plain smplx (not hpse_bench's wrapper) on the stored parameters
    gives the generator's vertices; the H36M regressor applied by hand to
    them gives the stored 3D joints."""
    data = load_human_data(synthetic_root, split, subset)
    smpl = data['smpl'].item()
    root = get_smpl_root('embedded')
    with contextlib.redirect_stdout(io.StringIO()):
        model = smplx.SMPL(model_path=smpl_model_file(root), num_betas=10)
    regressor = np.load(osp.join(root, 'J_regressor_h36m.npy'))
    results = session_generator.generate_group(split, subset, 0,
                                               range(GROUP_SIZE))
    vertices = np.concatenate([[p.vertices for p in r.people]
                               for r in results])
    n = len(vertices)
    assert n <= len(data['image_path'])
    with torch.no_grad():
        out = model(
            betas=torch.as_tensor(smpl['betas'][:n]),
            body_pose=torch.as_tensor(smpl['body_pose'][:n]).reshape(n, -1),
            global_orient=torch.as_tensor(smpl['global_orient'][:n]),
            transl=torch.as_tensor(smpl['transl'][:n]))
    ours = out.vertices.double().numpy()
    assert np.abs(ours - vertices).max() < 1e-5
    h36m = np.einsum('jv,nvc->njc', regressor, ours)
    stored = data['keypoints3d'][:n, human_data_indices('h36m_17'), :3]
    assert np.abs(h36m - stored).max() < 1e-5


def test_densepose_points_and_masks_match_ray_casting(synthetic_root,
                                                      session_generator):
    """dp_I / dp_U / dp_V at every annotated point and the coarse part of
    sampled 256x256 mask cells equal what a ray through that pixel hits on
    the person's mesh."""
    coco, anns = load_coco(synthetic_root)
    results = session_generator.generate_group('coco', 'train', 0, range(4))
    dp = np.load(osp.join(get_smpl_root('embedded'), 'densepose_uv.npz'))
    charts, face_uv = dp['face_charts'], dp['face_uv']
    coarse_of = np.asarray(DENSEPOSE_CHART_TO_COARSE)
    rng = np.random.default_rng(0)
    checked_points = same_chart = checked_cells = same_cell = 0
    for index, result in enumerate(results):
        cam = result.camera
        for a, person in zip(anns[index + 1], result.people):
            caster = RayCaster([(person.vertices, session_generator.faces)],
                               cam.focal_length, cam.principal_point)
            x0, y0, w, h = a['bbox']
            assert len(a['dp_x']) == min(100, a['area'])
            for dx, dy, i, u, v in zip(a['dp_x'], a['dp_y'], a['dp_I'],
                                       a['dp_U'], a['dp_V']):
                # Box coordinates back to the pixel (index coordinates).
                col = x0 + dx * w / 256 - 0.5
                row = y0 + dy * h / 256 - 0.5
                assert abs(col - round(col)) < 0.01
                assert abs(row - round(row)) < 0.01
                hit = caster.cast(round(row), round(col))
                assert hit is not None
                _, face, _, bary = hit
                checked_points += 1
                if charts[face] == i:
                    same_chart += 1
                    uv = bary @ face_uv[face]
                    np.testing.assert_allclose(uv, [u, v], atol=2e-3)
            masks = np.zeros((256, 256), int)
            for k, rle in enumerate(a['dp_masks']):
                if rle:
                    assert rle['size'] == [256, 256]
                    assert isinstance(rle['counts'], str)
                    masks[mask_utils.decode(rle) > 0] = k + 1
            seen = mask_utils.decode(a['segmentation']).astype(bool)
            for ci, cj in rng.integers(0, 256, (60, 2)):
                col = int(np.floor(x0 + (cj + 0.5) * w / 256))
                row = int(np.floor(y0 + (ci + 0.5) * h / 256))
                expected = 0
                if seen[row, col]:
                    _, face, _, _ = caster.cast(row, col)
                    expected = coarse_of[charts[face]]
                checked_cells += 1
                same_cell += expected == masks[ci, cj]
    # Rays through an edge between two charts may pick either side.
    assert checked_points > 200 and same_chart / checked_points > 0.98
    assert same_cell / checked_cells > 0.98


def frontal_scene(yaw_degrees=0.0, offset=(0.0, 0.0)):
    """An upright person in a relaxed pose, 3 m in front of the camera."""
    body_pose = np.zeros((23, 3))
    body_pose[15, 2] = np.radians(-60)  # left shoulder (joint 16): down
    body_pose[16, 2] = np.radians(60)
    orient = (
        Rotation.from_euler('x', 180, degrees=True) *
        Rotation.from_euler('y', yaw_degrees, degrees=True))
    # SMPL rotates about the rest pelvis J0 = (0, -0.225, 0.025) of the
    # embedded model; put the pelvis on the optical axis at 3 m.
    person = PersonParams(
        betas=np.zeros(10),
        body_pose=body_pose,
        global_orient=orient.as_rotvec(),
        transl=np.array([offset[0], 0.225 + offset[1], 2.975]))
    camera = Camera(300.0, np.array([128.0, 128.0]), (256, 256))
    return camera, person


def test_visibility_frontal_back_side_and_occluded(generator):
    names = {n: i for i, n in enumerate(COCO_17)}
    camera, person = frontal_scene(0)
    front = generator.render_people(camera, [person]).people[0].keypoints
    assert np.all(front[:, 2] >= 1)
    for n in ('nose', 'left_eye', 'right_eye', 'left_shoulder', 'right_wrist',
              'left_hip', 'right_knee', 'left_ankle'):
        assert front[names[n], 2] == 2, n

    camera, person = frontal_scene(180)
    back = generator.render_people(camera, [person]).people[0].keypoints
    for n in ('nose', 'left_eye', 'right_eye'):
        assert back[names[n], 2] == 1, n
    for n in ('left_shoulder', 'right_hip', 'left_knee'):
        assert back[names[n], 2] == 2, n

    # Side views: the far hip, knee and ankle hide behind the near leg.
    for yaw, near, far in ((90, 'right', 'left'), (-90, 'left', 'right')):
        camera, person = frontal_scene(yaw)
        side = generator.render_people(camera, [person]).people[0].keypoints
        for joint in ('hip', 'knee', 'ankle', 'shoulder'):
            assert side[names[f'{near}_{joint}'], 2] == 2, (yaw, joint)
            assert side[names[f'{far}_{joint}'], 2] == 1, (yaw, joint)

    # A box between the camera and the face hides the face keypoints only.
    camera, person = frontal_scene(0)
    result = generator.render_people(camera, [person])
    nose = result.people[0].keypoints3d['coco_17'][names['nose']]
    verts, faces = box_mesh(nose * 0.8, [0.06, 0.05, 0.02])
    occluded = generator.render_people(
        camera, [person], [Occluder(verts, faces, np.array([0.5, 0.5, 0.5]))])
    kp = occluded.people[0].keypoints
    for n in ('nose', 'left_eye', 'right_eye'):
        assert kp[names[n], 2] == 1, n
    body = [names[n] for n in ('left_hip', 'right_knee', 'left_ankle')]
    np.testing.assert_array_equal(kp[body, 2], front[body, 2])
    col, row = np.floor(kp[names['nose'], :2] + 0.5).astype(int)
    assert occluded.fragments.mesh_id[row, col] == 1  # the box


def test_out_of_frame_keypoints_are_absent(generator):
    camera, person = frontal_scene(0, offset=(0.0, 1.1))
    result = generator.render_people(camera, [person])
    kp = result.people[0].keypoints
    proj = project(result.people[0].keypoints3d['coco_17'],
                   camera.focal_length, camera.principal_point)
    below = proj[:, 1] >= 255.5
    assert below.any() and not below.all()
    np.testing.assert_array_equal(kp[below], 0)
    assert np.all(kp[~below, 2] > 0)


def test_generation_is_deterministic_and_group_independent(generator):
    a = generator.generate_group('pw3d', 'test', 8, range(8, 12), seed=3)
    b = generator.generate_group('pw3d', 'test', 8, [10], seed=3)
    c = generator.generate('pw3d', 'test', 10, seed=3)
    np.testing.assert_array_equal(a[2].image, b[0].image)
    np.testing.assert_array_equal(a[2].image, c.image)
    np.testing.assert_array_equal(a[2].people[0].keypoints,
                                  c.people[0].keypoints)
    d = generator.generate('pw3d', 'test', 10, seed=4)
    assert not np.array_equal(a[2].image, d.image)
    with pytest.raises(ValueError, match='group'):
        generator.generate_group('pw3d', 'test', 8, [20])
    with pytest.raises(KeyError, match='subsets'):
        generator.generate('pw3d', 'train', 0)
    with pytest.raises(KeyError, match='known'):
        generator.generate('mpii', 'train', 0)


def test_coco_smpl_parameters_reproduce_the_2d_keypoints(synthetic_root):
    """The SMPL parameters of coco_train.npz (standing in for EFT fits)
    pose a body whose COCO-17 keypoints project onto the stored 2D ones."""
    from hpse_bench.body_models import SMPL
    data = load_human_data(synthetic_root, 'coco', 'train')
    smpl = data['smpl'].item()
    n = len(data['image_path'])
    with torch.no_grad():
        out = SMPL()(
            betas=torch.as_tensor(smpl['betas'], dtype=torch.float32),
            body_pose=torch.as_tensor(smpl['body_pose'], dtype=torch.float32),
            global_orient=torch.as_tensor(
                smpl['global_orient'], dtype=torch.float32),
            transl=torch.as_tensor(smpl['transl'], dtype=torch.float32))
    slots = human_data_indices('coco_17')
    checked = 0
    for i in range(n):
        proj = project(out['keypoints_coco17'][i].double().numpy(),
                       data['focal_length'][i][0], data['principal_point'][i])
        stored = data['keypoints2d'][i, slots]
        visible = stored[:, 2] > 0
        err = np.abs(proj[visible] - stored[visible, :2]).max(initial=0.0)
        assert err < 0.5, (i, err)
        checked += int(visible.sum())
    assert checked > 8 * 17 // 2

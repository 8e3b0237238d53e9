"""init_model / inference_mesh on a real photograph, for every regressor.

Projections are checked against SPIN's camera worked by hand from the
returned ``pred_cam`` and the given box (a crop of side ``1.2 max(w, h)``
centred on the box), with the mesh recomputed by an independent body model
from the returned SMPL parameters.
"""
import cv2
import numpy as np
import pytest
import torch
from inference_configs import CONFIGS

from hpse_bench.apis.inference import inference_mesh, init_model
from hpse_bench.body_models import SMPL
from hpse_bench.checkpoint import CheckpointMismatchError

BOX = [40.0, 40.0, 480.0, 560.0]
MESH_MODELS = ['HMR', 'PARE', 'PyMAF']


@pytest.fixture(scope='module')
def models():
    torch.manual_seed(0)
    return {
        name: init_model(cfg, None, 'cpu', opts)
        for name, (cfg, opts) in CONFIGS.items()
    }


@pytest.fixture(scope='module')
def body_model():
    return SMPL(smpl_root='embedded')


def hand_projection(points, cam, box, crop_size, focal=5000.0, factor=1.2):
    """SPIN's camera by hand: crop pixels of the weak-perspective camera's
    perspective equivalent, then scaled and shifted onto the box's crop."""
    s, tx, ty = [float(v) for v in cam]
    tz = 2 * focal / (crop_size * s)
    x = points + np.array([tx, ty, tz])
    crop = focal * x[:, :2] / x[:, 2:] + crop_size / 2
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * factor
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    return centre + (crop - crop_size / 2) * side / crop_size


@pytest.mark.parametrize('name', MESH_MODELS)
def test_mesh_projection_matches_the_camera_by_hand(name, models, body_model,
                                                    photo_path):
    model = models[name]
    (sample, ) = inference_mesh(model, photo_path, bboxes=BOX)
    crop_size = int(sample.metainfo['img_shape'][0])
    with torch.no_grad():
        out = body_model(
            betas=sample.pred_smpl_betas[None],
            body_pose=sample.pred_smpl_pose[None, 3:],
            global_orient=sample.pred_smpl_pose[None, :3])
    verts = out['vertices'][0].double().numpy()
    expected = hand_projection(verts, sample.pred_cam, BOX, crop_size)
    got = sample.pred_vertices2d_img.double().numpy()
    assert got.shape == (6890, 2)
    np.testing.assert_allclose(got, expected, atol=0.05)
    # predict()'s own 2D joints (through the crop warp) agree with the
    # camera matrix applied to the camera-frame joints.
    k = sample.pred_camera_intrinsics.double()
    joints = sample.pred_keypoints3d_cam.double() @ k.T
    np.testing.assert_allclose(
        (joints[:, :2] / joints[:, 2:]).numpy(),
        sample.pred_keypoints2d_img.double().numpy(),
        atol=0.05)
    # The camera-frame mesh is predict()'s pelvis-centred mesh, moved.
    offset = sample.pred_vertices_cam - sample.pred_vertices
    assert torch.allclose(offset, offset[:1].expand_as(offset), atol=1e-4)
    assert sample.metainfo['bbox'].tolist() == BOX


def test_several_boxes_and_the_whole_image(models, photo_path):
    model = models['HMR']
    boxes = [BOX, [300.0, 300.0, 500.0, 590.0]]
    samples = inference_mesh(model, photo_path, bboxes=boxes)
    assert len(samples) == 2
    for box, s in zip(boxes, samples):
        x1, y1, x2, y2 = box
        side = max(x2 - x1, y2 - y1) * 1.2
        np.testing.assert_allclose(s.metainfo['bbox_center'], [(x1 + x2) / 2,
                                                               (y1 + y2) / 2])
        np.testing.assert_allclose(s.metainfo['bbox_scale'], [side, side])
    (whole, ) = inference_mesh(model, photo_path)
    np.testing.assert_allclose(whole.metainfo['bbox'], [0, 0, 512, 600])
    # The whole image is the crop box, not enlarged.
    np.testing.assert_allclose(whole.metainfo['bbox_scale'], [600, 600])
    np.testing.assert_allclose(whole.metainfo['bbox_center'], [256, 300])


def test_an_array_gives_what_its_file_gives(models, photo_path):
    model = models['HMR']
    from_file = inference_mesh(model, photo_path, BOX)[0]
    from_array = inference_mesh(model, cv2.imread(photo_path), BOX)[0]
    assert torch.allclose(from_file.pred_vertices2d_img,
                          from_array.pred_vertices2d_img)


def test_keypoint_regressor_predicts_keypoints_only(models, photo_path):
    (sample, ) = inference_mesh(models['IntegralPoseRegressor'], photo_path,
                                BOX)
    assert sample.pred_keypoints3d.shape == (17, 3)
    assert sample.pred_keypoints2d_img.shape == (17, 2)
    assert 'pred_vertices' not in sample
    assert 'pred_vertices_cam' not in sample
    # Soft-argmax positions lie inside the crop square.
    x1, y1, x2, y2 = BOX
    side = max(x2 - x1, y2 - y1) * 1.2
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    kp = sample.pred_keypoints2d_img.numpy()
    assert (np.abs(kp - centre) <= side / 2 + 1e-3).all()


def test_checkpoint_loads_strictly(models, photo_path, tmp_path):
    cfg, opts = CONFIGS['HMR']
    trained = init_model(cfg, None, 'cpu', opts)
    with torch.no_grad():
        for p in trained.head.parameters():
            p.add_(0.01 * torch.randn_like(p))
    path = tmp_path / 'trained.pth'
    torch.save({'state_dict': trained.state_dict()}, path)
    loaded = init_model(cfg, str(path), 'cpu', opts)
    want = inference_mesh(trained, photo_path, BOX)[0].pred_vertices2d_img
    got = inference_mesh(loaded, photo_path, BOX)[0].pred_vertices2d_img
    fresh = inference_mesh(models['HMR'], photo_path,
                           BOX)[0].pred_vertices2d_img
    assert torch.allclose(got, want, atol=1e-4)
    assert not torch.allclose(got, fresh, atol=1e-2)

    state = trained.state_dict()
    state['head.renamed'] = state.pop('head.init_cam')
    bad = tmp_path / 'renamed.pth'
    torch.save({'state_dict': state}, bad)
    with pytest.raises(CheckpointMismatchError, match='head.init_cam') as err:
        init_model(cfg, str(bad), 'cpu', opts)
    assert 'head.renamed' in str(err.value)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        init_model(cfg, str(tmp_path / 'missing.pth'), 'cpu', opts)


def test_bad_input_is_named(models, photo_path, tmp_path):
    model = models['HMR']
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        inference_mesh(model, str(tmp_path / 'nowhere.jpg'))
    with pytest.raises(ValueError, match='no area'):
        inference_mesh(model, photo_path, [100, 100, 50, 200])
    with pytest.raises(ValueError, match='x1, y1, x2, y2'):
        inference_mesh(model, photo_path, [[1, 2, 3]])

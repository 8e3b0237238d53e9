"""HMR/SPIN, PARE, PyMAF and integral regression: forward, backward,
predictions, cameras and label edge cases (ResNet-18, 64x64, batch 2)."""
import numpy as np
import pytest
import torch
from regressor_samples import (FOCAL, make_samples, tiny_model_cfg,
                               unlabelled_sample)

from hpse_bench.models.regressors.base_regressor import crop_to_image
from hpse_bench.registry import MODELS
from hpse_bench.structures.cameras import (
    convert_weak_perspective_to_perspective, weak_perspective_projection)
from hpse_bench.structures.densepose_target import DensePoseTarget

MESH_MODELS = ['HMR', 'PARE', 'PyMAF']
ALL_MODELS = MESH_MODELS + ['IntegralPoseRegressor']


def _build(name, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(tiny_model_cfg(name, **kwargs))


def _batch(model, inputs, samples, training=True):
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), training)


def _total(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


@pytest.mark.parametrize('name', ALL_MODELS)
def test_loss_backward_reaches_backbone(name, smpl):
    model = _build(name)
    inputs, samples = make_samples(smpl, 2)
    losses = model(**_batch(model, inputs, samples), mode='loss')
    assert losses and all('loss' in k for k in losses)
    for k, v in losses.items():
        assert v.dim() == 0 and torch.isfinite(v), k
    _total(losses).backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and torch.isfinite(grad).all()
    assert float(grad.abs().sum()) > 0
    for n, p in model.named_parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all(), n
    # The body model is fixed: no trainable parameter in it.
    if hasattr(model, 'body_model'):
        assert not any(p.requires_grad for p in model.body_model.parameters())


@pytest.mark.parametrize('name', ALL_MODELS)
def test_predict_fills_contract_fields(name, smpl):
    model = _build(name).eval()
    inputs, samples = make_samples(smpl, 2)
    with torch.no_grad():
        out = model(**_batch(model, inputs, samples, False), mode='predict')
    assert len(out) == 2
    shapes = dict(pred_keypoints3d=(17, 3), pred_keypoints2d_img=(17, 2))
    if name in MESH_MODELS:
        shapes.update(
            pred_vertices=(6890, 3),
            gt_vertices=(6890, 3),
            pred_smpl_pose=(72, ),
            pred_smpl_betas=(10, ),
            pred_cam=(3, ))
    for sample in out:
        for field, shape in shapes.items():
            assert field in sample, field
            value = getattr(sample, field)
            assert tuple(value.shape) == shape, field
            assert torch.isfinite(value).all(), field
            assert not value.requires_grad
        assert float(sample.pred_keypoints3d[0].abs().max()) < 1e-6
    if name not in MESH_MODELS:
        assert 'pred_vertices' not in out[0]


def test_gt_vertices_come_from_the_gt_smpl_parameters(smpl):
    model = _build('HMR').eval()
    inputs, samples = make_samples(smpl, 2)
    samples[1].has_smpl = torch.tensor(0.0)
    with torch.no_grad():
        out = model(**_batch(model, inputs, samples, False), mode='predict')
        ref = smpl(
            betas=samples[0].gt_smpl_betas[None],
            body_pose=samples[0].gt_smpl_pose[None, 3:],
            global_orient=samples[0].gt_smpl_pose[None, :3])
    # The mesh is put in the frame of gt_keypoints3d: moved so that its
    # pelvis lands on the labelled pelvis.
    offset = samples[0].gt_keypoints3d[0, :3] - ref['keypoints_h36m17'][0, 0]
    torch.testing.assert_close(out[0].gt_vertices, ref['vertices'][0] + offset)
    assert 'gt_vertices' not in out[1]


def test_prediction_meshes_share_their_keypoints_frame(smpl):
    """PVE aligns meshes at the keypoints' pelvis: both must agree."""
    model = _build('HMR').eval()
    inputs, samples = make_samples(smpl, 2)
    samples[1].has_keypoints3d = torch.tensor(0.0)
    with torch.no_grad():
        out = model(**_batch(model, inputs, samples, False), mode='predict')
    j_h36m = model.body_model.j_regressor_h36m
    for sample in out:
        pelvis = (j_h36m[0:1] @ sample.pred_vertices).squeeze(0)
        assert float(pelvis.abs().max()) < 1e-4
        ref = smpl(
            betas=sample.gt_smpl_betas[None],
            body_pose=sample.gt_smpl_pose[None, 3:],
            global_orient=sample.gt_smpl_pose[None, :3])
        gt_pelvis = ref['keypoints_h36m17'][0, 0] + (
            sample.gt_vertices[0] - ref['vertices'][0, 0])
        torch.testing.assert_close(gt_pelvis, sample.gt_keypoints3d[0, :3])
    # Without 3D labels the ground-truth joints come from the mesh.
    assert float(out[1].has_keypoints3d) == 1.0


def test_predicted_2d_keypoints_map_back_through_warp_mat(smpl):
    """pred_keypoints2d_img, warped into the crop, lands on the projection
    of pred_keypoints3d through pred_cam (SPIN's camera, by hand)."""
    model = _build('HMR').eval()
    inputs, samples = make_samples(smpl, 2)
    with torch.no_grad():
        out = model(**_batch(model, inputs, samples, False), mode='predict')
        for s in out:
            pose, betas = s.pred_smpl_pose[None], s.pred_smpl_betas[None]
            joints = smpl(
                betas=betas, body_pose=pose[:, 3:],
                global_orient=pose[:, :3])['keypoints_h36m17'][0].double()
            scale, tx, ty = s.pred_cam.double().tolist()
            tz = 2 * FOCAL / (64 * scale)
            p = joints + torch.tensor([tx, ty, tz], dtype=torch.float64)
            crop = FOCAL * p[:, :2] / p[:, 2:] + 32
            warp = torch.as_tensor(s.metainfo['warp_mat'])
            back = s.pred_keypoints2d_img.double() @ warp[:, :2].T + warp[:,
                                                                          2]
            torch.testing.assert_close(back, crop, atol=2e-3, rtol=0)


def test_crop_to_image_inverts_the_warp():
    rng = np.random.default_rng(0)
    warp = torch.from_numpy(rng.normal(size=(3, 2, 3)))
    img_pts = torch.from_numpy(rng.normal(size=(3, 5, 2)) * 100)
    crop = torch.einsum('bij,bkj->bki', warp[:, :, :2], img_pts) + \
        warp[:, None, :, 2]
    torch.testing.assert_close(crop_to_image(crop, warp), img_pts)


def test_weak_perspective_camera_is_consistent(smpl):
    """SPIN's perspective camera reproduces s * (x + t) for a body far from
    the camera, and the model projects exactly through it."""
    model = _build('HMR')
    rng = np.random.default_rng(0)
    points = torch.from_numpy(rng.normal(0, 0.5, (2, 30, 3))).float()
    cam = torch.tensor([[0.9, 0.05, -0.02], [1.1, -0.1, 0.08]])
    got = model.project_points(points, cam, (64, 64))
    weak = weak_perspective_projection(points, cam)
    # Depth +-1 m at ~110 m: relative error ~1 %.
    torch.testing.assert_close(got, weak, atol=0.02, rtol=0.02)
    transl = convert_weak_perspective_to_perspective(cam, FOCAL, 64)
    p = points.double() + transl[:, None].double()
    exact = FOCAL * p[..., :2] / p[..., 2:] / 32
    torch.testing.assert_close(got.double(), exact, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match='square'):
        model.project_points(points, cam, (64, 48))


@pytest.mark.parametrize('name', ALL_MODELS)
def test_unlabelled_sample_gives_no_nan(name, smpl):
    model = _build(name)
    inputs, _ = make_samples(smpl, 2)
    samples = [unlabelled_sample(), unlabelled_sample()]
    losses = model(**_batch(model, inputs, samples), mode='loss')
    for k, v in losses.items():
        assert torch.isfinite(v), k
    _total(losses).backward()
    for n, p in model.named_parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all(), n


def test_missing_label_field_is_a_clear_error(smpl):
    model = _build('HMR')
    inputs, samples = make_samples(smpl, 2)
    del samples[1].gt_keypoints3d
    with pytest.raises(KeyError, match='sample 1 .*gt_keypoints3d'):
        model(**_batch(model, inputs, samples), mode='loss')


def test_pare_part_segmentation_loss(smpl):
    model = _build('PARE')
    inputs, samples = make_samples(smpl, 2)
    data = _batch(model, inputs, samples)
    # No labels anywhere: a zero that is connected to the attention logits.
    losses = model(**data, mode='loss')
    assert float(losses['loss_part_segmentation'].detach()) == 0
    losses['loss_part_segmentation'].backward()
    assert model.head.part_logits.weight.grad is not None
    # Labels on one sample only: the loss is the cross-entropy over it.
    labels = torch.from_numpy(
        np.random.default_rng(0).integers(0, 25, (16, 16)))
    samples[0].gt_part_segmentation = labels
    model.zero_grad()
    losses = model(**_batch(model, inputs, samples), mode='loss')
    logits = model(**_batch(model, inputs, samples),
                   mode='tensor')['pred_part_logits'][:1]
    assert logits.shape[-2:] == (8, 8)
    # 16x16 labels read at the centres of the 8x8 cells: rows/cols 1, 3, ..
    ref = torch.nn.functional.cross_entropy(logits,
                                            labels[None, 1::2, 1::2].long())
    assert float(losses['loss_part_segmentation'].detach()) == pytest.approx(
        60.0 * float(ref.detach()), rel=1e-4)
    samples[0].gt_part_segmentation = labels + 30
    with pytest.raises(ValueError, match='gt_part_segmentation'):
        model(**_batch(model, inputs, samples), mode='loss')


def test_pymaf_iterations_and_dense_supervision(smpl):
    head = dict(tiny_model_cfg('PyMAF')['head'], use_iuv=True)
    model = _build('PyMAF', head=head)
    assert model.point_indices.shape == (96, )
    inputs, samples = make_samples(smpl, 2)
    out = model(**_batch(model, inputs, samples), mode='tensor')
    assert len(out['iterations']) == 3
    assert out['pred_densepose'].fine_segm.shape[1] == 25
    losses = model(**_batch(model, inputs, samples), mode='loss')
    for t in (0, 1):
        assert f'it{t}_loss_keypoints2d' in losses
    assert float(losses['loss_dp_segm'].detach()) == 0
    # One annotated crop: the dense losses become active.
    samples[0].gt_densepose = DensePoseTarget(
        points=torch.tensor([[20.0, 30.0], [40.0, 10.0]]),
        charts=torch.tensor([1, 5]),
        u=torch.tensor([0.2, 0.7]),
        v=torch.tensor([0.5, 0.1]),
        coarse_segm=torch.ones(64, 64, dtype=torch.uint8),
        has_densepose=torch.tensor(True))
    losses = model(**_batch(model, inputs, samples), mode='loss')
    assert float(losses['loss_dp_segm'].detach()) > 0
    assert float(losses['loss_dp_I'].detach()) > 0
    _total(losses).backward()
    assert model.head.iuv_index.weight.grad.abs().sum() > 0


def test_pymaf_mesh_features_follow_the_projected_mesh(smpl):
    """Iterations after the first sample features where the current mesh
    projects: moving the camera moves the sampling points."""
    model = _build('PyMAF').eval()
    rot = torch.eye(3).expand(1, 24, 3, 3).clone()
    rot[:, 0] = torch.diag(torch.tensor([1.0, -1.0, -1.0]))
    betas = torch.zeros(1, 10)
    pts = model.mesh_points(rot, betas)
    a = model.project_points(pts, torch.tensor([[0.9, 0.0, 0.0]]), (64, 64))
    b = model.project_points(pts, torch.tensor([[0.9, 0.2, 0.0]]), (64, 64))
    torch.testing.assert_close(b[..., 0] - a[..., 0],
                               torch.full_like(a[..., 0], 0.18), atol=2e-3,
                               rtol=0)


def test_integral_targets_and_metric_decoding(smpl):
    model = _build('IntegralPoseRegressor')
    inputs, samples = make_samples(smpl, 2)
    # Sample 1 is COCO-only: no H36M-17 image keypoints, no 3D.
    samples[1].gt_keypoints2d_img = torch.zeros(17, 3)
    samples[1].has_keypoints3d = torch.tensor(0.0)
    t = model.collect_targets(samples, 'cpu', (64, 64))
    # Sample 0: the H36M-17 crop position is the image keypoint warped.
    warp = torch.as_tensor(samples[0].metainfo['warp_mat']).float()
    crop = samples[0].gt_keypoints2d_img[:, :2] @ warp[:, :2].T + warp[:, 2]
    torch.testing.assert_close(t['uv'][0], crop / 32 - 1, atol=1e-4, rtol=0)
    # Sample 1: shared joints come from COCO-17, the others are absent.
    from hpse_bench.structures.conventions import COCO_17, H36M_17
    for j, name in enumerate(H36M_17):
        if name in COCO_17:
            coco = samples[1].gt_keypoints2d[COCO_17.index(name)]
            torch.testing.assert_close(t['uv'][1, j], coco[:2] / 32 - 1)
            assert float(t['uv_conf'][1, j]) == 1
        else:
            assert float(t['uv_conf'][1, j]) == 0
    # Decoding: a voxel at the crop centre of a 16x16 map, by hand.
    preds = dict(
        pred_voxels=torch.tensor([[[7.5, 7.5, 7.5]] * 17]),
        pred_unit_scale=torch.ones(1))
    preds['pred_voxels'][0, 3] = torch.tensor([11.5, 3.5, 15.5])
    dec = model.decode(preds, (64, 64), (16, 16))
    # Cell 11.5 covers input pixel (11.5 + 0.5) * 4 - 0.5 = 47.5.
    assert float(dec['uv'][0, 3, 0]) == pytest.approx(47.5 / 32 - 1)
    # Pelvis at voxel 7.5: input pixel 31.5, depth 0. Metres: pixel offset
    # / half crop side * unit scale (1 m); depth: bins over 2 m.
    assert float(dec['keypoints3d'][0, 3, 0]) == pytest.approx(
        (47.5 - 31.5) / 32)
    assert float(dec['keypoints3d'][0, 3, 1]) == pytest.approx(
        (15.5 - 31.5) / 32)
    assert float(dec['keypoints3d'][0, 3, 2]) == pytest.approx(
        (15.5 + 0.5) / 16 * 2 - 1)
    torch.testing.assert_close(dec['keypoints3d'][0, 0], torch.zeros(3))


def test_vertex_loss_compares_with_gt_meshes(smpl):
    model = _build(
        'HMR', loss_vertices=dict(type='VertexLoss', loss_weight=2.0)).eval()
    inputs, samples = make_samples(smpl, 2)
    samples[1].has_smpl = torch.tensor(0.0)
    data = _batch(model, inputs, samples, False)
    with torch.no_grad():
        losses = model(**data, mode='loss')
        preds = model(**data, mode='tensor')
        pred_v = smpl(
            betas=preds['pred_betas'][:1],
            body_pose=preds['pred_rotmat'][:1, 1:],
            global_orient=preds['pred_rotmat'][:1, :1],
            pose2rot=False)['vertices']
        gt = samples[0]
        gt_v = smpl(
            betas=gt.gt_smpl_betas[None],
            body_pose=gt.gt_smpl_pose[None, 3:],
            global_orient=gt.gt_smpl_pose[None, :3])['vertices']
    ref = 2.0 * (pred_v - gt_v).abs().mean()
    assert float(losses['loss_vertices']) == pytest.approx(float(ref),
                                                           rel=1e-5)

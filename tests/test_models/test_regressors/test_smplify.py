"""SPIN's in-the-loop fitting: translation estimate, SMPLify, pseudo-GT."""
import numpy as np
import torch
from regressor_samples import FOCAL, make_samples, tiny_model_cfg

from hpse_bench.models.regressors.smplify import (SMPLify,
                                                  estimate_translation,
                                                  project_crop)
from hpse_bench.registry import MODELS


def test_estimate_translation_recovers_a_known_camera():
    rng = np.random.default_rng(0)
    joints = torch.from_numpy(rng.normal(0, 0.4, (3, 17, 3)))
    transl = torch.tensor([[0.1, -0.2, 60.0], [-0.3, 0.1, 45.0],
                           [0.0, 0.0, 80.0]], dtype=torch.float64)
    kp = project_crop(joints, transl, FOCAL, 224.0)
    conf = torch.ones(3, 17, 1, dtype=torch.float64)
    conf[1, :5] = 0  # ignored joints may lie anywhere
    kp_noisy = kp.clone()
    kp_noisy[1, :5] += 50
    est = estimate_translation(joints, torch.cat([kp_noisy, conf], -1),
                               FOCAL, 224.0)
    torch.testing.assert_close(est, transl, rtol=1e-6, atol=1e-6)
    # Without confident joints: the default depth of scale 1.
    none = torch.cat([kp, torch.zeros_like(conf)], -1)
    est = estimate_translation(joints, none, FOCAL, 224.0)
    torch.testing.assert_close(
        est[:, 2], torch.full((3, ), 2 * FOCAL / 224, dtype=torch.float64))


def test_smplify_reduces_the_reprojection_error(smpl):
    """Start from a perturbed body; the fit explains the keypoints better."""
    _, samples = make_samples(smpl, 2, img_size=224, seed=3)
    pose = torch.stack([s.gt_smpl_pose for s in samples])
    betas = torch.stack([s.gt_smpl_betas for s in samples])
    kp = torch.stack([s.gt_keypoints2d for s in samples])
    gen = torch.Generator().manual_seed(0)
    init_pose = pose + 0.15 * torch.randn(pose.shape, generator=gen)
    init_pose[:, :3] = pose[:, :3]
    joints = smpl(
        betas=betas, body_pose=pose[:, 3:],
        global_orient=pose[:, :3])['keypoints_coco17']
    transl = estimate_translation(joints, kp, FOCAL, 224.0)
    fitter = SMPLify(num_iters_camera=5, num_iters_body=30, lr=0.02)
    before = fitter.reprojection_error(smpl, init_pose, betas, transl, kp,
                                       224.0)
    truth = fitter.reprojection_error(smpl, pose, betas, transl, kp, 224.0)
    fit = fitter(smpl, init_pose, betas, transl, kp, 224.0)
    assert (truth < 1e-2).all()
    assert (fit["error"] < 0.25 * before).all(), (before, fit['error'])
    assert not fit['pose'].requires_grad
    assert fit['pose'].shape == (2, 72) and fit['betas'].shape == (2, 10)


def test_spin_uses_fits_only_where_allowed(smpl):
    model = MODELS.build(
        tiny_model_cfg(
            'HMR',
            use_smplify=True,
            smplify=dict(type='SMPLify', num_iters_camera=2,
                         num_iters_body=3),
            smplify_threshold=float('inf')))
    inputs, samples = make_samples(smpl, 2)
    samples[1].has_smpl = torch.tensor(0.0)
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert 'smplify_accept' in losses and 'loss_smpl_pose' in losses
    assert all(torch.isfinite(v) for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    img_shape = (64, 64)
    preds = model(**data, mode='tensor')
    targets = model.collect_targets(data['data_samples'], 'cpu', img_shape)
    pose, betas, valid, stats = model.fit_pseudo_gt(preds, targets,
                                                    data['data_samples'],
                                                    img_shape)
    # Ground truth is kept; the sample without SMPL gets the fit.
    torch.testing.assert_close(pose[0], samples[0].gt_smpl_pose)
    assert float(valid[0]) == 1 and float(valid[1]) == 1
    assert not torch.allclose(pose[1], samples[1].gt_smpl_pose)
    assert float(stats['smplify_accept']) == 0.5
    # A threshold nothing passes: the sample without SMPL is unsupervised.
    model.smplify_threshold = -1.0
    _, _, valid, _ = model.fit_pseudo_gt(preds, targets,
                                         data['data_samples'], img_shape)
    assert valid.tolist() == [1.0, 0.0]

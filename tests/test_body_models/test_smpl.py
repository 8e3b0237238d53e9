"""The registered SMPL module against smplx and hand-computed keypoints."""
import contextlib
import io
import os.path as osp

import numpy as np
import pytest
import smplx
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.body_models import SMPL, smpl_keypoints
from hpse_bench.registry import MODELS
from hpse_bench.structures import conventions as C


@pytest.fixture(scope='module')
def smpl(embedded_root):
    return SMPL(smpl_root='embedded')


@pytest.fixture(scope='module')
def reference(embedded_root):
    """smplx's SMPL on the same file, used directly."""
    with contextlib.redirect_stdout(io.StringIO()):
        return smplx.SMPL(
            model_path=osp.join(embedded_root, 'smpl', 'SMPL_NEUTRAL.pkl'),
            create_transl=False)


def _random_params(batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 10, generator=gen),
            0.4 * torch.randn(batch, 69, generator=gen),
            torch.randn(batch, 3, generator=gen))


def test_built_from_registry(embedded_root):
    model = MODELS.build(dict(type='SMPL', smpl_root='embedded'))
    assert isinstance(model, SMPL)
    assert model.faces.shape == (13776, 3)
    assert model.faces_tensor.dtype == torch.long
    # The body model is data: nothing of it goes into checkpoints.
    assert len(model.state_dict()) == 0


def test_forward_matches_smplx(smpl, reference):
    betas, body_pose, global_orient = _random_params(4)
    transl = torch.tensor([[0.1, -0.2, 3.0]]).repeat(4, 1)
    out = smpl(betas, body_pose, global_orient, transl=transl)
    ref = reference(
        betas=betas, body_pose=body_pose, global_orient=global_orient)
    assert out['vertices'].shape == (4, 6890, 3)
    assert out['joints_smpl24'].shape == (4, 24, 3)
    assert out['keypoints_coco17'].shape == (4, 17, 3)
    assert out['keypoints_h36m17'].shape == (4, 17, 3)
    assert out['keypoints_lsp14'].shape == (4, 14, 3)
    torch.testing.assert_close(out['vertices'], ref.vertices + transl[:, None])
    torch.testing.assert_close(out['joints_smpl24'],
                               ref.joints[:, :24] + transl[:, None])


def test_keypoints_by_hand(smpl, embedded_root):
    betas, body_pose, global_orient = _random_params(3, seed=1)
    out = smpl(betas, body_pose, global_orient)
    v = out['vertices'].double().numpy()
    j = out['joints_smpl24'].numpy()
    reg = np.load(osp.join(embedded_root, 'J_regressor_h36m.npy'))
    for b in range(3):
        h36m = reg @ v[b]
        np.testing.assert_allclose(
            out['keypoints_h36m17'][b].numpy(), h36m, atol=1e-5)
        np.testing.assert_allclose(
            out['keypoints_lsp14'][b].numpy(),
            h36m[C.H36M_TO_LSP14],
            atol=1e-5)
        for k, name in enumerate(C.COCO_17):
            if name in C.SMPL_FACE_VERTEX_IDS:
                expect = v[b, C.SMPL_FACE_VERTEX_IDS[name]]
            else:
                expect = j[b, C.SMPL_24.index(name)]
            np.testing.assert_allclose(
                out['keypoints_coco17'][b, k].numpy(),
                expect,
                atol=1e-6,
                err_msg=name)
    # The same function serves every convention.
    torch.testing.assert_close(
        smpl_keypoints(out['vertices'], out['joints_smpl24'], 'lsp_14',
                       smpl.j_regressor_h36m), out['keypoints_lsp14'])
    with pytest.raises(KeyError, match='unknown keypoint convention'):
        smpl.keypoints(out['vertices'], out['joints_smpl24'], 'mpii_16')
    with pytest.raises(ValueError, match='regressor'):
        smpl_keypoints(out['vertices'], out['joints_smpl24'], 'h36m_17')


def test_rotation_matrix_input(smpl):
    betas, body_pose, global_orient = _random_params(2, seed=2)
    rot_body = torch.as_tensor(
        Rotation.from_rotvec(body_pose.reshape(-1, 3).numpy()).as_matrix(),
        dtype=torch.float32).reshape(2, 23, 3, 3)
    rot_root = torch.as_tensor(
        Rotation.from_rotvec(global_orient.numpy()).as_matrix(),
        dtype=torch.float32).reshape(2, 1, 3, 3)
    a = smpl(betas, body_pose, global_orient)
    b = smpl(betas, rot_body, rot_root, pose2rot=False)
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-5)


def test_rest_pose_and_upright_mean_orientation(smpl, smpl_data):
    zeros = torch.zeros(1, 69)
    out = smpl(torch.zeros(1, 10), zeros, torch.zeros(1, 3))
    np.testing.assert_allclose(
        out['vertices'][0].numpy(), smpl_data['v_template'], atol=1e-6)
    # A rotation of pi about x turns the body upside down (camera y down).
    flipped = smpl(torch.zeros(1, 10), zeros, torch.tensor([[np.pi, 0, 0]]))
    head = C.SMPL_24.index('head')
    ankle = C.SMPL_24.index('left_ankle')
    assert flipped['joints_smpl24'][0, head, 1] < \
        flipped['joints_smpl24'][0, ankle, 1]


def test_gradients_reach_parameters(smpl):
    betas, body_pose, global_orient = (
        t.requires_grad_() for t in _random_params(2, seed=3))
    out = smpl(betas, body_pose, global_orient)
    (out['keypoints_h36m17'].sum() + out['keypoints_coco17'].sum()).backward()
    for t in (betas, body_pose, global_orient):
        assert t.grad is not None and t.grad.abs().sum() > 0


def test_bad_shapes_raise(smpl):
    with pytest.raises(ValueError, match='betas'):
        smpl(torch.zeros(2, 11), torch.zeros(2, 69), torch.zeros(2, 3))
    with pytest.raises(ValueError, match='23x3'):
        smpl(torch.zeros(2, 10), torch.zeros(2, 72), torch.zeros(2, 3))
    with pytest.raises(ValueError, match='rotation-matrix'):
        smpl(
            torch.zeros(2, 10),
            torch.zeros(2, 24, 3, 3),
            torch.zeros(2, 3, 3),
            pose2rot=False)

"""SMPL.keypoints_only against smplx's full forward pass."""
import pytest
import torch
from scipy.spatial.transform import Rotation

from hpse_bench.body_models import SMPL


@pytest.fixture(scope='module')
def smpl():
    return SMPL()


def _random_rotmats(batch, seed, scale):
    rotvec = torch.as_tensor(
        Rotation.random(batch * 24, random_state=seed).as_rotvec() * scale)
    return torch.as_tensor(
        Rotation.from_rotvec(rotvec.numpy()).as_matrix(),
        dtype=torch.float32).reshape(batch, 24, 3, 3)


@pytest.mark.parametrize('scale', [0.3, 1.0])
def test_keypoints_equal_the_posed_mesh(smpl, scale):
    torch.manual_seed(0)
    rotmat = _random_rotmats(16, 0, scale)
    betas = torch.randn(16, 10) * 2
    transl = torch.randn(16, 3)
    full = smpl(betas=betas, body_pose=rotmat[:, 1:],
                global_orient=rotmat[:, :1], transl=transl, pose2rot=False)
    fast = smpl.keypoints_only(betas, rotmat, transl)
    assert set(fast) == set(full) - {'vertices'}
    for key, value in fast.items():
        torch.testing.assert_close(value, full[key], atol=2e-5, rtol=0)


def test_gradients_equal_the_posed_mesh(smpl):
    rotmat = _random_rotmats(4, 1, 0.5).requires_grad_(True)
    betas = torch.randn(4, 10, requires_grad=True)
    weights = torch.randn(4, 17, 3)
    grads = []
    for fast in (False, True):
        if fast:
            out = smpl.keypoints_only(betas, rotmat)
        else:
            out = smpl(betas=betas, body_pose=rotmat[:, 1:],
                       global_orient=rotmat[:, :1], pose2rot=False)
        loss = (out['keypoints_h36m17'] * weights).sum() + (
            out['keypoints_coco17']**2).sum()
        grads.append(torch.autograd.grad(loss, (rotmat, betas)))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_wrong_shapes_are_refused(smpl):
    with pytest.raises(ValueError, match='rotmat'):
        smpl.keypoints_only(torch.zeros(2, 10), torch.zeros(2, 23, 3, 3))

"""SMPL's keypoints without posing its 6890 vertices.

SPIN's training losses read only keypoints: the H36M-17 joints, which are a
fixed linear regression of the posed vertices (``J_regressor_h36m``), and
COCO-17, made of kinematic joints and five face vertices. Linear blend
skinning is linear in the rest-pose vertices for fixed joint transforms:

    v_i = sum_k w_ik (R_k u_i + t_k),   u_i = T_i + S_i beta + P_i f(theta)

with template ``T``, shape blend shapes ``S``, pose blend shapes ``P`` of
the pose feature ``f`` and per-joint world transforms ``(R_k, t_k)`` (SMPL,
Loper et al. 2015, Eq. 2-4). A keypoint ``x_j = sum_i r_ji v_i`` is hence

    x_j = sum_k R_k (sum_i r_ji w_ik u_i) + t_k (sum_i r_ji w_ik),

and the vertex sums collapse, once per body model, into per-(keypoint,
joint) templates and blend shapes. A training step then costs
``K x 24 x 3 x 217`` multiply-adds per sample instead of posing every vertex
(``6890 x 3 x 217`` for the blend shapes alone), with the same result up to
float rounding (``tests/test_body_models/test_keypoint_skinning.py`` checks
it against smplx's full forward pass).
"""
from typing import Dict

import torch
from smplx.lbs import batch_rigid_transform
from torch import Tensor, nn


class KeypointSkinning(nn.Module):
    """Precomputed skinning of fixed vertex regressions of an SMPL model.

    Args:
        body_model: an ``smplx.SMPL``.
        regressor: ``(K, 6890)`` rows of vertex weights, one per keypoint (a
            row with a single 1 picks a vertex).
    """

    def __init__(self, body_model: nn.Module, regressor: Tensor) -> None:
        super().__init__()
        # Summed in float64: each entry adds up thousands of vertices.
        weights = body_model.lbs_weights.double()  # (V, 24)
        reg = regressor.double()  # (K, V)
        reg_w = reg[:, None, :] * weights.t()[None]  # (K, 24, V)
        template = body_model.v_template.double()  # (V, 3)
        shapedirs = body_model.shapedirs.double()  # (V, 3, B)
        num_verts = template.shape[0]
        posedirs = body_model.posedirs.double().reshape(-1, num_verts, 3)
        j_reg = body_model.J_regressor.double()  # (24, V)
        buffers = dict(
            joint_template=j_reg @ template,
            joint_shapedirs=torch.einsum('jv,vcb->jcb', j_reg, shapedirs),
            point_weight=reg_w.sum(-1),
            point_template=torch.einsum('kjv,vc->kjc', reg_w, template),
            point_shapedirs=torch.einsum('kjv,vcb->kjcb', reg_w, shapedirs),
            point_posedirs=torch.einsum('kjv,pvc->kjcp', reg_w, posedirs))
        dtype = body_model.v_template.dtype
        for name, value in buffers.items():
            self.register_buffer(name, value.to(dtype), persistent=False)
        self.register_buffer(
            'parents', body_model.parents.clone(), persistent=False)

    def forward(self, betas: Tensor,
                rot_mats: Tensor) -> Dict[str, Tensor]:
        """Kinematic joints and regressed keypoints.

        Args:
            betas: ``(N, B)`` shape coefficients.
            rot_mats: ``(N, 24, 3, 3)`` joint rotations, global first.

        Returns:
            ``joints`` ``(N, 24, 3)`` and ``points`` ``(N, K, 3)``, in the
            same frame as smplx's output without translation.
        """
        batch = betas.shape[0]
        joints = self.joint_template + torch.einsum(
            'jcb,nb->njc', self.joint_shapedirs, betas)
        eye = torch.eye(3, dtype=rot_mats.dtype, device=rot_mats.device)
        pose_feature = (rot_mats[:, 1:] - eye).reshape(batch, -1)
        rest = self.point_template + torch.einsum(
            'kjcb,nb->nkjc', self.point_shapedirs, betas) + torch.einsum(
                'kjcp,np->nkjc', self.point_posedirs, pose_feature)
        posed_joints, transforms = batch_rigid_transform(
            rot_mats, joints, self.parents, dtype=rot_mats.dtype)
        points = torch.einsum('njab,nkjb->nka', transforms[..., :3, :3],
                              rest) + torch.einsum(
                                  'nja,kj->nka', transforms[..., :3, 3],
                                  self.point_weight)
        return dict(joints=posed_joints, points=points)

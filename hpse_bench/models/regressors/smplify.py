"""A small SMPLify for SPIN's in-the-loop fitting.

SPIN (Kolotouros et al., ICCV 2019, Sec. 3.2) refines each regressed body by
fitting SMPL to the image's 2D keypoints, starting from the regression,
and uses the fit as supervision when it explains the keypoints better than
the fit stored for that sample. The fitting follows SMPLify (Bogo et al.,
ECCV 2016): a camera stage (global orientation and translation on the torso
joints, with a depth regulariser), then a body stage (pose, shape and
orientation) minimising a robust re-projection term plus priors.

Differences from SPIN, kept on purpose: Adam with a few tens of steps (not
100 per stage) so that fitting stays affordable inside a training step on
CPU, and a Gaussian prior on the body pose (weighted squared axis-angle)
instead of the mixture-of-Gaussians prior fitted to CMU mocap, which is not
distributed with hpse_bench. Both knobs are arguments.
"""
from typing import Dict

import torch
import torch.nn as nn

from hpse_bench.registry import TASK_UTILS
from hpse_bench.structures.cameras import perspective_projection
from hpse_bench.structures.conventions import COCO_17

# Elbows and knees bend one way only. SMPL body-pose (axis-angle, 69)
# entries and the sign that makes a physically impossible bend positive
# (SMPLify's angle prior).
_ANGLE_PRIOR_IDS = (52, 55, 9, 12)
_ANGLE_PRIOR_SIGNS = (1.0, -1.0, -1.0, -1.0)
_TORSO = tuple(
    COCO_17.index(n)
    for n in ('left_shoulder', 'right_shoulder', 'left_hip', 'right_hip'))


def gmof(residual: torch.Tensor, sigma: float) -> torch.Tensor:
    """Geman-McClure robustifier ``sigma^2 r^2 / (sigma^2 + r^2)``."""
    sq = residual.square()
    return sigma**2 * sq / (sigma**2 + sq)


def project_crop(points: torch.Tensor, transl: torch.Tensor,
                 focal_length: float, img_size: float) -> torch.Tensor:
    """Pinhole projection of body-frame points ``(B, N, 3)`` into crop
    pixels, principal point at the crop centre."""
    return perspective_projection(
        points,
        focal_length=focal_length,
        principal_point=img_size / 2.0,
        translation=transl)


def estimate_translation(joints3d: torch.Tensor,
                         keypoints2d: torch.Tensor,
                         focal_length: float,
                         img_size: float,
                         min_depth: float = 0.1) -> torch.Tensor:
    """Camera translation that best projects ``joints3d`` onto the keypoints.

    With the rotation fixed, ``f (X + t_x) / (Z + t_z) = u`` (``u`` relative
    to the principal point) is linear in ``t``:
    ``f t_x - u t_z = u Z - f X`` (same for ``y``), solved per sample by
    confidence-weighted least squares (SPIN's ``estimate_translation``).

    Args:
        joints3d: ``(B, K, 3)`` body-frame joints.
        keypoints2d: ``(B, K, 3)`` crop pixels + confidence.
        focal_length: in crop pixels.
        img_size: crop side in pixels.
        min_depth: lower bound of ``t_z`` (a fit behind the camera is
            meaningless).

    Returns:
        ``(B, 3)``; samples with fewer than 2 confident joints get the
        translation that puts the body at ``2 f / img_size`` depth (the
        weak-perspective scale 1) in front of the camera.
    """
    b, k = joints3d.shape[:2]
    uv = keypoints2d[..., :2] - img_size / 2.0
    w = keypoints2d[..., 2].clamp(min=0).sqrt()
    x, y, z = joints3d.unbind(-1)
    zeros = torch.zeros_like(x)
    ones = torch.ones_like(x)
    # Rows for x and y equations: (B, 2K, 3) @ t = (B, 2K)
    a = torch.cat([
        torch.stack([focal_length * ones, zeros, -uv[..., 0]], -1),
        torch.stack([zeros, focal_length * ones, -uv[..., 1]], -1)
    ], dim=1)
    rhs = torch.cat(
        [uv[..., 0] * z - focal_length * x, uv[..., 1] * z - focal_length * y],
        dim=1)
    ww = torch.cat([w, w], dim=1)
    a = a * ww[..., None]
    rhs = rhs * ww
    ata = a.transpose(1, 2) @ a + 1e-9 * torch.eye(
        3, dtype=a.dtype, device=a.device)
    t = torch.linalg.solve(ata, (a.transpose(1, 2) @ rhs[..., None]))[..., 0]
    enough = (keypoints2d[..., 2] > 0).sum(-1) >= 2
    default = torch.stack([
        torch.zeros(b, dtype=t.dtype, device=t.device),
        torch.zeros(b, dtype=t.dtype, device=t.device),
        torch.full((b, ), 2.0 * focal_length / img_size, dtype=t.dtype,
                   device=t.device)
    ], -1)
    t = torch.where(enough[:, None], t, default)
    t = torch.cat([t[:, :2], t[:, 2:].clamp(min=min_depth)], dim=1)
    return t


@TASK_UTILS.register_module()
class SMPLify:
    """Fit SMPL to COCO-17 2D keypoints from an initial estimate.

    Args:
        num_iters_camera: Adam steps of the camera stage.
        num_iters_body: Adam steps of the body stage.
        lr: Adam learning rate.
        focal_length: focal length in crop pixels (as the regressor's).
        sigma: Geman-McClure scale of the re-projection term, in pixels
            *of a 224-pixel crop* (SPIN: 100); scaled with the crop size.
        pose_prior_weight: weight of the squared body-pose prior
            (SPIN's GMM weight, 4.78^2).
        angle_prior_weight: weight of the elbow/knee bending prior
            (15.2^2).
        shape_prior_weight: weight of the squared shape prior (5^2).
        depth_weight: weight of the camera-stage term keeping the depth near
            its initial value (100^2, as SMPLify).
    """

    def __init__(self,
                 num_iters_camera: int = 10,
                 num_iters_body: int = 20,
                 lr: float = 0.01,
                 focal_length: float = 5000.0,
                 sigma: float = 100.0,
                 pose_prior_weight: float = 4.78**2,
                 angle_prior_weight: float = 15.2**2,
                 shape_prior_weight: float = 5.0**2,
                 depth_weight: float = 100.0**2):
        self.num_iters_camera = num_iters_camera
        self.num_iters_body = num_iters_body
        self.lr = lr
        self.focal_length = focal_length
        self.sigma = sigma
        self.pose_prior_weight = pose_prior_weight
        self.angle_prior_weight = angle_prior_weight
        self.shape_prior_weight = shape_prior_weight
        self.depth_weight = depth_weight

    # Everything is measured in pixels of a 224-pixel crop, SPIN's setting,
    # so that the weights and the acceptance threshold do not depend on the
    # input size.
    @staticmethod
    def _to_ref(pixels: torch.Tensor, img_size: float) -> torch.Tensor:
        return pixels * (224.0 / img_size)

    def reprojection_error(self, body_model: nn.Module, pose: torch.Tensor,
                           betas: torch.Tensor, transl: torch.Tensor,
                           keypoints2d: torch.Tensor,
                           img_size: float) -> torch.Tensor:
        """Per-sample robust re-projection error (SPIN's ``joint_loss``).

        Confidence-weighted Geman-McClure residuals in 224-crop pixels,
        averaged over the confident joints (``inf`` when there is none).

        Returns:
            ``(B,)``.
        """
        out = body_model(
            betas=betas, body_pose=pose[:, 3:], global_orient=pose[:, :3])
        proj = project_crop(out['keypoints_coco17'], transl,
                            self.focal_length, img_size)
        return self._joint_error(proj, keypoints2d, img_size)

    def _joint_error(self, proj: torch.Tensor, keypoints2d: torch.Tensor,
                     img_size: float) -> torch.Tensor:
        conf = keypoints2d[..., 2]
        res = self._to_ref(proj - keypoints2d[..., :2], img_size)
        err = (conf.square()[..., None] * gmof(res, self.sigma)).sum((1, 2))
        count = (conf > 0).sum(-1)
        return torch.where(count > 0, err / count.clamp(min=1),
                           torch.full_like(err, float('inf')))

    def _priors(self, body_pose: torch.Tensor,
                betas: torch.Tensor) -> torch.Tensor:
        ids = list(_ANGLE_PRIOR_IDS)
        signs = body_pose.new_tensor(_ANGLE_PRIOR_SIGNS)
        angle = torch.exp(body_pose[:, ids] * signs).square().sum(-1)
        return (self.pose_prior_weight * body_pose.square().sum(-1) +
                self.angle_prior_weight * angle +
                self.shape_prior_weight * betas.square().sum(-1))

    def __call__(self, body_model: nn.Module, init_pose: torch.Tensor,
                 init_betas: torch.Tensor, init_transl: torch.Tensor,
                 keypoints2d: torch.Tensor,
                 img_size: float) -> Dict[str, torch.Tensor]:
        """Fit; the inputs are detached and left unchanged.

        Args:
            body_model: the regressor's SMPL module.
            init_pose: ``(B, 72)`` axis-angle.
            init_betas: ``(B, 10)``.
            init_transl: ``(B, 3)`` perspective camera translation.
            keypoints2d: ``(B, 17, 3)`` COCO-17 crop pixels + confidence.
            img_size: crop side in pixels.

        Returns:
            dict of detached ``pose`` ``(B, 72)``, ``betas``, ``transl`` and
            ``error`` ``(B,)`` (:meth:`reprojection_error` of the fit).
        """
        with torch.enable_grad():
            global_orient = init_pose[:, :3].detach().clone()
            body_pose = init_pose[:, 3:].detach().clone()
            betas = init_betas.detach().clone()
            transl = init_transl.detach().clone()
            init_depth = transl[:, 2].clone()
            kp = keypoints2d.detach()
            torso = kp.clone()
            mask = torch.zeros_like(kp[..., 2])
            mask[:, list(_TORSO)] = 1.0
            torso[..., 2] = torso[..., 2] * mask

            def project(go, bp, be, tr):
                out = body_model(betas=be, body_pose=bp, global_orient=go)
                return project_crop(out['keypoints_coco17'], tr,
                                    self.focal_length, img_size)

            # Camera stage: orientation and translation on the torso.
            global_orient.requires_grad_(True)
            transl.requires_grad_(True)
            optim = torch.optim.Adam([global_orient, transl], lr=self.lr)
            for _ in range(self.num_iters_camera):
                proj = project(global_orient, body_pose, betas, transl)
                conf = torso[..., 2]
                res = self._to_ref(proj - torso[..., :2], img_size)
                loss = (conf.square()[..., None] * gmof(res, self.sigma)).sum(
                ) + self.depth_weight * (transl[:, 2] - init_depth).square(
                ).sum()
                optim.zero_grad()
                loss.backward()
                optim.step()

            # Body stage: pose, shape and orientation; camera fixed.
            transl = transl.detach()
            body_pose.requires_grad_(True)
            betas.requires_grad_(True)
            optim = torch.optim.Adam([global_orient, body_pose, betas],
                                     lr=self.lr)
            for _ in range(self.num_iters_body):
                proj = project(global_orient, body_pose, betas, transl)
                conf = kp[..., 2]
                res = self._to_ref(proj - kp[..., :2], img_size)
                data = (conf.square()[..., None] *
                        gmof(res, self.sigma)).sum((1, 2))
                loss = (data + self._priors(body_pose, betas)).sum()
                optim.zero_grad()
                loss.backward()
                optim.step()

        with torch.no_grad():
            pose = torch.cat([global_orient, body_pose], dim=1).detach()
            betas = betas.detach()
            error = self.reprojection_error(body_model, pose, betas, transl,
                                            kp, img_size)
        return dict(pose=pose, betas=betas, transl=transl, error=error)

"""Base class of the regressors of SMPL parameters (HMR/SPIN, PARE, PyMAF).

It owns the body model and SPIN's losses, and fills the prediction fields of
``docs/data_contract.md``. Camera: weak perspective ``(s, tx, ty)``,
``u = s (X + tx)`` in normalised crop coordinates; losses and projections
use the equivalent perspective camera of SPIN (focal length
``focal_length`` in crop pixels, translation ``(tx, ty, 2 f / (W s))``),
which :mod:`hpse_bench.structures.cameras` provides.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from hpse_bench.body_models import get_smpl_root
from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.cameras import (
    convert_weak_perspective_to_perspective, perspective_projection)
from hpse_bench.structures.conventions import (H36M_PELVIS_ID, NUM_BETAS,
                                               NUM_SMPL_JOINTS)
from hpse_bench.structures.rotation import matrix_to_axis_angle
from ..utils import build_module
from .base_regressor import BaseRegressor, ConfigType
from .crop_coordinates import crop_to_normalized
from .sample_fields import stack_field


class BaseMeshRegressor(BaseRegressor):
    """Regressor of SMPL parameters and a weak-perspective camera.

    The head returns ``pred_rotmat`` ``(B, 24, 3, 3)``, ``pred_betas``
    ``(B, 10)`` and ``pred_cam`` ``(B, 3)``; this class runs the body model,
    projects the joints and computes SPIN's losses (Kolotouros et al., ICCV
    2019; weights of its released configuration, all multiplied by its
    global factor 60):

    - ``loss_keypoints2d``: COCO-17 joints projected to normalised crop
      coordinates vs ``gt_keypoints2d``, confidence-weighted MSE (5 x 60);
    - ``loss_keypoints3d``: H36M-17 joints, pelvis-aligned, vs
      ``gt_keypoints3d``, confidence-weighted MSE on ``has_keypoints3d``
      samples (5 x 60);
    - ``loss_smpl_pose`` / ``loss_smpl_betas``: MSE on rotation matrices
      (1 x 60) and shape (0.001 x 60) on ``has_smpl`` samples;
    - ``loss_vertices`` (optional): L1 on vertices on ``has_smpl`` samples;
    - ``loss_betas_prior`` (optional) and ``loss_camera``: regularisers.

    Args:
        backbone: backbone config.
        head: head config; ``mean_params`` is filled from ``smpl_root``
            when the head takes it and the config leaves it out.
        smpl_root: ``'embedded'`` or a folder laid out like mmhuman3d's
            ``data/body_models`` (see ``docs/data_contract.md``).
        body_model: body model config (``smpl_root`` is added).
        focal_length: focal length of the equivalent perspective camera, in
            crop pixels (SPIN: 5000 at 224 px).
        loss_keypoints2d / loss_keypoints3d / loss_smpl_pose /
        loss_smpl_betas / loss_vertices / loss_betas_prior / loss_camera:
            loss configs; ``None`` disables the term.
        data_preprocessor: defaults to ImageNet mean/std with BGR -> RGB.
        init_cfg: MMEngine initialisation config of the whole model.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 smpl_root: str = 'embedded',
                 body_model: Optional[dict] = None,
                 focal_length: float = 5000.0,
                 loss_keypoints2d: Optional[dict] = dict(
                     type='Keypoint2DLoss', criterion='mse',
                     loss_weight=300.0),
                 loss_keypoints3d: Optional[dict] = dict(
                     type='Keypoint3DLoss', criterion='mse',
                     root_indices=H36M_PELVIS_ID, loss_weight=300.0),
                 loss_smpl_pose: Optional[dict] = dict(
                     type='SMPLPoseLoss', loss_weight=60.0),
                 loss_smpl_betas: Optional[dict] = dict(
                     type='SMPLBetasLoss', loss_weight=0.06),
                 loss_vertices: Optional[dict] = None,
                 loss_betas_prior: Optional[dict] = None,
                 loss_camera: Optional[dict] = dict(
                     type='CameraScaleLoss', loss_weight=60.0),
                 data_preprocessor: Optional[ConfigType] = None,
                 init_cfg: Union[dict, List[dict], None] = None):
        self.smpl_root = smpl_root
        root = get_smpl_root(smpl_root)
        if isinstance(head, dict) and 'mean_params' not in head:
            head = dict(head)
            head['mean_params'] = f'{root}/smpl_mean_params.npz'
        super().__init__(
            backbone=backbone,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        body_model = dict(type='SMPL') if body_model is None else dict(
            body_model)
        body_model.setdefault('smpl_root', smpl_root)
        self.body_model = build_module(body_model)
        # The body model is a fixed function, never trained (and its
        # parameters must not reach the optimiser or DDP's reducer).
        for p in self.body_model.parameters():
            p.requires_grad_(False)
        self.focal_length = float(focal_length)

        self.loss_keypoints2d = build_module(loss_keypoints2d)
        self.loss_keypoints3d = build_module(loss_keypoints3d)
        self.loss_smpl_pose = build_module(loss_smpl_pose)
        self.loss_smpl_betas = build_module(loss_smpl_betas)
        self.loss_vertices = build_module(loss_vertices)
        self.loss_betas_prior = build_module(loss_betas_prior)
        self.loss_camera = build_module(loss_camera)

    # ------------------------------------------------------------------
    # body model and camera
    def run_body_model(self,
                       rotmat: Optional[torch.Tensor] = None,
                       betas: Optional[torch.Tensor] = None,
                       pose: Optional[torch.Tensor] = None
                       ) -> Dict[str, torch.Tensor]:
        """SMPL from rotation matrices ``(B, 24, 3, 3)`` or axis-angle
        ``pose`` ``(B, 72)``, with shape ``betas`` ``(B, 10)``."""
        if rotmat is not None:
            return self.body_model(
                betas=betas,
                body_pose=rotmat[:, 1:],
                global_orient=rotmat[:, :1],
                pose2rot=False)
        return self.body_model(
            betas=betas,
            body_pose=pose[:, 3:],
            global_orient=pose[:, :3],
            pose2rot=True)

    def camera_translation(self, pred_cam: torch.Tensor,
                           img_shape: Tuple[int, int]) -> torch.Tensor:
        """Perspective translation ``(B, 3)`` equivalent to ``(s, tx, ty)``
        (SPIN: ``tz = 2 f / (W s)``)."""
        return convert_weak_perspective_to_perspective(
            pred_cam, focal_length=self.focal_length, img_size=img_shape[1])

    def project_points(self, points3d: torch.Tensor, pred_cam: torch.Tensor,
                       img_shape: Tuple[int, int]) -> torch.Tensor:
        """Project body-frame points ``(B, N, 3)`` into normalised crop
        coordinates ``(B, N, 2)`` through the camera ``pred_cam``."""
        h, w = img_shape
        if h != w:
            raise ValueError(
                f'{type(self).__name__} expects square crops (the weak-'
                f'perspective camera is isotropic), got {h}x{w}')
        transl = self.camera_translation(pred_cam, img_shape)
        # Camera centre at the crop centre, so the result is centred at 0.
        pixels = perspective_projection(
            points3d,
            focal_length=self.focal_length,
            principal_point=0.0,
            translation=transl)
        return pixels / (w / 2.0)

    # ------------------------------------------------------------------
    # targets
    def collect_targets(self, data_samples: Sequence[HumanDataSample],
                        device: Union[torch.device, str],
                        img_shape: Tuple[int, int]) -> Dict[str, torch.Tensor]:
        """Stack the ground truth fields of the batch (see the contract).

        ``keypoints2d`` is converted to normalised crop coordinates.
        """
        kp2d = stack_field(data_samples, 'gt_keypoints2d', device, (17, 3))
        kp3d = stack_field(data_samples, 'gt_keypoints3d', device, (17, 4))
        return dict(
            keypoints2d=crop_to_normalized(kp2d[..., :2], img_shape),
            keypoints2d_conf=kp2d[..., 2],
            keypoints3d=kp3d[..., :3],
            keypoints3d_conf=kp3d[..., 3],
            has_keypoints3d=stack_field(data_samples, 'has_keypoints3d',
                                        device, ()),
            smpl_pose=stack_field(data_samples, 'gt_smpl_pose', device,
                                  (NUM_SMPL_JOINTS * 3, )),
            smpl_betas=stack_field(data_samples, 'gt_smpl_betas', device,
                                   (NUM_BETAS, )),
            has_smpl=stack_field(data_samples, 'has_smpl', device, ()))

    # ------------------------------------------------------------------
    # losses
    def mesh_losses(self, preds: Dict[str, torch.Tensor],
                    targets: Dict[str, torch.Tensor],
                    img_shape: Tuple[int, int],
                    smpl_pose: Optional[torch.Tensor] = None,
                    smpl_betas: Optional[torch.Tensor] = None,
                    has_smpl: Optional[torch.Tensor] = None,
                    prefix: str = '') -> Dict[str, torch.Tensor]:
        """SPIN's losses for one set of predicted SMPL/camera parameters.

        Args:
            preds: head outputs (``pred_rotmat``, ``pred_betas``,
                ``pred_cam``).
            targets: :meth:`collect_targets` output.
            img_shape: network input ``(H, W)``.
            smpl_pose / smpl_betas / has_smpl: SMPL supervision; default to
                the targets' ground truth (SPIN passes its fits here).
            prefix: prepended to every loss name (e.g. ``'it0_'``).
        """
        smpl_pose = targets['smpl_pose'] if smpl_pose is None else smpl_pose
        smpl_betas = (
            targets['smpl_betas'] if smpl_betas is None else smpl_betas)
        has_smpl = targets['has_smpl'] if has_smpl is None else has_smpl
        rotmat, betas, cam = (preds['pred_rotmat'], preds['pred_betas'],
                              preds['pred_cam'])
        if self.loss_vertices is None:
            # The losses read keypoints only: skip posing the mesh.
            out = self.body_model.keypoints_only(betas, rotmat)
        else:
            out = self.run_body_model(rotmat=rotmat, betas=betas)
        losses = {}
        if self.loss_keypoints2d is not None:
            kp2d = self.project_points(out['keypoints_coco17'], cam,
                                       img_shape)
            losses['loss_keypoints2d'] = self.loss_keypoints2d(
                kp2d, targets['keypoints2d'], targets['keypoints2d_conf'])
        if self.loss_keypoints3d is not None:
            losses['loss_keypoints3d'] = self.loss_keypoints3d(
                out['keypoints_h36m17'], targets['keypoints3d'],
                targets['keypoints3d_conf'], targets['has_keypoints3d'])
        if self.loss_smpl_pose is not None:
            losses['loss_smpl_pose'] = self.loss_smpl_pose(
                rotmat, smpl_pose, has_smpl)
        if self.loss_smpl_betas is not None:
            losses['loss_smpl_betas'] = self.loss_smpl_betas(
                betas, smpl_betas, has_smpl)
        if self.loss_vertices is not None:
            with torch.no_grad():
                gt_vertices = self.run_body_model(
                    pose=smpl_pose, betas=smpl_betas)['vertices']
            losses['loss_vertices'] = self.loss_vertices(
                out['vertices'], gt_vertices, has_smpl)
        if self.loss_betas_prior is not None:
            losses['loss_betas_prior'] = self.loss_betas_prior(betas)
        if self.loss_camera is not None:
            losses['loss_camera'] = self.loss_camera(cam)
        return {prefix + k: v for k, v in losses.items()}

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        targets = self.collect_targets(data_samples, inputs.device, img_shape)
        return self.mesh_losses(preds, targets, img_shape)

    # ------------------------------------------------------------------
    # prediction
    def predict(self, inputs: torch.Tensor,
                data_samples: List[HumanDataSample]
                ) -> List[HumanDataSample]:
        """Fill the prediction fields of ``docs/data_contract.md``.

        ``pred_keypoints3d``: H36M-17 of the predicted mesh, pelvis at the
        origin (metres); ``pred_vertices`` / ``gt_vertices``: body-frame
        meshes (the latter from the ground-truth SMPL parameters with the
        same body model, for ``has_smpl`` samples); ``pred_keypoints2d_img``:
        H36M-17 projected into original-image pixels.
        """
        img_shape = self._input_shape(inputs)
        preds = self._forward(inputs, data_samples)
        rotmat, betas, cam = (preds['pred_rotmat'], preds['pred_betas'],
                              preds['pred_cam'])
        out = self.run_body_model(rotmat=rotmat, betas=betas)
        joints = out['keypoints_h36m17']
        kp2d_img = self.keypoints_crop_to_image(
            self.project_points(joints, cam, img_shape), img_shape,
            data_samples)
        root = joints[:, H36M_PELVIS_ID:H36M_PELVIS_ID + 1]
        pose_aa = matrix_to_axis_angle(rotmat).reshape(rotmat.shape[0], -1)

        gt_out = None
        has_smpl = stack_field(
            data_samples, 'has_smpl', inputs.device, (), required=False)
        if has_smpl is not None and bool((has_smpl > 0).any()):
            gt_pose = stack_field(data_samples, 'gt_smpl_pose',
                                  inputs.device, (NUM_SMPL_JOINTS * 3, ))
            gt_betas = stack_field(data_samples, 'gt_smpl_betas',
                                   inputs.device, (NUM_BETAS, ))
            gt_out = self.run_body_model(pose=gt_pose, betas=gt_betas)

        for i, sample in enumerate(data_samples):
            # Meshes share their keypoints' frame, so that the metrics can
            # align both at the same pelvis.
            sample.pred_keypoints3d = (joints[i] - root[i]).detach()
            sample.pred_vertices = (out['vertices'][i] - root[i]).detach()
            if gt_out is not None and float(has_smpl[i]) > 0:
                self._fill_gt_mesh(sample, gt_out['vertices'][i],
                                   gt_out['keypoints_h36m17'][i])
            sample.pred_keypoints2d_img = kp2d_img[i].detach()
            sample.pred_smpl_pose = pose_aa[i].detach()
            sample.pred_smpl_betas = betas[i].detach()
            sample.pred_cam = cam[i].detach()
        return data_samples

    @staticmethod
    def _fill_gt_mesh(sample: HumanDataSample, vertices: torch.Tensor,
                      joints: torch.Tensor) -> None:
        """Ground-truth mesh in the frame of ``gt_keypoints3d``.

        The SMPL parameters carry the global orientation but not the
        translation, so the mesh is moved to the labelled pelvis. A sample
        without 3D keypoints (e.g. mmhuman3d's 3DPW file holds only SMPL
        parameters) takes its ground-truth joints from the mesh itself.
        """
        vertices, joints = vertices.detach(), joints.detach()
        kp3d = sample.get('gt_keypoints3d', None)
        has_kp3d = float(sample.get('has_keypoints3d', 0.0))
        pelvis_ok = (kp3d is not None and has_kp3d > 0
                     and float(kp3d[H36M_PELVIS_ID, 3]) > 0)
        if pelvis_ok:
            offset = kp3d[H36M_PELVIS_ID, :3].to(vertices) - joints[
                H36M_PELVIS_ID]
            sample.gt_vertices = vertices + offset
        else:
            sample.gt_vertices = vertices
            sample.gt_keypoints3d = torch.cat(
                [joints, torch.ones_like(joints[:, :1])], dim=1)
            sample.has_keypoints3d = torch.ones((), dtype=joints.dtype)

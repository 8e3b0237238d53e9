"""The SMPL body model every hpse_bench module uses (labels and regressors).

SMPL: Loper et al., "SMPL: A Skinned Multi-Person Linear Model", SIGGRAPH
Asia 2015. The model is ``smplx.SMPL`` loaded from a plain-numpy pickle, the
same code path for the official files (converted by
``tools/convert_smpl.py``) and the embedded model
(:mod:`hpse_bench.body_models.embedded`).
"""
import contextlib
import io
import os.path as osp
from typing import Dict, Optional

import numpy as np
import smplx
import torch
from torch import Tensor, nn

from hpse_bench.registry import MODELS
from hpse_bench.structures.conventions import (COCO_17, H36M_17, H36M_TO_LSP14,
                                               NUM_BETAS, NUM_SMPL_JOINTS,
                                               NUM_SMPL_VERTICES, SMPL_24,
                                               SMPL_FACE_VERTEX_IDS)
from .embedded import J_REGRESSOR_H36M
from .keypoint_skinning import KeypointSkinning
from .paths import get_smpl_root, smpl_model_file
from .smpl_file import check_smpl_sizes, load_smpl_pickle

#: Conventions ``smpl_keypoints`` can produce.
KEYPOINT_CONVENTIONS = ('smpl_24', 'coco_17', 'h36m_17', 'lsp_14')

_SMPL_INDEX = {name: i for i, name in enumerate(SMPL_24)}
# COCO-17 from [24 SMPL joints | 5 face vertices]: body joints by name,
# face points from the vertex ids in conventions.SMPL_FACE_VERTEX_IDS.
_FACE_NAMES = list(SMPL_FACE_VERTEX_IDS)
_COCO_GATHER = [
    NUM_SMPL_JOINTS +
    _FACE_NAMES.index(n) if n in SMPL_FACE_VERTEX_IDS else _SMPL_INDEX[n]
    for n in COCO_17
]


def smpl_keypoints(vertices: Tensor,
                   joints: Tensor,
                   convention: str,
                   j_regressor_h36m: Optional[Tensor] = None) -> Tensor:
    """Keypoints of one convention from SMPL vertices and joints.

    - ``smpl_24``: the kinematic joints.
    - ``coco_17``: body joints are SMPL joints of the same name, face points
      are the vertices ``conventions.SMPL_FACE_VERTEX_IDS``.
    - ``h36m_17``: ``J_regressor_h36m @ vertices`` (SPIN's regressor).
    - ``lsp_14``: ``h36m_17`` through ``conventions.H36M_TO_LSP14``.

    Args:
        vertices: ``(B, 6890, 3)``.
        joints: ``(B, >=24, 3)``, SMPL joints first.
        convention: one of ``KEYPOINT_CONVENTIONS``.
        j_regressor_h36m: ``(17, 6890)``, needed for ``h36m_17``/``lsp_14``.

    Returns:
        ``(B, K, 3)`` keypoints.
    """
    if convention == 'smpl_24':
        return joints[:, :NUM_SMPL_JOINTS]
    if convention == 'coco_17':
        face_ids = torch.as_tensor(
            [SMPL_FACE_VERTEX_IDS[n] for n in _FACE_NAMES],
            device=vertices.device)
        pool = torch.cat([joints[:, :NUM_SMPL_JOINTS], vertices[:, face_ids]],
                         dim=1)
        return pool[:, _COCO_GATHER]
    if convention in ('h36m_17', 'lsp_14'):
        if j_regressor_h36m is None:
            raise ValueError(f'"{convention}" keypoints need the H36M joint '
                             'regressor (J_regressor_h36m.npy)')
        h36m = torch.einsum('jv,bvc->bjc', j_regressor_h36m.to(vertices),
                            vertices)
        return h36m if convention == 'h36m_17' else h36m[:, H36M_TO_LSP14]
    raise KeyError(f'unknown keypoint convention "{convention}"; known: '
                   f'{KEYPOINT_CONVENTIONS}')


def load_h36m_regressor(path: str) -> np.ndarray:
    """``J_regressor_h36m.npy``: SPIN's ``(17, 6890)`` H36M regressor.

    Raises:
        ValueError: naming the file when it is not a plain ``.npy`` array
            (pickled objects are never loaded) or has another shape.
    """
    try:
        reg = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f'"{path}" is not a readable .npy array '
                         f'({type(e).__name__}: {e})') from e
    expected = (len(H36M_17), NUM_SMPL_VERTICES)
    if reg.shape != expected or not np.issubdtype(reg.dtype, np.floating):
        raise ValueError(f'"{path}" holds a {reg.dtype} array of shape '
                         f'{reg.shape}; the H36M joint regressor is a float '
                         f'array of shape {expected} (17 Human3.6M joints x '
                         'SMPL vertices)')
    return reg


@MODELS.register_module()
class SMPL(nn.Module):
    """SMPL with the keypoint sets hpse_bench supervises and evaluates.

    A thin wrapper around ``smplx.SMPL`` (no learnable parameters). Rest
    pose: T-pose, y up, facing +z, the person's left on +x, metres.

    Args:
        smpl_root: ``'embedded'`` or a folder with the SMPL files
            (``docs/data_contract.md``); see ``get_smpl_root``.
        gender: ``'neutral'``, ``'male'`` or ``'female'``.
    """

    def __init__(self,
                 smpl_root: str = 'embedded',
                 gender: str = 'neutral') -> None:
        super().__init__()
        root = get_smpl_root(smpl_root)
        self.smpl_root = root
        self.gender = gender
        model_file = smpl_model_file(root, gender)
        # Read here, not by smplx: smplx unpickles the file with plain
        # pickle, which runs whatever a file names.
        data = load_smpl_pickle(model_file)
        check_smpl_sizes(data, model_file)
        # smplx prints a warning on every load of a 10-beta model.
        with contextlib.redirect_stdout(io.StringIO()):
            self.body_model = smplx.SMPL(
                model_path=model_file,
                data_struct=smplx.utils.Struct(**data),
                gender=gender,
                num_betas=NUM_BETAS,
                create_betas=False,
                create_global_orient=False,
                create_body_pose=False,
                create_transl=False)
        # The body model is data, not weights: keep it out of checkpoints so
        # that a checkpoint never swaps the model of the run loading it.
        for module in self.body_model.modules():
            module._non_persistent_buffers_set.update(module._buffers)
        self.faces = np.asarray(self.body_model.faces, dtype=np.int64)
        reg = load_h36m_regressor(osp.join(root, J_REGRESSOR_H36M))
        self.register_buffer(
            'j_regressor_h36m',
            torch.as_tensor(reg, dtype=torch.float32),
            persistent=False)
        # H36M-17 regressor rows, then one-hot rows of the COCO face points.
        face = torch.zeros(len(_FACE_NAMES), NUM_SMPL_VERTICES)
        face[torch.arange(len(_FACE_NAMES)),
             [SMPL_FACE_VERTEX_IDS[n] for n in _FACE_NAMES]] = 1.0
        self.keypoint_skinning = KeypointSkinning(
            self.body_model, torch.cat([self.j_regressor_h36m, face]))

    @property
    def faces_tensor(self) -> Tensor:
        """``(13776, 3)`` long tensor of triangle vertex ids."""
        return self.body_model.faces_tensor

    def keypoints(self, vertices: Tensor, joints: Tensor,
                  convention: str) -> Tensor:
        """``smpl_keypoints`` with this model's H36M regressor."""
        return smpl_keypoints(vertices, joints, convention,
                              self.j_regressor_h36m)

    def keypoints_only(self,
                       betas: Tensor,
                       rotmat: Tensor,
                       transl: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The keypoints of :meth:`forward` without the mesh.

        What training losses read, at a fraction of the cost: no vertex is
        posed (:mod:`.keypoint_skinning`). Equal to :meth:`forward`'s
        keypoints up to float rounding.

        Args:
            betas: ``(B, 10)``.
            rotmat: ``(B, 24, 3, 3)`` rotation matrices, global first.
            transl: optional ``(B, 3)`` added to every output point.

        Returns:
            dict with ``joints_smpl24``, ``keypoints_coco17``,
            ``keypoints_h36m17`` and ``keypoints_lsp14``, as :meth:`forward`.
        """
        batch = betas.shape[0]
        if betas.shape != (batch, NUM_BETAS) or rotmat.shape != (
                batch, NUM_SMPL_JOINTS, 3, 3):
            raise ValueError(f'betas must be (B, {NUM_BETAS}) and rotmat '
                             f'(B, {NUM_SMPL_JOINTS}, 3, 3), got '
                             f'{tuple(betas.shape)}, {tuple(rotmat.shape)}')
        out = self.keypoint_skinning(betas, rotmat)
        joints, points = out['joints'], out['points']
        if transl is not None:
            joints = joints + transl[:, None]
            points = points + transl[:, None]
        h36m = points[:, :len(H36M_17)]
        pool = torch.cat([joints, points[:, len(H36M_17):]], dim=1)
        return dict(
            joints_smpl24=joints,
            keypoints_coco17=pool[:, _COCO_GATHER],
            keypoints_h36m17=h36m,
            keypoints_lsp14=h36m[:, H36M_TO_LSP14])

    def forward(self,
                betas: Tensor,
                body_pose: Tensor,
                global_orient: Tensor,
                transl: Optional[Tensor] = None,
                pose2rot: bool = True) -> Dict[str, Tensor]:
        """Pose and shape the body.

        Args:
            betas: ``(B, 10)``.
            body_pose: ``(B, 69)`` / ``(B, 23, 3)`` axis-angle, or
                ``(B, 23, 3, 3)`` rotation matrices with ``pose2rot=False``.
            global_orient: ``(B, 3)`` / ``(B, 1, 3)`` axis-angle, or
                ``(B, 1, 3, 3)`` / ``(B, 3, 3)`` with ``pose2rot=False``.
            transl: optional ``(B, 3)`` added to every output point.
            pose2rot: whether poses are axis-angle (True) or matrices.

        Returns:
            dict with ``vertices`` (B, 6890, 3), ``joints_smpl24``
            (B, 24, 3), ``keypoints_coco17`` (B, 17, 3),
            ``keypoints_h36m17`` (B, 17, 3) and ``keypoints_lsp14``
            (B, 14, 3).
        """
        batch = betas.shape[0]
        if betas.shape != (batch, NUM_BETAS):
            raise ValueError(f'betas must be (B, {NUM_BETAS}), got '
                             f'{tuple(betas.shape)}')
        if pose2rot:
            body_pose = body_pose.reshape(batch, -1)
            global_orient = global_orient.reshape(batch, -1)
            if body_pose.shape[1] != 69 or global_orient.shape[1] != 3:
                raise ValueError('axis-angle body_pose must hold 23x3 and '
                                 'global_orient 3 values per sample')
        else:
            body_pose = body_pose.reshape(batch, -1, 3, 3)
            global_orient = global_orient.reshape(batch, -1, 3, 3)
            if body_pose.shape[1] != 23 or global_orient.shape[1] != 1:
                raise ValueError('rotation-matrix body_pose must be '
                                 '(B, 23, 3, 3), global_orient (B, 1, 3, 3)')
        out = self.body_model(
            betas=betas,
            body_pose=body_pose,
            global_orient=global_orient,
            transl=transl,
            pose2rot=pose2rot,
            return_verts=True)
        vertices, joints = out.vertices, out.joints
        h36m = self.keypoints(vertices, joints, 'h36m_17')
        return dict(
            vertices=vertices,
            joints_smpl24=joints[:, :NUM_SMPL_JOINTS],
            keypoints_coco17=self.keypoints(vertices, joints, 'coco_17'),
            keypoints_h36m17=h36m,
            keypoints_lsp14=h36m[:, H36M_TO_LSP14])

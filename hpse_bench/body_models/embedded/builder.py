"""Compute the embedded model's arrays and write its folder."""
import glob
import hashlib
import json
import os
import os.path as osp
import pickle
from dataclasses import dataclass
from typing import Dict, List

import numpy as np
import torch

from hpse_bench.structures.conventions import (H36M_17, NUM_BETAS,
                                               NUM_SMPL_FACES, NUM_SMPL_JOINTS,
                                               NUM_SMPL_VERTICES, SMPL_24,
                                               SMPL_PARENTS)
from hpse_bench.structures.rotation import matrix_to_rot6d
from hpse_bench.utils.fileio import file_sha256, save_npz
from .blend_shapes import posedirs, shapedirs
from .body import build_parts
from .densepose import densepose_tables
from .files import (CHECKSUMS, DENSEPOSE_UV, EMBEDDED_FILES,
                    EMBEDDED_SMPL_FORMAT_VERSION, J_REGRESSOR_EXTRA,
                    J_REGRESSOR_EXTRA_NAMES, J_REGRESSOR_H36M, METADATA,
                    SMPL_MEAN_PARAMS, SMPL_PKL)
from .landmarks import landmark_vertex_ids, vertex_order
from .rig import (EXTRA_HOSTS, H36M_HOSTS, JOINT_HOSTS, regressor,
                  skinning_weights)
from .skeleton import (extra_targets, h36m_targets, mean_pose_rotmats,
                       skeleton_joints)
from .surface import assemble, sculpt_head, vertex_normals


def builder_fingerprint() -> str:
    """SHA-256 of the code that determines the embedded files.

    Covers every module of this package and the modules whose code shapes
    the output: the conventions, the rotation conversions (mean pose) and
    the ``.npz`` writer. A cache built by other code is rebuilt.
    """
    from hpse_bench.structures import conventions, rotation
    from hpse_bench.utils import fileio
    package = sorted(glob.glob(osp.join(osp.dirname(__file__), '*.py')))
    h = hashlib.sha256()
    for module_file in package + [
            conventions.__file__, rotation.__file__, fileio.__file__
    ]:
        h.update(osp.basename(module_file).encode() + b'\0')
        with open(module_file, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


@dataclass
class EmbeddedSMPL:
    """The arrays of the embedded model (what ``build_embedded_smpl``
    writes)."""
    model: Dict[str, object]
    j_regressor_h36m: np.ndarray
    j_regressor_extra: np.ndarray
    mean_params: Dict[str, np.ndarray]
    face_charts: np.ndarray
    face_uv: np.ndarray
    vertex_part: np.ndarray
    part_names: List[str]


def mean_params() -> Dict[str, np.ndarray]:
    """``smpl_mean_params.npz`` as SPIN's: the 6D mean pose (``R[:, :2]``
    read row by row, see ``structures/rotation``), zero betas and a weak
    perspective camera of scale 0.9.

    float32, as the heads that read the file use them: mmhuman3d's HMR head
    turns the arrays into tensors unconverted and fails on float64.
    """
    return {
        'pose':
        matrix_to_rot6d(torch.from_numpy(
            mean_pose_rotmats())).numpy().reshape(-1).astype(np.float32),
        'shape':
        np.zeros(NUM_BETAS, dtype=np.float32),
        'cam':
        np.array([0.9, 0.0, 0.0], dtype=np.float32),
    }


def make_embedded_smpl() -> EmbeddedSMPL:
    """Compute the embedded model's arrays (deterministic)."""
    joints = skeleton_joints()
    parts = build_parts(joints)
    head = next(p for p in parts if p.name == 'head')
    landmarks = sculpt_head(head)
    verts, faces, face_part, vertex_part = assemble(parts)

    n_verts = verts.shape[0]
    if n_verts != NUM_SMPL_VERTICES or len(faces) != NUM_SMPL_FACES:
        raise RuntimeError(f'embedded SMPL has {n_verts} vertices and '
                           f'{len(faces)} faces')
    order, inverse = vertex_order(
        landmark_vertex_ids(verts, parts, landmarks), n_verts)

    # Everything is computed in the natural (part) order, then permuted.
    normals = vertex_normals(verts, faces)
    j_reg = regressor(verts, parts, SMPL_24, joints,
                      {n: JOINT_HOSTS[n]
                       for n in SMPL_24})
    weights = skinning_weights(verts, parts, vertex_part, joints)
    shape_dirs = shapedirs(verts, parts, vertex_part, joints)
    pose_dirs = posedirs(verts, normals, weights, joints)
    h36m = regressor(verts, parts, H36M_17, h36m_targets(joints), H36M_HOSTS)
    extra = regressor(verts, parts, J_REGRESSOR_EXTRA_NAMES, extra_targets(),
                      EXTRA_HOSTS)
    charts, uv = densepose_tables(verts, faces, face_part, parts)

    kintree = np.array(
        [SMPL_PARENTS, list(range(NUM_SMPL_JOINTS))], dtype=np.int64)
    kintree[0, 0] = 4294967295  # as in the official file (uint32 -1)
    v_template = verts[order]
    model = {
        'v_template': v_template,
        'shapedirs': shape_dirs[order],
        'posedirs': pose_dirs[order],
        'J_regressor': j_reg[:, order],
        'weights': weights[order],
        'kintree_table': kintree,
        'f': inverse[faces].astype(np.uint32),
        'J': j_reg[:, order] @ v_template,
        'bs_style': 'lbs',
        'bs_type': 'lrotmin',
    }
    return EmbeddedSMPL(model, h36m[:, order], extra[:, order], mean_params(),
                        charts, uv, vertex_part[order],
                        [p.name for p in parts])


def build_embedded_smpl(out_dir: str) -> str:
    """Write the embedded SMPL-format model into ``out_dir``.

    The layout is described in :mod:`.files` and ``docs/data_contract.md``.

    Args:
        out_dir: folder to write (created if needed).

    Returns:
        ``out_dir``.
    """
    emb = make_embedded_smpl()
    os.makedirs(osp.join(out_dir, 'smpl'), exist_ok=True)
    with open(osp.join(out_dir, SMPL_PKL), 'wb') as f:
        pickle.dump(emb.model, f, protocol=2)
    np.save(osp.join(out_dir, J_REGRESSOR_H36M), emb.j_regressor_h36m)
    np.save(osp.join(out_dir, J_REGRESSOR_EXTRA), emb.j_regressor_extra)
    save_npz(
        osp.join(out_dir, SMPL_MEAN_PARAMS), emb.mean_params, compress=False)
    save_npz(
        osp.join(out_dir, DENSEPOSE_UV),
        dict(
            face_charts=emb.face_charts.astype(np.int64),
            face_uv=emb.face_uv.astype(np.float32)),
        compress=False)
    meta = {
        'name': 'hpse_bench embedded SMPL-format body model',
        'format_version': EMBEDDED_SMPL_FORMAT_VERSION,
        'num_vertices': NUM_SMPL_VERTICES,
        'num_faces': NUM_SMPL_FACES,
        'num_joints': NUM_SMPL_JOINTS,
        'num_betas': NUM_BETAS,
        'coordinates': 'metres; T-pose, y up, facing +z, left on +x',
        'j_regressor_extra': J_REGRESSOR_EXTRA_NAMES,
        'mean_pose_6d': 'SPIN layout: R[:, :2] read row by row',
        'parts': emb.part_names,
        'builder_sha256': builder_fingerprint(),
    }
    with open(osp.join(out_dir, METADATA), 'w') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write('\n')
    with open(osp.join(out_dir, CHECKSUMS), 'w') as f:
        for name in EMBEDDED_FILES:
            f.write(f'{file_sha256(osp.join(out_dir, name))}  {name}\n')
    return out_dir

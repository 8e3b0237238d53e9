"""The embedded SMPL-format model: files, topology, rig and blend shapes."""
import contextlib
import io
import json
import os.path as osp

import numpy as np
import pytest
import smplx
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.transform import Rotation
from smplx.utils import Struct

from hpse_bench.body_models import build_embedded_smpl
from hpse_bench.body_models.embedded import (EMBEDDED_FILES,
                                             J_REGRESSOR_EXTRA_NAMES,
                                             skeleton_joints)
from hpse_bench.structures import conventions as C
from hpse_bench.utils.fileio import file_sha256

J = {n: i for i, n in enumerate(C.SMPL_24)}
H = {n: i for i, n in enumerate(C.H36M_17)}


def _load_smplx(embedded_root):
    with contextlib.redirect_stdout(io.StringIO()):
        return smplx.SMPL(
            model_path=osp.join(embedded_root, 'smpl', 'SMPL_NEUTRAL.pkl'),
            create_transl=False)


def _shaped(data, beta_index, value):
    betas = np.zeros(C.NUM_BETAS)
    betas[beta_index] = value
    return data['v_template'] + data['shapedirs'] @ betas


def test_file_layout_counts_and_dtypes(embedded_root, smpl_data):
    for name in EMBEDDED_FILES:
        assert osp.isfile(osp.join(embedded_root, name)), name
    d = smpl_data
    assert d['v_template'].shape == (6890, 3)
    assert d['shapedirs'].shape == (6890, 3, 10)
    assert d['posedirs'].shape == (6890, 3, 207)
    assert d['J_regressor'].shape == (24, 6890)
    assert d['weights'].shape == (6890, 24)
    assert d['kintree_table'].shape == (2, 24)
    assert d['f'].shape == (13776, 3)
    for key in ('v_template', 'shapedirs', 'posedirs', 'J_regressor',
                'weights'):
        assert d[key].dtype == np.float64, key
    assert np.issubdtype(d['f'].dtype, np.integer)
    assert d['f'].min() == 0 and d['f'].max() == 6889
    # The official file's root parent is uint32(-1).
    assert d['kintree_table'][0, 0] == 4294967295
    assert list(d['kintree_table'][0, 1:]) == C.SMPL_PARENTS[1:]
    assert list(d['kintree_table'][1]) == list(range(24))

    h36m = np.load(osp.join(embedded_root, 'J_regressor_h36m.npy'))
    extra = np.load(osp.join(embedded_root, 'J_regressor_extra.npy'))
    assert h36m.shape == (17, 6890) and extra.shape == (9, 6890)
    mean = np.load(osp.join(embedded_root, 'smpl_mean_params.npz'))
    assert set(mean.files) == {'pose', 'shape', 'cam'}
    assert mean['pose'].shape == (144, )
    assert mean['shape'].shape == (10, ) and mean['cam'].shape == (3, )
    dp = np.load(osp.join(embedded_root, 'densepose_uv.npz'))
    assert dp['face_charts'].shape == (13776, )
    assert dp['face_uv'].shape == (13776, 3, 2)
    with open(osp.join(embedded_root, 'embedded_smpl.json')) as f:
        meta = json.load(f)
    assert meta['format_version'] == 1
    assert meta['j_regressor_extra'] == J_REGRESSOR_EXTRA_NAMES


def test_closed_genus_zero_surface(smpl_data):
    v = smpl_data['v_template']
    f = smpl_data['f'].astype(np.int64)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    edges, counts = np.unique(np.sort(directed, 1), axis=0, return_counts=True)
    # Every edge is shared by exactly two faces, in opposite directions
    # (consistent orientation).
    assert (counts == 2).all()
    assert len(np.unique(directed, axis=0)) == len(directed)
    assert len(v) - len(edges) + len(f) == 2  # Euler characteristic
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])),
                       shape=(len(v), len(v)))
    n_comp, _ = connected_components(graph, directed=False)
    assert n_comp == 1
    assert len(np.unique(f)) == len(v)
    tri = v[f]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    assert (np.linalg.norm(cross, axis=1) / 2).min() > 1e-7  # no degenerate
    # Outward orientation: positive enclosed volume, in human range (m^3).
    volume = np.einsum('ij,ij->i', tri[:, 0], np.cross(tri[:, 1],
                                                       tri[:, 2])).sum() / 6
    assert 0.04 < volume < 0.12


def test_human_proportions(smpl_data):
    v = smpl_data['v_template']
    height = v[:, 1].max() - v[:, 1].min()
    assert 1.6 < height < 1.8
    span = v[:, 0].max() - v[:, 0].min()  # T-pose arm span ~ height
    assert 0.9 * height < span < 1.15 * height
    j = smpl_data['J']
    assert j[J['head'], 1] > j[J['neck'], 1] > j[J['pelvis'], 1]
    assert j[J['left_ankle'], 1] < j[J['left_knee'], 1] < j[J['left_hip'], 1]
    # Left is +x, arms horizontal.
    assert j[J['left_wrist'], 0] > j[J['left_elbow'], 0] > 0
    assert j[J['right_wrist'], 0] < j[J['right_elbow'], 0] < 0
    assert abs(j[J['left_wrist'], 1] - j[J['left_shoulder'], 1]) < 0.05
    # Toes point forward (+z).
    assert j[J['left_foot'], 2] > j[J['left_ankle'], 2] + 0.05


def test_smplx_zero_pose_returns_template(embedded_root, smpl_data):
    model = _load_smplx(embedded_root)
    out = model(
        betas=torch.zeros(1, 10),
        body_pose=torch.zeros(1, 69),
        global_orient=torch.zeros(1, 3))
    np.testing.assert_allclose(
        out.vertices[0].numpy(), smpl_data['v_template'], atol=1e-6)
    np.testing.assert_allclose(
        out.joints[0, :24].numpy(), smpl_data['J'], atol=1e-6)


def test_joint_regressor_reproduces_skeleton(smpl_data):
    reg = smpl_data['J_regressor']
    np.testing.assert_allclose(reg.sum(1), 1.0, atol=1e-9)
    assert reg.min() >= 0
    np.testing.assert_allclose(
        reg @ smpl_data['v_template'], skeleton_joints(), atol=1e-9)
    # Each joint draws on vertices near it (within 25 cm).
    v = smpl_data['v_template']
    for k in range(24):
        used = v[reg[k] > 1e-6]
        assert np.linalg.norm(used - skeleton_joints()[k], axis=1).max() < \
            0.25, C.SMPL_24[k]


def test_joints_follow_shape(smpl_data):
    reg = smpl_data['J_regressor']
    j0 = reg @ smpl_data['v_template']
    # Beta 0 scales the body about the pelvis: so must the joints.
    j1 = reg @ _shaped(smpl_data, 0, 1.0)
    pelvis = j0[J['pelvis']]
    scale = np.linalg.norm(j1 - j1[J['pelvis']], axis=1)[1:] / \
        np.linalg.norm(j0 - pelvis, axis=1)[1:]
    np.testing.assert_allclose(scale, scale.mean(), rtol=1e-6)
    assert scale.mean() > 1.02
    # Beta 2 lengthens the legs: ankles go down, shoulders stay.
    j2 = reg @ _shaped(smpl_data, 2, 1.0)
    assert j2[J['left_ankle'], 1] < j0[J['left_ankle'], 1] - 0.02
    assert abs(j2[J['left_shoulder'], 1] - j0[J['left_shoulder'], 1]) < 1e-9


def _leg_length(v, reg):
    j = reg @ v
    return (np.linalg.norm(j[J['left_hip']] - j[J['left_knee']]) +
            np.linalg.norm(j[J['left_knee']] - j[J['left_ankle']]))


def _arm_length(v, reg):
    j = reg @ v
    return (np.linalg.norm(j[J['left_shoulder']] - j[J['left_elbow']]) +
            np.linalg.norm(j[J['left_elbow']] - j[J['left_wrist']]))


def _waist_girth(v, y=-0.05):
    """Mean horizontal distance from the body axis of the torso surface at
    height ``y`` (the only surface there within |x| < 0.25)."""
    ring = v[(np.abs(v[:, 1] - y) < 0.012) & (np.abs(v[:, 0]) < 0.25)]
    centre = ring[:, [0, 2]].mean(0)
    return np.linalg.norm(ring[:, [0, 2]] - centre, axis=1).mean()


def _shoulder_width(v, reg):
    j = reg @ v
    return np.linalg.norm(j[J['left_shoulder']] - j[J['right_shoulder']])


@pytest.mark.parametrize('index, measure', [
    (0, lambda v, reg: v[:, 1].max() - v[:, 1].min()),
    (1, lambda v, reg: _waist_girth(v)),
    (2, _leg_length),
    (3, _shoulder_width),
    (4, _arm_length),
])
def test_shape_directions_monotonic(smpl_data, index, measure):
    reg = smpl_data['J_regressor']
    values = [
        measure(_shaped(smpl_data, index, b), reg)
        for b in np.linspace(-3, 3, 7)
    ]
    assert np.all(np.diff(values) > 1e-4), values
    # Plausible size of one standard deviation (1 mm .. 10 cm).
    per_unit = (values[-1] - values[0]) / 6
    assert 1e-3 < per_unit < 0.1


def test_shape_directions_are_ranked_and_distinct(smpl_data):
    dirs = smpl_data['shapedirs'].reshape(-1, 10)
    norms = np.linalg.norm(dirs, axis=0)
    assert (norms > 0).all()
    assert norms[0] == norms.max()
    # No two directions are (anti)parallel.
    unit = dirs / norms
    gram = np.abs(unit.T @ unit) - np.eye(10)
    assert gram.max() < 0.95
    # Random bodies stay human: adult heights, spread like people's.
    rng = np.random.default_rng(0)
    v = smpl_data['v_template'][None] + np.einsum(
        'vck,bk->bvc', smpl_data['shapedirs'], rng.standard_normal((64, 10)))
    heights = v[:, :, 1].max(1) - v[:, :, 1].min(1)
    assert 1.40 < heights.min() and heights.max() < 2.0
    assert 0.04 < heights.std() < 0.11


def test_skinning_weights(smpl_data):
    w = smpl_data['weights']
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-9)
    assert w.min() >= 0
    v = smpl_data['v_template']
    left = [J[n] for n in C.SMPL_24 if n.startswith('left_')]
    right = [J[n] for n in C.SMPL_24 if n.startswith('right_')]
    # No left-side joint moves the right side and vice versa.
    assert w[v[:, 0] < -0.06][:, left].max() == 0
    assert w[v[:, 0] > 0.06][:, right].max() == 0
    # Dominant joints where expected.
    top = w.argmax(1)
    hand = v[:, 0] > 0.75
    assert np.isin(top[hand], [J['left_wrist'], J['left_hand']]).all()
    shin = (v[:, 1] < -0.8) & (v[:, 1] > -1.0) & (v[:, 0] > 0)
    assert (top[shin] == J['left_knee']).all()
    # Blended, not rigid: vertices around the knee use both sides.
    knee = np.linalg.norm(v - smpl_data['J'][J['left_knee']], axis=1) < 0.07
    both = (w[knee][:, J['left_hip']] > 0.1) & (
        w[knee][:, J['left_knee']] > 0.1)
    assert both.sum() > 10


def test_pose_correctives_are_small_and_local(embedded_root, smpl_data):
    pd = smpl_data['posedirs']
    assert np.abs(pd).max() > 0
    model = _load_smplx(embedded_root)
    body_pose = torch.zeros(1, 69)
    knee = J['left_knee']
    body_pose[0, 3 * (knee - 1)] = np.pi / 2  # bend the left knee 90 deg
    rot = Rotation.from_rotvec([np.pi / 2, 0, 0]).as_matrix()
    feature = np.zeros(207)
    feature[9 * (knee - 1):9 * knee] = (rot - np.eye(3)).reshape(-1)
    offsets = pd @ feature
    size = np.linalg.norm(offsets, axis=1)
    assert 1e-3 < size.max() < 0.03
    moved = smpl_data['v_template'][size > 0.1 * size.max()]
    assert np.linalg.norm(moved - smpl_data['J'][knee], axis=1).max() < 0.2
    # smplx applies them: against the same model without correctives only
    # the vertices around the knee move.
    flat = dict(smpl_data, posedirs=np.zeros_like(pd))
    with contextlib.redirect_stdout(io.StringIO()):
        plain = smplx.SMPL(
            model_path='', data_struct=Struct(**flat), create_transl=False)
    kwargs = dict(
        betas=torch.zeros(1, 10),
        body_pose=body_pose,
        global_orient=torch.zeros(1, 3))
    diff = np.linalg.norm(
        model(**kwargs).vertices[0].detach().numpy() -
        plain(**kwargs).vertices[0].detach().numpy(),
        axis=1)
    assert diff.max() > 1e-3
    assert (diff[size < 1e-9] < 1e-6).all()


def test_face_and_extremity_landmarks(smpl_data):
    v = smpl_data['v_template']
    j = smpl_data['J']
    ids = C.SMPL_FACE_VERTEX_IDS
    head = v[:, 1] > j[J['neck'], 1] + 0.03
    for name, i in ids.items():
        assert head[i], name
    nose = v[ids['nose']]
    assert nose[2] >= v[head][:, 2].max() - 1e-9  # the most forward point
    assert abs(nose[0]) < 1e-6
    assert v[ids['right_eye'], 0] < 0 < v[ids['left_eye'], 0]
    assert v[ids['right_ear'], 0] < 0 < v[ids['left_ear'], 0]
    for eye in ('left_eye', 'right_eye'):
        assert v[ids[eye], 1] > nose[1]
        assert v[ids[eye], 2] > j[J['head'], 2]  # on the face
    for ear in ('left_ear', 'right_ear'):
        assert abs(v[ids[ear], 0]) > abs(v[ids['left_eye'], 0]) + 0.03
    # smplx's foot and finger-tip vertices of SMPL-H sit on the right parts.
    vid = smplx.vertex_ids.vertex_ids['smplh']
    for s, side in (('L', 'left'), ('R', 'right')):
        ankle = j[J[f'{side}_ankle']]
        assert v[vid[f'{s}BigToe'], 2] > ankle[2] + 0.1
        assert v[vid[f'{s}SmallToe'], 2] > ankle[2] + 0.05
        assert v[vid[f'{s}Heel'], 2] < ankle[2] - 0.03
        for tip in ('thumb', 'index', 'middle', 'ring', 'pinky'):
            p = v[vid[s.lower() + tip]]
            assert np.sign(p[0]) == (1 if side == 'left' else -1)
            assert abs(p[0]) > abs(j[J[f'{side}_hand'], 0])


def test_densepose_tables(embedded_root, smpl_data):
    dp = np.load(osp.join(embedded_root, 'densepose_uv.npz'))
    charts, uv = dp['face_charts'], dp['face_uv']
    assert set(np.unique(charts)) == set(range(1, 25))
    assert uv.min() >= 0 and uv.max() <= 1
    v = smpl_data['v_template']
    f = smpl_data['f'].astype(np.int64)
    centroid = v[f].mean(1)
    normal = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    chart = {n: i + 1 for i, n in enumerate(C.DENSEPOSE_CHARTS)}

    def faces_of(name):
        return charts == chart[name]

    # Semantics: left is +x, front faces +z.
    assert (centroid[faces_of('head_left'), 0] > -0.01).all()
    assert (centroid[faces_of('head_right'), 0] < 0.01).all()
    assert (centroid[faces_of('left_hand'), 0] > 0.6).all()
    assert (centroid[faces_of('right_foot'), 1] < -1.0).all()
    assert (centroid[faces_of('right_foot'), 0] < 0).all()
    for name in ('torso_front', 'upper_leg_left_front',
                 'lower_arm_right_front', 'upper_arm_left_front'):
        assert normal[faces_of(name), 2].mean() > 0, name
        back = name.replace('front', 'back')
        assert normal[faces_of(back), 2].mean() < 0, back
    for name in ('upper_leg_left_back', 'lower_leg_left_front',
                 'upper_arm_left_back', 'lower_arm_left_front'):
        # (thigh tops reach just past the midline inside the pelvis)
        assert (centroid[faces_of(name), 0] > -0.03).all(), name
    # Coarse parts agree with the charts.
    coarse = np.array(C.DENSEPOSE_CHART_TO_COARSE)[charts]
    assert (coarse >= 1).all()
    # Continuity: U, V are a function of (vertex, chart).
    keys = np.stack([f.reshape(-1), np.repeat(charts, 3)], 1)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    flat = uv.reshape(-1, 2)
    ref = np.zeros((inverse.max() + 1, 2))
    ref[inverse] = flat
    np.testing.assert_allclose(flat, ref[inverse], atol=1e-6)
    # V runs along the limb: proximal faces of the left upper arm have
    # smaller V than distal ones.
    sel = faces_of('upper_arm_left_front')
    x = centroid[sel, 0]
    vv = uv[sel, :, 1].mean(1)
    assert np.corrcoef(x, vv)[0, 1] > 0.9


def test_h36m_and_extra_regressors(embedded_root, smpl_data):
    v = smpl_data['v_template']
    j = smpl_data['J']
    for name in ('J_regressor_h36m.npy', 'J_regressor_extra.npy'):
        reg = np.load(osp.join(embedded_root, name))
        np.testing.assert_allclose(reg.sum(1), 1.0, atol=1e-9)
        assert reg.min() >= 0
    h = np.load(osp.join(embedded_root, 'J_regressor_h36m.npy')) @ v
    for n in ('knee', 'ankle', 'shoulder', 'elbow', 'wrist'):
        for s in ('left', 'right'):
            np.testing.assert_allclose(
                h[H[f'{s}_{n}']], j[J[f'{s}_{n}']], atol=1e-9)
    assert h[H['left_hip'], 0] > 0 > h[H['right_hip'], 0]
    assert h[H['head_top'], 1] == h[:, 1].max()
    assert h[H['pelvis'], 1] < h[H['spine'], 1] < h[H['thorax'], 1] < \
        h[H['head'], 1] < h[H['head_top'], 1]
    lsp = h[C.H36M_TO_LSP14]
    lsp_names = C.LSP_14
    assert lsp[lsp_names.index('right_ankle'), 0] < 0
    assert lsp[lsp_names.index('left_wrist'), 0] > 0.5
    e = np.load(osp.join(embedded_root, 'J_regressor_extra.npy')) @ v
    x = {n: e[i] for i, n in enumerate(J_REGRESSOR_EXTRA_NAMES)}
    assert x['right_hip'][0] < 0 < x['left_hip'][0]
    assert x['head_top_lsp'][1] == e[:, 1].max()
    assert x['pelvis_mpii'][1] < x['spine_h36m'][1] < x['thorax_mpii'][1] \
        < x['neck_lsp'][1] < x['head_h36m'][1]


def _rot6d_spin_to_matrix(x):
    """SPIN's decoding: view as 3x2, Gram-Schmidt on the two columns."""
    m = x.reshape(-1, 3, 2)
    a = m[..., 0] / np.linalg.norm(m[..., 0], axis=-1, keepdims=True)
    b = m[..., 1] - (a * m[..., 1]).sum(-1, keepdims=True) * a
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.stack([a, b, np.cross(a, b)], -1)


def test_mean_params_are_float32_as_mmhuman3d_needs(embedded_root):
    """mmhuman3d's HMRHead turns the file's arrays into tensors as they are
    and feeds them, beside float32 image features, to its first Linear
    layer: float64 arrays fail its first step with a dtype error."""
    mean = np.load(osp.join(embedded_root, 'smpl_mean_params.npz'))
    for key in ('pose', 'shape', 'cam'):
        assert mean[key].dtype == np.float32, key
    init = [
        torch.from_numpy(mean[key][:]).unsqueeze(0)
        for key in ('pose', 'shape', 'cam')
    ]
    features = torch.randn(1, 8)
    fc1 = torch.nn.Linear(8 + 144 + 10 + 3, 4)
    assert fc1(torch.cat([features, *init], 1)).shape == (1, 4)


def test_mean_params(embedded_root):
    mean = np.load(osp.join(embedded_root, 'smpl_mean_params.npz'))
    # Orthonormalised in float64: the file stores float32 values.
    rot = _rot6d_spin_to_matrix(mean['pose'].astype(np.float64))
    assert rot.shape == (24, 3, 3)
    np.testing.assert_allclose(
        rot @ rot.transpose(0, 2, 1),
        np.tile(np.eye(3), (24, 1, 1)),
        atol=1e-9)
    # Upright in camera coordinates (y down): pi about x.
    np.testing.assert_allclose(rot[0], np.diag([1.0, -1.0, -1.0]), atol=1e-9)
    angles = np.linalg.norm(Rotation.from_matrix(rot[1:]).as_rotvec(), axis=1)
    assert angles.max() < 1.0  # a relaxed pose, not a contortion
    assert 0.5 < mean['cam'][0] < 1.2


def test_build_is_deterministic(tmp_path, embedded_root):
    a = build_embedded_smpl(str(tmp_path / 'a'))
    for name in EMBEDDED_FILES + ('SHA256SUMS', ):
        assert file_sha256(osp.join(a, name)) == file_sha256(
            osp.join(embedded_root, name)), name

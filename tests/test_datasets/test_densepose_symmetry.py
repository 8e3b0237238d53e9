"""DensePoseSymmetry: label permutations, and the UV maps checked against
the embedded body model's mirrored surface and against look-up tables."""
import os.path as osp

import numpy as np
import pytest
from scipy.io import savemat
from scipy.spatial import cKDTree

from hpse_bench.body_models import get_smpl_root, load_smpl_pickle
from hpse_bench.structures import DensePoseSymmetry
from hpse_bench.structures.conventions import DENSEPOSE_CHARTS

# detectron2's DensePoseTransformData tables, written out independently of
# the part names.
POINT_LABEL_SYMMETRIES = [
    0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19,
    22, 21, 24, 23
]
MASK_LABEL_SYMMETRIES = [0, 1, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 14]


@pytest.mark.parametrize('mode', ['embedded', 'mirror_u', 'keep'])
def test_label_permutations_are_detectron2s(mode):
    sym = DensePoseSymmetry(mode)
    assert sym.chart_flip.tolist() == POINT_LABEL_SYMMETRIES
    assert sym.coarse_flip.tolist() == MASK_LABEL_SYMMETRIES
    labels = np.arange(15, dtype=np.uint8).reshape(3, 5)
    flipped = sym.flip_coarse(labels)
    assert flipped.dtype == np.uint8
    np.testing.assert_array_equal(sym.flip_coarse(flipped), labels)
    charts = np.arange(1, 25)
    np.testing.assert_array_equal(sym.flip_charts(sym.flip_charts(charts)),
                                  charts)


@pytest.fixture(scope='module')
def embedded_surface():
    """Rest-pose face centres, charts and centre (U, V) of the embedded
    body model."""
    root = get_smpl_root('embedded')
    model = load_smpl_pickle(osp.join(root, 'smpl', 'SMPL_NEUTRAL.pkl'))
    dp = np.load(osp.join(root, 'densepose_uv.npz'))
    faces = np.asarray(model['f'], dtype=np.int64)
    centres = np.asarray(model['v_template'])[faces].mean(1)
    return centres, dp['face_charts'], dp['face_uv'].mean(1)


def mirror_agreement(sym, surface):
    """Per chart: the fraction of faces whose mirrored face (nearest face
    centre to the centre mirrored about x = 0) has the flipped chart, and
    the fraction whose flipped (U, V) is within 0.05 of the mirrored face's.
    """
    centres, charts, uv = surface
    _, partner = cKDTree(centres).query(centres * np.array([-1, 1, 1]))
    u, v = sym.flip_uv(charts, uv[:, 0], uv[:, 1])
    chart_ok = sym.flip_charts(charts) == charts[partner]
    uv_ok = ((np.abs(u - uv[partner, 0]) < 0.05)
             & (np.abs(v - uv[partner, 1]) < 0.05))
    return {
        name: (chart_ok[charts == c + 1].mean(), uv_ok[charts == c + 1].mean())
        for c, name in enumerate(DENSEPOSE_CHARTS)
    }


def test_embedded_mode_matches_the_mirrored_body(embedded_surface):
    agreement = mirror_agreement(
        DensePoseSymmetry('embedded'), embedded_surface)
    for name, (chart_ok, uv_ok) in agreement.items():
        assert chart_ok > 0.95, name
        # A few faces on the midline seams have no exact mirror partner.
        assert uv_ok > 0.9, name


def test_mirror_u_everywhere_is_wrong_on_hands_and_head(embedded_surface):
    # The embedded hands and head keep U under a mirror.
    agreement = mirror_agreement(
        DensePoseSymmetry('mirror_u'), embedded_surface)
    for name in ('left_hand', 'right_hand', 'head_left', 'head_right'):
        assert agreement[name][1] < 0.5, name
    assert agreement['upper_arm_left_front'][1] > 0.9


def test_uv_tables_from_mat_file(tmp_path):
    rng = np.random.default_rng(0)
    u_tables = rng.random((24, 256, 256))
    v_tables = rng.random((24, 256, 256))
    cells = {}
    for key, tables in (('U_transforms', u_tables),
                        ('V_transforms', v_tables)):
        cell = np.empty((1, 24), dtype=object)
        for c in range(24):
            cell[0, c] = tables[c]
        cells[key] = cell
    path = str(tmp_path / 'UV_symmetry_transforms.mat')
    savemat(path, cells)

    sym = DensePoseSymmetry(path)
    charts = np.array([1, 5, 24, 13])
    u = np.array([0.0, 0.5, 1.0, 0.3])
    v = np.array([0.2, 0.999, 0.0, 0.7])
    fu, fv = sym.flip_uv(charts, u, v)
    for k in range(4):
        row, col = int(v[k] * 255), int(u[k] * 255)
        assert fu[k] == pytest.approx(u_tables[charts[k] - 1, row, col])
        assert fv[k] == pytest.approx(v_tables[charts[k] - 1, row, col])


def test_uv_table_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='UV_symmetry_transforms'):
        DensePoseSymmetry(str(tmp_path / 'missing.mat'))
    path = str(tmp_path / 'other.mat')
    savemat(path, {'something': np.zeros(3)})
    with pytest.raises(KeyError, match='U_transforms'):
        DensePoseSymmetry(path)

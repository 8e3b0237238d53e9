"""tools/convert_smpl.py on a file in the official (chumpy) pickle layout."""
import contextlib
import io
import os
import os.path as osp
import pickle
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp
import smplx
import torch

from hpse_bench.body_models import SMPL, convert_smpl_file
from hpse_bench.body_models.smpl_file import load_smpl_pickle

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class _Ch:
    """Pickles like chumpy's ``Ch``: module ``chumpy.ch``, class ``Ch``,
    state = its ``__dict__`` (chumpy drops only its caches)."""

    def __init__(self, x):
        self.x = np.asarray(x, np.float64)
        self._dirty_vars = set()
        self._itr = None
        self._depends_on_deps = {}
        self._make_dense = False
        self._make_sparse = False


_Ch.__module__ = 'chumpy.ch'
_Ch.__qualname__ = 'Ch'
_Ch.__name__ = 'Ch'


def _write_official_layout(path, data):
    """Pickle ``data`` as the official files do: chumpy arrays for
    v_template, shapedirs and weights, a scipy sparse J_regressor."""
    official = dict(data)
    for key in ('v_template', 'shapedirs', 'weights', 'posedirs'):
        official[key] = _Ch(data[key])
    official['J_regressor'] = sp.csc_matrix(data['J_regressor'])
    official['J_regressor_prior'] = sp.csc_matrix(data['J_regressor'])
    official['pose_training_info'] = {'n_samples': 1786}
    fake = types.ModuleType('chumpy')
    fake_ch = types.ModuleType('chumpy.ch')
    fake_ch.Ch = _Ch
    saved = {k: sys.modules.get(k) for k in ('chumpy', 'chumpy.ch')}
    sys.modules.update({'chumpy': fake, 'chumpy.ch': fake_ch})
    try:
        with open(path, 'wb') as f:
            pickle.dump(official, f, protocol=2)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k)
            else:
                sys.modules[k] = v
    with open(path, 'rb') as f:
        assert b'chumpy.ch' in f.read()


@pytest.fixture
def official_pkl(tmp_path, smpl_data):
    path = tmp_path / 'basicModel_neutral_lbs_10_207_0_v1.0.0.pkl'
    _write_official_layout(str(path), smpl_data)
    return str(path)


def test_chumpy_file_needs_chumpy_without_converter(official_pkl):
    with pytest.raises(ModuleNotFoundError, match='chumpy'):
        with open(official_pkl, 'rb') as f:
            pickle.load(f, encoding='latin1')


def test_convert_in_process(official_pkl, tmp_path, smpl_data, monkeypatch):
    monkeypatch.setitem(sys.modules, 'chumpy', None)  # not importable
    out = convert_smpl_file(official_pkl, str(tmp_path / 'root'))
    assert out == str(tmp_path / 'root' / 'smpl' / 'SMPL_NEUTRAL.pkl')
    data = load_smpl_pickle(out)
    assert sp.issparse(data['J_regressor'])
    assert isinstance(data['shapedirs'], np.ndarray)
    for key in ('v_template', 'shapedirs', 'weights', 'posedirs', 'f',
                'kintree_table'):
        np.testing.assert_array_equal(data[key], smpl_data[key])
    np.testing.assert_array_equal(data['J_regressor'].toarray(),
                                  smpl_data['J_regressor'])
    assert data['pose_training_info'] == {'n_samples': 1786}
    # The converted file needs nothing but numpy and scipy.
    with open(out, 'rb') as f:
        raw = f.read()
    assert b'chumpy' not in raw


def test_cli_without_chumpy_then_smplx_and_smpl_load(official_pkl, tmp_path,
                                                     embedded_root, smpl_data):
    root = tmp_path / 'body_models'
    code = ('import runpy, sys; sys.modules["chumpy"] = None; '
            'sys.argv = sys.argv[1:]; '
            'runpy.run_path(sys.argv[0], run_name="__main__")')
    proc = subprocess.run([
        sys.executable, '-c', code,
        osp.join(REPO, 'tools', 'convert_smpl.py'), official_pkl,
        str(root)
    ],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.returncode == 0, proc.stderr
    assert 'wrote' in proc.stdout and 'still needs' in proc.stdout
    pkl = root / 'smpl' / 'SMPL_NEUTRAL.pkl'
    with contextlib.redirect_stdout(io.StringIO()):
        model = smplx.SMPL(model_path=str(pkl), create_transl=False)
    np.testing.assert_allclose(
        model.v_template.numpy(), smpl_data['v_template'], atol=1e-6)
    # With the data files beside it, the folder serves as smpl_root and
    # poses exactly like the embedded original.
    for name in ('J_regressor_h36m.npy', 'J_regressor_extra.npy',
                 'smpl_mean_params.npz'):
        shutil.copy(osp.join(embedded_root, name), root)
    gen = torch.Generator().manual_seed(0)
    args = (torch.randn(2, 10, generator=gen),
            0.3 * torch.randn(2, 69, generator=gen),
            torch.randn(2, 3, generator=gen))
    a = SMPL(smpl_root=str(root))(*args)
    b = SMPL(smpl_root='embedded')(*args)
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_not_an_smpl_file(tmp_path):
    path = tmp_path / 'model.pkl'
    with open(path, 'wb') as f:
        pickle.dump({
            'weights': np.zeros((3, 2)),
            'faces': np.zeros((1, 3))
        }, f)
    with pytest.raises(ValueError) as err:
        convert_smpl_file(str(path), str(tmp_path / 'out'), 'neutral')
    msg = str(err.value)
    assert 'not an SMPL model' in msg
    assert "'faces'" in msg and "'weights'" in msg  # keys found
    assert 'v_template' in msg and 'kintree_table' in msg  # expected
    path.write_bytes(b'not a pickle at all')
    with pytest.raises(ValueError, match='not a readable SMPL pickle'):
        convert_smpl_file(str(path), str(tmp_path / 'out'), 'neutral')


def test_gender_inferred_or_required(official_pkl, tmp_path):
    female = tmp_path / 'basicModel_f_lbs_10_207_0_v1.0.0.pkl'
    shutil.copy(official_pkl, female)
    out = convert_smpl_file(str(female), str(tmp_path / 'root'))
    assert out.endswith(osp.join('smpl', 'SMPL_FEMALE.pkl'))
    odd = tmp_path / 'model.pkl'
    shutil.copy(official_pkl, odd)
    with pytest.raises(ValueError, match='--gender'):
        convert_smpl_file(str(odd), str(tmp_path / 'root'))
    out = convert_smpl_file(str(odd), str(tmp_path / 'root'), 'male')
    assert out.endswith(osp.join('smpl', 'SMPL_MALE.pkl'))


def test_refuses_foreign_classes(tmp_path):
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'v_template': os.getcwd}, f)  # names posix.getcwd
    with pytest.raises(ValueError, match='refusing'):
        load_smpl_pickle(str(path))

"""Body-model files are untrusted: reading one never runs code from it, and
a damaged one ends in a message naming the file and what is wrong."""
import os
import os.path as osp
import pickle
import shutil

import numpy as np
import pytest

from hpse_bench.body_models import SMPL, convert_smpl_file, load_smpl_pickle


def _payloads(marker):
    """Pickles that run ``touch marker`` when plain pickle reads them."""
    cmd = f'touch {marker}'
    return {
        # protocol 0: GLOBAL module name, then REDUCE with an argument tuple
        'builtins.exec':
        f"cbuiltins\nexec\n(Vimport os; os.system('{cmd}')\ntR.".encode(),
        '__builtin__.eval':
        f"c__builtin__\neval\n(V__import__('os').system('{cmd}')\ntR."
        .encode(),
        'os.system':
        f'cos\nsystem\n(V{cmd}\ntR.'.encode(),
        'subprocess.call':
        f'csubprocess\ncall\n(Vsh\nV-c\nV{cmd}\nlp0\ntR.'.encode(),
        # a numpy callable that is not an array rebuilder
        'numpy.load':
        b'cnumpy\nload\n(V/dev/null\ntR.',
        # copyreg._reconstructor with a class that is no chumpy stand-in
        'copyreg._reconstructor':
        b'ccopyreg\n_reconstructor\n(cos\n_wrap_close\ncbuiltins\nobject\n'
        b'NtR.',
        # _codecs.encode is for latin-1 bytes, not any codec
        '_codecs.encode':
        b'c_codecs\nencode\n(Vx\nVzlib\ntR.',
    }


@pytest.fixture
def smpl_folder(tmp_path, embedded_root):
    """A copy of the embedded folder, to damage."""
    root = tmp_path / 'body_models'
    os.makedirs(root / 'smpl')
    for name in ('smpl/SMPL_NEUTRAL.pkl', 'J_regressor_h36m.npy',
                 'J_regressor_extra.npy', 'smpl_mean_params.npz'):
        shutil.copy(osp.join(embedded_root, name), root / name)
    return root


@pytest.mark.parametrize('name', sorted(_payloads('x')))
def test_payloads_are_refused_by_the_converter(tmp_path, name):
    marker = tmp_path / 'payload_ran'
    path = tmp_path / 'SMPL_NEUTRAL.pkl'
    path.write_bytes(_payloads(marker)[name])
    with pytest.raises(ValueError) as err:
        convert_smpl_file(str(path), str(tmp_path / 'out'), 'neutral')
    assert str(path) in str(err.value)
    assert not marker.exists()
    assert not osp.exists(tmp_path / 'out' / 'smpl' / 'SMPL_NEUTRAL.pkl')


@pytest.mark.parametrize('name', ['builtins.exec', 'os.system'])
def test_payload_model_file_never_runs_in_smpl(smpl_folder, tmp_path, name):
    """smplx reads its model file with plain pickle: SMPL must not let it."""
    marker = tmp_path / 'payload_ran'
    pkl = smpl_folder / 'smpl' / 'SMPL_NEUTRAL.pkl'
    pkl.write_bytes(_payloads(marker)[name])
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(pkl) in str(err.value)
    assert not marker.exists()


def test_random_bytes_model_file(smpl_folder):
    pkl = smpl_folder / 'smpl' / 'SMPL_NEUTRAL.pkl'
    pkl.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(pkl) in str(err.value)
    assert 'not a readable SMPL pickle' in str(err.value)


def test_truncated_model_file(smpl_folder):
    pkl = smpl_folder / 'smpl' / 'SMPL_NEUTRAL.pkl'
    data = pkl.read_bytes()
    pkl.write_bytes(data[:len(data) * 3 // 5])
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(pkl) in str(err.value)
    assert 'not a readable SMPL pickle' in str(err.value)


def test_model_of_another_size(smpl_folder, smpl_data):
    """A well-formed body model that is not SMPL's topology."""
    pkl = smpl_folder / 'smpl' / 'SMPL_NEUTRAL.pkl'
    small = dict(smpl_data)
    n = 100
    for key in ('v_template', 'shapedirs', 'posedirs', 'weights'):
        small[key] = smpl_data[key][:n]
    small['J_regressor'] = smpl_data['J_regressor'][:, :n]
    small['f'] = np.array([[0, 1, 2]], np.uint32)
    with open(pkl, 'wb') as f:
        pickle.dump(small, f, protocol=2)
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(pkl) in str(err.value)
    assert '100 vertices' in str(err.value) and '6890' in str(err.value)


def test_wrong_shape_h36m_regressor(smpl_folder):
    path = smpl_folder / 'J_regressor_h36m.npy'
    np.save(path, np.zeros((16, 6890)))
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(path) in str(err.value)
    assert '(16, 6890)' in str(err.value) and '(17, 6890)' in str(err.value)


def test_unreadable_h36m_regressor(smpl_folder):
    path = smpl_folder / 'J_regressor_h36m.npy'
    path.write_bytes(b'\x93NUMPY garbage')
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(path) in str(err.value)


def test_pickled_object_array_regressor_is_not_unpickled(smpl_folder,
                                                         tmp_path):
    path = smpl_folder / 'J_regressor_h36m.npy'
    np.save(path, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError) as err:
        SMPL(smpl_root=str(smpl_folder))
    assert str(path) in str(err.value)


def test_the_embedded_model_reads_through_the_allow_list(embedded_root,
                                                         smpl_data):
    data = load_smpl_pickle(osp.join(embedded_root, 'smpl',
                                     'SMPL_NEUTRAL.pkl'))
    for key in ('v_template', 'shapedirs', 'posedirs', 'J_regressor',
                'weights', 'kintree_table', 'f'):
        np.testing.assert_array_equal(data[key], smpl_data[key])
    assert data['bs_style'] == 'lbs'

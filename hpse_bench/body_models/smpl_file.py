"""Read SMPL ``.pkl`` files without chumpy and without running code.

The official SMPL model files (Loper et al., SIGGRAPH Asia 2015) pickle some
arrays as chumpy ``Ch`` objects, and chumpy does not import on Python >= 3.11.
A chumpy ``Ch`` pickles as its ``__dict__`` minus its caches (chumpy's
``Ch.__getstate__``), which holds the array value under ``'x'``. Unpickling
with a stand-in class for every chumpy class recovers those arrays; scipy
sparse matrices (``J_regressor``) stay sparse. The result is written back as
a plain-numpy pickle that ``smplx.SMPL`` reads.

A pickle names the callables that rebuild its objects and plain ``pickle``
calls whatever it names (``builtins.exec``, ``os.system``). Body-model files
come from users, so every SMPL file, official or converted, is read by
:class:`_SMPLUnpickler`, which resolves exactly what an SMPL file needs and
nothing callable beyond it: the data-file allow-list of
:mod:`hpse_bench.utils.safe_pickle` (numpy's array and scalar rebuilders for
class ``ndarray`` only, dtypes, a latin-1-only ``_codecs.encode``, Python's
containers) plus scipy's CSC/CSR/COO matrix classes, chumpy stand-ins
(plain containers) and ``copyreg._reconstructor`` for those classes only.
"""
import os.path as osp
import pickle
import re
from typing import Any, Dict, Optional, Tuple

import numpy as np

from hpse_bench.structures.conventions import (NUM_BETAS, NUM_SMPL_FACES,
                                               NUM_SMPL_JOINTS,
                                               NUM_SMPL_VERTICES)
from hpse_bench.utils.fileio import atomic_write
from hpse_bench.utils.safe_pickle import AllowListUnpickler

#: Keys ``smplx.SMPL`` reads, with the rank each must have.
SMPL_REQUIRED_KEYS: Dict[str, int] = {
    'v_template': 2,
    'shapedirs': 3,
    'posedirs': 3,
    'J_regressor': 2,
    'weights': 2,
    'kintree_table': 2,
    'f': 2,
}


class ChumpyStandIn:
    """Takes the place of a chumpy class while unpickling; keeps the state.

    ``chumpy_class`` (set on the per-class subclasses) names the original.
    """
    chumpy_class = 'chumpy.ch.Ch'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


_STAND_INS: Dict[Tuple[str, str], type] = {}


class _Marker:
    """Stands for ``object`` where ``copyreg._reconstructor`` names it as a
    base: it cannot be called, so the pickle cannot build one by itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_OBJECT = _Marker('builtins.object')


def _sparse_classes() -> Dict[str, type]:
    import scipy.sparse
    return {
        name: getattr(scipy.sparse, name)
        for name in ('csc_matrix', 'csr_matrix', 'coo_matrix')
    }


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """``copyreg._reconstructor`` (protocol 0/1 objects) for chumpy
    stand-ins and scipy sparse matrices only."""
    allowed = isinstance(cls, type) and (issubclass(cls, ChumpyStandIn)
                                         or cls in _sparse_classes().values())
    if not allowed or base is not _OBJECT or state is not None:
        raise pickle.UnpicklingError(
            f'refusing copyreg._reconstructor({cls!r}, {base!r}, ...)')
    return object.__new__(cls)


def _smpl_globals() -> Dict[Tuple[str, str], Any]:
    """What an SMPL file needs beyond the data-file allow-list."""
    extra: Dict[Tuple[str, str], Any] = {}
    # Python 2 names (pickle maps most, not all, of them).
    for module in ('copyreg', 'copy_reg'):
        extra[(module, '_reconstructor')] = _reconstructor
    for module in ('builtins', '__builtin__'):
        extra[(module, 'object')] = _OBJECT
    return extra


# scipy's sparse classes under their old and new module paths.
_SPARSE_MODULE = re.compile(r'scipy\.sparse(\.(_?(csc|csr|coo)|_\w+))?')


class _SMPLUnpickler(AllowListUnpickler):
    """The data-file allow-list (:mod:`hpse_bench.utils.safe_pickle`) plus
    scipy's sparse matrices, chumpy stand-ins and the protocol-0/1 object
    rebuild they use; needs neither chumpy nor Python 2 modules and resolves
    nothing that can run code (see the module docstring)."""
    extra_globals = _smpl_globals()
    holds = ('an SMPL file holds only numpy arrays, scipy sparse matrices '
             'and chumpy arrays')

    def find_class(self, module: str, name: str) -> Any:
        if module == 'chumpy' or module.startswith('chumpy.'):
            key = (module, name)
            if key not in _STAND_INS:
                _STAND_INS[key] = type(name, (ChumpyStandIn, ),
                                       {'chumpy_class': f'{module}.{name}'})
            return _STAND_INS[key]
        if _SPARSE_MODULE.fullmatch(module) and name in _sparse_classes():
            return _sparse_classes()[name]
        return super().find_class(module, name)


def _plain(obj: Any, where: str) -> Any:
    """Replace chumpy stand-ins (recursively) by numpy arrays."""
    if isinstance(obj, ChumpyStandIn):
        state = obj.state
        if isinstance(state, dict) and 'x' in state:
            return np.asarray(_plain(state['x'], where), dtype=np.float64)
        keys = sorted(state) if isinstance(state, dict) else type(state)
        raise ValueError(
            f'{where}: cannot recover an array from chumpy object '
            f'"{obj.chumpy_class}" (state keys: {keys}); only plain chumpy '
            'Ch arrays (value under "x") are supported')
    if isinstance(obj, dict):
        return {k: _plain(v, f'{where}[{k!r}]') for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v, where) for v in obj)
    return obj


def load_smpl_pickle(path: str) -> Dict[str, Any]:
    """Load an SMPL ``.pkl`` (official with chumpy arrays, or plain numpy).

    Returns:
        dict of numpy arrays / scipy sparse matrices and the file's other
        plain entries.

    Raises:
        ValueError: the file is not an SMPL model (names the keys found and
            the keys expected) or holds chumpy expressions, not arrays.
    """
    with open(path, 'rb') as f:
        try:
            data = _SMPLUnpickler(f, encoding='latin1').load()
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                IndexError, TypeError, ValueError, KeyError, MemoryError,
                OverflowError, UnicodeDecodeError) as e:
            raise ValueError(f'"{path}" is not a readable SMPL pickle: '
                             f'{type(e).__name__}: {e}') from e
    if not isinstance(data, dict):
        raise ValueError(f'"{path}" is not an SMPL model file: it holds a '
                         f'{type(data).__name__}, expected a dict with keys '
                         f'{sorted(SMPL_REQUIRED_KEYS)}')
    missing = [k for k in SMPL_REQUIRED_KEYS if k not in data]
    if missing:
        raise ValueError(
            f'"{path}" is not an SMPL model file: missing keys {missing}; '
            f'found keys {sorted(map(str, data))}; expected '
            f'{sorted(SMPL_REQUIRED_KEYS)}')
    data = _plain(data, osp.basename(path))
    for key, rank in SMPL_REQUIRED_KEYS.items():
        shape = np.shape(data[key])
        if len(shape) != rank:
            raise ValueError(f'"{path}": "{key}" has shape {shape}, expected '
                             f'{rank} dimensions')
    n_verts = data['v_template'].shape[0]
    if data['shapedirs'].shape[0] != n_verts or \
            data['weights'].shape[0] != n_verts or \
            data['J_regressor'].shape[1] != n_verts:
        raise ValueError(f'"{path}": vertex counts disagree between '
                         'v_template, shapedirs, weights and J_regressor')
    return data


def check_smpl_sizes(data: Dict[str, Any], path: str) -> None:
    """Check that a loaded model has SMPL's topology and rig sizes, which
    hpse_bench's keypoint mappings and regressors assume.

    Raises:
        ValueError: naming the file, the entry, its shape and SMPL's.
    """
    v, j = NUM_SMPL_VERTICES, NUM_SMPL_JOINTS
    n_verts = np.shape(data['v_template'])[0]
    if n_verts != v:
        raise ValueError(
            f'"{path}" has {n_verts} vertices; hpse_bench needs SMPL\'s '
            f'{v} (its keypoints and joint regressors index SMPL\'s '
            'vertices)')
    expected = {
        'v_template': (v, 3),
        'J_regressor': (j, v),
        'weights': (v, j),
        'kintree_table': (2, j),
        'f': (NUM_SMPL_FACES, 3),
        'posedirs': (v, 3, 9 * (j - 1)),
    }
    for key, shape in expected.items():
        if tuple(np.shape(data[key])) != shape:
            raise ValueError(f'"{path}": "{key}" has shape '
                             f'{tuple(np.shape(data[key]))}, SMPL\'s is '
                             f'{shape}')
    shapedirs = tuple(np.shape(data['shapedirs']))
    if shapedirs[:2] != (v, 3) or shapedirs[2] < NUM_BETAS:
        raise ValueError(f'"{path}": "shapedirs" has shape {shapedirs}, '
                         f'expected ({v}, 3, >= {NUM_BETAS})')


def infer_gender(path: str) -> Optional[str]:
    """Gender from an official file name (``basicModel_f_lbs_...``,
    ``SMPL_FEMALE.pkl``), or None."""
    name = osp.basename(path).lower()
    if 'neutral' in name:
        return 'neutral'
    if 'female' in name or re.search(r'(^|_)f(_|\.)', name):
        return 'female'
    if 'male' in name or re.search(r'(^|_)m(_|\.)', name):
        return 'male'
    return None


def convert_smpl_file(in_path: str,
                      out_dir: str,
                      gender: Optional[str] = None) -> str:
    """Convert an SMPL ``.pkl`` into ``out_dir/smpl/SMPL_<GENDER>.pkl``.

    Args:
        in_path: official SMPL model file.
        out_dir: an ``smpl_root`` folder (``docs/data_contract.md``).
        gender: ``'neutral'``, ``'male'`` or ``'female'``; inferred from the
            file name when None.

    Returns:
        The written file's path.
    """
    if gender is None:
        gender = infer_gender(in_path)
        if gender is None:
            raise ValueError(f'cannot tell the gender of "{in_path}" from '
                             'its name; pass gender (--gender)')
    if gender not in ('neutral', 'male', 'female'):
        raise ValueError(f'gender must be neutral, male or female, got '
                         f'"{gender}"')
    data = load_smpl_pickle(in_path)
    check_smpl_sizes(data, in_path)
    out_path = osp.join(out_dir, 'smpl', f'SMPL_{gender.upper()}.pkl')
    with atomic_write(out_path, 'wb') as f:
        pickle.dump(data, f, protocol=2)
    return out_path

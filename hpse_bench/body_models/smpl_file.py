"""Read official SMPL ``.pkl`` files without chumpy.

The official SMPL model files (Loper et al., SIGGRAPH Asia 2015) pickle some
arrays as chumpy ``Ch`` objects, and chumpy does not import on Python >= 3.11.
A chumpy ``Ch`` pickles as its ``__dict__`` minus its caches (chumpy's
``Ch.__getstate__``), which holds the array value under ``'x'``. Unpickling
with a stand-in class for every chumpy class recovers those arrays; scipy
sparse matrices (``J_regressor``) stay sparse. The result is written back as
a plain-numpy pickle that ``smplx.SMPL`` reads.
"""
import importlib
import os.path as osp
import pickle
import re
from typing import Any, Dict, Optional, Tuple

import numpy as np

from hpse_bench.utils.fileio import atomic_write

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
# Modules a SMPL pickle may name; anything else is refused (a pickle can
# run arbitrary code through the classes it names).
_ALLOWED_MODULES = ('numpy', 'scipy', 'copy_reg', 'copyreg', '__builtin__',
                    'builtins', '_codecs', 'collections')


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


class _SMPLUnpickler(pickle.Unpickler):
    """Unpickler that needs neither chumpy nor Python 2 modules."""

    def find_class(self, module: str, name: str) -> Any:
        if module == 'chumpy' or module.startswith('chumpy.'):
            key = (module, name)
            if key not in _STAND_INS:
                _STAND_INS[key] = type(name, (ChumpyStandIn, ),
                                       {'chumpy_class': f'{module}.{name}'})
            return _STAND_INS[key]
        root = module.split('.')[0]
        if root not in _ALLOWED_MODULES:
            raise pickle.UnpicklingError(
                f'refusing to load "{module}.{name}" from an SMPL file')
        if re.fullmatch(r'scipy\.sparse\.(csc|csr|coo|lil|dok|bsr|dia|_\w+)',
                        module):
            # Old scipy module paths of sparse matrix classes.
            return getattr(importlib.import_module('scipy.sparse'), name)
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
                IndexError, TypeError) as e:
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
    out_path = osp.join(out_dir, 'smpl', f'SMPL_{gender.upper()}.pkl')
    with atomic_write(out_path, 'wb') as f:
        pickle.dump(data, f, protocol=2)
    return out_path

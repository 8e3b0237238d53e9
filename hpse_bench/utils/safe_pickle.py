"""Unpickling data files without running code from them.

A pickle names the callables that rebuild its objects, and plain
``pickle.load`` calls whatever it names (``os.system``, ``builtins.exec``,
...). Data files only need numpy arrays, numpy scalars and dtypes, and
Python's containers, so :class:`AllowListUnpickler` resolves exactly those
names and refuses every other one. The callables it hands out cannot be
turned to other uses: numpy's array rebuild accepts no class but
``ndarray``, and ``_codecs.encode`` (how protocol 2 stores ``bytes``) is
only a latin-1 encoder. Dicts, lists, tuples, strings and numbers need no
name at all.

Used for mmhuman3d HumanData members (``smpl``, ``meta`` dicts stored as
pickled 0-d object arrays), for the annotation pickles of released
datasets (Occlusion-Person) and, extended with scipy's sparse matrices and
chumpy stand-ins, for SMPL model files
(:mod:`hpse_bench.body_models.smpl_file`). Pickles of Python 2 (protocol 2,
numpy arrays as latin-1 strings) load too.
"""
import collections
import io
import pickle
from typing import Any, BinaryIO, Dict, Tuple

import numpy as np

# numpy's own rebuild functions, whatever module this numpy version keeps
# them in (numpy.core before 2.0, numpy._core after).
_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]
_SCALAR = np.float64(0).__reduce__()[0]
_FROMBUFFER = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]


class _NdarrayClass:
    """Stands for ``numpy.ndarray`` in a pickle: only
    :func:`_reconstruct_ndarray` accepts it, and it cannot be called."""


_NDARRAY = _NdarrayClass()


def _reconstruct_ndarray(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """numpy's ``_reconstruct``, for plain ``ndarray`` only."""
    if subtype is not _NDARRAY:
        raise pickle.UnpicklingError(
            f'refusing to rebuild an array of class {subtype!r}; only '
            'numpy.ndarray is allowed')
    return _RECONSTRUCT(np.ndarray, shape, dtype)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    """numpy's ``_frombuffer`` (pickle protocol 5) with checked inputs."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError(
            f'invalid dtype {dtype!r} in a protocol-5 array')
    return _FROMBUFFER(buf, dtype, shape, order)


def _latin1_encode(text: Any, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as protocol 2 uses it for ``bytes``: latin-1
    only."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(
            f'refusing _codecs.encode({type(text).__name__}, {encoding!r}); '
            'only the latin-1 encoding of a string is allowed')
    return text.encode('latin1')


def _allow_list() -> Dict[Tuple[str, str], Any]:
    allowed: Dict[Tuple[str, str], Any] = {
        ('numpy', 'ndarray'): _NDARRAY,
        ('numpy', 'dtype'): np.dtype,
        ('_codecs', 'encode'): _latin1_encode,
        # Kept ordered: mmhuman3d stores some dicts as OrderedDict.
        ('collections', 'OrderedDict'): collections.OrderedDict,
    }
    for core in ('numpy.core', 'numpy._core'):
        allowed[(f'{core}.multiarray', '_reconstruct')] = _reconstruct_ndarray
        allowed[(f'{core}.multiarray', 'scalar')] = _SCALAR
        allowed[(f'{core}.numeric', '_frombuffer')] = _frombuffer
    # Python 2 pickles name the builtins module __builtin__.
    for builtins in ('builtins', '__builtin__'):
        for kind in (set, frozenset, complex):
            allowed[(builtins, kind.__name__)] = kind
    return allowed


#: ``(module, name)`` -> the object a pickle may obtain under that name.
ALLOWED_GLOBALS: Dict[Tuple[str, str], Any] = _allow_list()


class AllowListUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS`.

    Subclasses for other file kinds extend ``extra_globals`` (and may
    override :meth:`find_class` for whole modules) and say what such a file
    holds in ``holds``, which the refusal message quotes.

    Args:
        file: binary file positioned at the pickle.
        encoding: how Python 2 ``str`` objects are decoded; ``'latin1'``
            also restores numpy arrays pickled by Python 2.
    """
    extra_globals: Dict[Tuple[str, str], Any] = {}
    holds = 'a data file may hold only numpy arrays, numpy scalars and ' \
        'Python containers'

    def __init__(self, file: BinaryIO, encoding: str = 'latin1') -> None:
        super().__init__(file, encoding=encoding, fix_imports=False)

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in self.extra_globals:
            return self.extra_globals[key]
        if key in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[key]
        raise pickle.UnpicklingError(
            f'refusing to load "{module}.{name}": {self.holds} (unpickling '
            'anything else can run code)')

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(
            'refusing a persistent id: data files have none')


# Errors a malformed pickle raises while being read.
UNPICKLING_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError,
                     AttributeError, IndexError, KeyError, MemoryError,
                     OverflowError, UnicodeDecodeError)


def safe_pickle_load(file: BinaryIO) -> Any:
    """Unpickle ``file`` with :class:`AllowListUnpickler`.

    Raises:
        pickle.UnpicklingError: the pickle names something outside the
            allow-list (nothing it names is called), or is malformed.
    """
    return AllowListUnpickler(file).load()


def safe_pickle_loads(data: bytes) -> Any:
    """:func:`safe_pickle_load` of an in-memory pickle."""
    return safe_pickle_load(io.BytesIO(data))

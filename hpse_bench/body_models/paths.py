"""Where the SMPL body model files are: ``smpl_root`` resolution.

``smpl_root`` (a config key) is either ``'embedded'``, the SMPL-format model
hpse_bench builds itself (the ``embedded`` package), or a folder laid out like
mmhuman3d's ``data/body_models`` (``docs/data_contract.md``).

The embedded model is built once per machine and cached under
``$HPSE_BENCH_CACHE/body_models/embedded-v<N>`` (default cache
``~/.cache/hpse_bench``). Several processes may start at once (distributed
training, parallel tests): the build happens under a file lock, into a
temporary folder that is renamed into place, and a cache whose checksums do
not match is rebuilt.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from hpse_bench.utils.fileio import file_sha256, locked_build
from .embedded import (CHECKSUMS, EMBEDDED_FILES, EMBEDDED_SMPL_NAME,
                       J_REGRESSOR_EXTRA, J_REGRESSOR_H36M, METADATA,
                       SMPL_MEAN_PARAMS, build_embedded_smpl,
                       builder_fingerprint)

EMBEDDED = 'embedded'
#: Files every ``smpl_root`` folder must hold, besides the model pickle.
SMPL_ROOT_FILES: Tuple[str, ...] = (J_REGRESSOR_H36M, J_REGRESSOR_EXTRA,
                                    SMPL_MEAN_PARAMS)
SMPL_GENDERS: Tuple[str, ...] = ('neutral', 'male', 'female')

# Per-process memo of validated caches: path -> file stats at validation.
_VALIDATED: Dict[str, Tuple] = {}


def hpse_bench_cache_dir() -> str:
    """``$HPSE_BENCH_CACHE``, default ``~/.cache/hpse_bench``."""
    return osp.abspath(
        osp.expanduser(
            os.environ.get('HPSE_BENCH_CACHE', '~/.cache/hpse_bench')))


def embedded_smpl_dir() -> str:
    """The cache folder of the embedded model (it may not exist yet)."""
    return osp.join(hpse_bench_cache_dir(), 'body_models', EMBEDDED_SMPL_NAME)


def _model_file_candidates(root: str, gender: str) -> List[str]:
    name = f'SMPL_{gender.upper()}.pkl'
    return [osp.join(root, 'smpl', name), osp.join(root, name)]


def _missing_root_error(root: str, missing: List[str]) -> FileNotFoundError:
    expected = '\n'.join([
        '  smpl/SMPL_NEUTRAL.pkl (or SMPL_NEUTRAL.pkl directly in the '
        'folder)', *[f'  {name}' for name in SMPL_ROOT_FILES]
    ])
    return FileNotFoundError(
        f'SMPL body model folder "{root}" is incomplete; missing: '
        f'{", ".join(missing)}.\nExpected files in "{root}":\n{expected}\n'
        'Convert official SMPL .pkl files (they hold chumpy arrays) with '
        '`python tools/convert_smpl.py SMPL_NEUTRAL.pkl '
        f'{root}`, or set smpl_root=\'embedded\' to use the SMPL-format '
        'model that hpse_bench builds itself.')


def check_smpl_root(root: str) -> str:
    """Check that a user-given folder holds the expected SMPL files.

    Raises:
        FileNotFoundError: naming every expected file, the folder, and
            ``tools/convert_smpl.py``.
    """
    root = osp.abspath(osp.expanduser(root))
    missing = []
    if not any(osp.isfile(p) for p in _model_file_candidates(root, 'neutral')):
        missing.append('smpl/SMPL_NEUTRAL.pkl')
    missing += [
        n for n in SMPL_ROOT_FILES if not osp.isfile(osp.join(root, n))
    ]
    if missing:
        raise _missing_root_error(root, missing)
    return root


def smpl_model_file(root: str, gender: str = 'neutral') -> str:
    """Path of ``SMPL_<GENDER>.pkl`` in a resolved ``smpl_root`` folder."""
    if gender not in SMPL_GENDERS:
        raise ValueError(f'gender must be one of {SMPL_GENDERS}, got '
                         f'"{gender}"')
    candidates = _model_file_candidates(root, gender)
    for path in candidates:
        if osp.isfile(path):
            return path
    extra = (' The embedded model is gender-neutral only.'
             if osp.basename(root) == EMBEDDED_SMPL_NAME else '')
    raise FileNotFoundError(
        f'no SMPL model for gender "{gender}" in "{root}": looked for '
        f'{" and ".join(candidates)}.{extra} Convert official files with '
        '`python tools/convert_smpl.py IN.pkl OUT_DIR --gender '
        f'{gender}`.')


def _stats(folder: str) -> Optional[Tuple]:
    try:
        return tuple((os.stat(osp.join(folder, n)).st_size,
                      os.stat(osp.join(folder, n)).st_mtime_ns,
                      os.stat(osp.join(folder, n)).st_ino)
                     for n in EMBEDDED_FILES + (CHECKSUMS, ))
    except OSError:
        return None


def _is_valid_cache(folder: str) -> bool:
    """True when every file is present, matches ``SHA256SUMS`` and was
    written by the current builder."""
    stats = _stats(folder)
    if stats is None:
        return False
    if _VALIDATED.get(folder) == stats:
        return True
    try:
        listed = {}
        with open(osp.join(folder, CHECKSUMS)) as f:
            for line in f:
                digest, _, name = line.rstrip('\n').partition('  ')
                listed[name] = digest
    except OSError:
        return False
    for name in EMBEDDED_FILES:
        if listed.get(name) != file_sha256(osp.join(folder, name)):
            return False
    try:
        with open(osp.join(folder, METADATA)) as f:
            built_by = json.load(f).get('builder_sha256')
    except (OSError, ValueError):
        return False
    if built_by != builder_fingerprint():
        # Built by another version of the builder: stale.
        return False
    _VALIDATED[folder] = stats
    return True


def _ensure_embedded() -> str:
    return locked_build(
        embedded_smpl_dir(),
        build=build_embedded_smpl,
        is_valid=_is_valid_cache,
        what='the embedded SMPL-format body model')


def get_smpl_root(smpl_root: str = EMBEDDED) -> str:
    """Resolve ``smpl_root`` to a folder holding the SMPL files.

    Args:
        smpl_root: ``'embedded'`` (build once and cache the SMPL-format
            model of :mod:`hpse_bench.body_models.embedded`) or a folder with
            ``smpl/SMPL_NEUTRAL.pkl`` (or ``SMPL_NEUTRAL.pkl``),
            ``J_regressor_h36m.npy``, ``J_regressor_extra.npy`` and
            ``smpl_mean_params.npz``.

    Returns:
        The absolute folder path.

    Raises:
        FileNotFoundError: a folder lacks expected files (all are named).
    """
    if smpl_root == EMBEDDED:
        return _ensure_embedded()
    return check_smpl_root(smpl_root)

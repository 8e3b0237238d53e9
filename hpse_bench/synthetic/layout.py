"""Where the files of a synthetic data root are, and whether a root is
complete (``docs/data_contract.md`` shows the tree)."""
import json
import os.path as osp
from typing import Any, Dict, List, Optional

from hpse_bench.utils.fileio import file_sha256
from .request import SPLITS

MANIFEST = 'MANIFEST.json'


def image_file(split: str, subset: str, index: int) -> str:
    """Path of an image relative to the data root."""
    return osp.join(split, 'images', subset, f'{index:06d}.jpg')


def parts_file(split: str, subset: str, index: int) -> str:
    """Path of an image's part map relative to the data root: a PNG whose
    first channel is the DensePose chart (1..24, 0 elsewhere) and second
    the person (1-based, the order of the image's annotations / HumanData
    rows, 0 elsewhere) seen at each pixel."""
    return osp.join(split, 'parts', subset, f'{index:06d}.png')


def check_synthetic_data(root: str,
                         request: Optional[Dict[str,
                                                Any]] = None) -> Optional[str]:
    """Why ``root`` is not a complete cache (None when it is).

    Args:
        root: data folder.
        request: when given, the manifest must record the same format
            version, seed, sizes, options and body model.
    """
    path = osp.join(root, MANIFEST)
    if not osp.isfile(path):
        return f'{path} does not exist'
    try:
        with open(path) as f:
            manifest = json.load(f)
        files = manifest['files']
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f'{path} is unreadable ({e})'
    if request is not None:
        for key, value in request.items():
            if manifest.get(key) != value:
                return (f'{path} records {key}={manifest.get(key)!r}, '
                        f'requested {value!r}')
    for name, digest in files.items():
        file = osp.join(root, name)
        if not osp.isfile(file):
            return f'{file} is missing'
        if file_sha256(file) != digest:
            return f'{file} does not match its SHA-256 in {MANIFEST}'
    return None


def read_manifest(root: str) -> Dict[str, Any]:
    """The manifest of ``root``; a clear error when there is none."""
    path = osp.join(root, MANIFEST)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'no synthetic data in "{root}" ({MANIFEST} missing); create '
            'them with hpse_bench.synthetic.ensure_synthetic_data '
            f'or `python tools/data/make_synthetic.py --out {root}`')
    with open(path) as f:
        return json.load(f)


def available_splits(root: str = 'data/synthetic') -> List[str]:
    """The splits generated under ``root``, in ``SPLITS`` order."""
    generated = read_manifest(root)['num_images']
    return [s for s in SPLITS if s in generated]


def split_files(root: str, split: str) -> Dict[str, Dict[str, str]]:
    """Paths of one split's files, per subset.

    Returns:
        ``{subset: dict(images=<folder>, parts=<folder of part maps>,
        human_data=<npz or None>, coco_json=<json or None>,
        num_images=<int>)}``.

    Raises:
        KeyError: ``split`` was not generated; the message names the ones
            that were.
    """
    manifest = read_manifest(root)
    generated = manifest['num_images']
    if split not in generated:
        raise KeyError(f'synthetic split "{split}" is not in "{root}"; '
                       'available splits: '
                       f'{", ".join(available_splits(root)) or "none"}')
    out = {}
    for subset, n in generated[split].items():
        if n == 0:
            continue
        npz = osp.join(root, split, f'{split}_{subset}.npz')
        json_file = osp.join(root, split, 'annotations',
                             f'person_keypoints_{subset}.json')
        out[subset] = dict(
            images=osp.join(root, split, 'images', subset),
            parts=osp.join(root, split, 'parts', subset),
            human_data=npz if osp.isfile(npz) else None,
            coco_json=json_file if osp.isfile(json_file) else None,
            num_images=n)
    return out

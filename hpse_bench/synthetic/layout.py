"""Where the files of a synthetic data root are, and whether a root is
complete (``docs/data_contract.md`` shows the tree).

Image and part-map names carry the request's digest
(``request.request_digest``): ``<split>/images/<subset>/<digest>_<index>.jpg``.
The generator is deterministic, so files change only when the request
does, and then their names change too: labels loaded from an older request
point to files that no longer exist instead of to other images.
"""
import json
import os
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Set

from hpse_bench.utils.fileio import file_sha256
from .request import SPLITS, request_digest

MANIFEST = 'MANIFEST.json'
# Names any request (of any format version) writes under a data root.
_GENERATED = re.compile(
    r'^(MANIFEST\.json'
    r'|[a-z0-9]+/(images|parts)/[a-z]+/([0-9a-f]{8}_)?\d{6}\.(jpg|png)'
    r'|coco/annotations/person_keypoints_[a-z]+\.json'
    r'|[a-z0-9]+/[a-z0-9]+_[a-z]+\.npz)$')


def image_file(split: str, subset: str, index: int, digest: str) -> str:
    """Path of an image relative to the data root."""
    return osp.join(split, 'images', subset, f'{digest}_{index:06d}.jpg')


def parts_file(split: str, subset: str, index: int, digest: str) -> str:
    """Path of an image's part map relative to the data root: a PNG whose
    first channel is the DensePose chart (1..24, 0 elsewhere) and second
    the person (1-based, the order of the image's annotations / HumanData
    rows, 0 elsewhere) seen at each pixel."""
    return osp.join(split, 'parts', subset, f'{digest}_{index:06d}.png')


def label_files(split: str, subset: str) -> List[str]:
    """Label files of one subset with images, relative to the data root:
    COCO JSON for ``coco`` (and HumanData with 2D keypoints for its train
    subset), HumanData for the 3D splits."""
    human_data = osp.join(split, f'{split}_{subset}.npz')
    if split != 'coco':
        return [human_data]
    files = [osp.join(split, 'annotations', f'person_keypoints_{subset}.json')]
    return files + [human_data] if subset == 'train' else files


def expected_files(num_images: Dict[str, Dict[str, int]],
                   digest: str) -> Set[str]:
    """Every file (relative path, ``MANIFEST.json`` aside) that a request
    for ``num_images`` (``resolve_num_images``) writes."""
    files = set()
    for split, sizes in num_images.items():
        for subset, n in sizes.items():
            if n <= 0:
                continue
            files.update(label_files(split, subset))
            for index in range(n):
                files.add(image_file(split, subset, index, digest))
                files.add(parts_file(split, subset, index, digest))
    return files


def files_on_disk(root: str) -> Set[str]:
    """Relative paths of the files under ``root``, ``MANIFEST.json``
    aside."""
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            found.add(osp.relpath(osp.join(folder, name), root))
    found.discard(MANIFEST)
    return found


def foreign_files(root: str) -> List[str]:
    """Files under ``root`` that no synthetic data request writes (a
    user's files, which regeneration must not delete)."""
    return sorted(
        f for f in files_on_disk(root)
        if not _GENERATED.match(f.replace(os.sep, '/')))


def _name_some(paths: Set[str], limit: int = 3) -> str:
    names = sorted(paths)
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


def check_synthetic_data(root: str,
                         request: Optional[Dict[str,
                                                Any]] = None) -> Optional[str]:
    """Why ``root`` is not a complete cache (None when it is).

    The manifest must be readable and consistent with its own request
    (``request_digest``); the files it lists and the files on disk must be
    exactly those the request implies (``expected_files``: no unlisted,
    missing or extra file), each with its recorded SHA-256.

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
        if request is not None:
            for key, value in request.items():
                if manifest.get(key) != value:
                    return (f'{path} records {key}={manifest.get(key)!r}, '
                            f'requested {value!r}')
        files = manifest['files']
        digest = manifest['request_digest']
        expected = expected_files(manifest['num_images'], digest)
        implied = request_digest(manifest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f'{path} is unreadable ({type(e).__name__}: {e})'
    if digest != implied:
        return (f'{path} records request_digest {digest!r}, but its request '
                f'gives {implied!r}')
    if set(files) != expected:
        wrong, absent = set(files) - expected, expected - set(files)
        return (f'{path} does not list the files its request implies' +
                (f'; lists {_name_some(wrong)}' if wrong else '') +
                (f'; lacks {_name_some(absent)}' if absent else ''))
    on_disk = files_on_disk(root)
    if on_disk - expected:
        return (f'{root} holds files not in {MANIFEST}: '
                f'{_name_some(on_disk - expected)}')
    if expected - on_disk:
        return (f'{root} lacks files listed in {MANIFEST}: '
                f'{_name_some(expected - on_disk)}')
    for name, sha in files.items():
        if file_sha256(osp.join(root, name)) != sha:
            return (f'{osp.join(root, name)} does not match its SHA-256 in '
                    f'{MANIFEST}')
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
        num_images=<int>, request_digest=<str>)}``; ``image_file`` and
        ``parts_file`` name the files with the digest.

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
            num_images=n,
            request_digest=manifest.get('request_digest'))
    return out

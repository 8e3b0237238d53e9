"""Create and verify the embedded synthetic data.

``ensure_synthetic_data`` is what ``tools/train.py``/``tools/test.py`` call
with a config's top-level ``synthetic_data`` dict::

    synthetic_data = dict(
        root='data/synthetic',
        num_images=dict(coco=1000, h36m=600, pw3d=150, mupots=60),
        seed=0)

It returns at once when ``root/MANIFEST.json`` matches the request and every
file listed in it has its recorded SHA-256; otherwise (missing, truncated or
corrupt files, another seed or size) it regenerates the whole tree, never
using a damaged cache. Several processes (ranks, parallel test workers) may
call it at once: generation happens under a file lock (``.<name>.lock``
beside ``root``), into a temporary folder beside ``root`` that is renamed
into place. A folder without ``MANIFEST.json`` is never replaced, nor one
holding files the generator does not write.

Image and part-map names carry the request's digest (``layout``): a root
regenerated for another request while a process reads it leaves that
process's labels pointing to files that no longer exist, never to other
images. The check compares the files on disk, and those the manifest lists,
with the exact set the request implies.

``request`` says what a request is (sizes, options), ``layout`` where its
files are, ``build`` how they are rendered. Single-person images are
256x256 by default, multi-person (mupots) images 320x320;
``benchmarks/bench_synthetic.py`` measures the generation speed. Besides the
files of ``docs/data_contract.md``, every image has a part map
``<split>/parts/<subset>/<index>.png`` (``parts_file``): the 24-chart
DensePose part segmentation of every person.
"""
import os
import os.path as osp
from typing import Any, Dict

from mmengine.logging import print_log

from hpse_bench.utils.fileio import locked_build
from .build import generate_synthetic_data, make_generator
from .layout import (MANIFEST, available_splits, check_synthetic_data,
                     expected_files, foreign_files, image_file, parts_file,
                     read_manifest, split_files)
from .request import (DEFAULT_NUM_IMAGES, DEFAULT_OPTIONS, FORMAT_VERSION,
                      MULTI_PERSON_SPLITS, SECONDARY_FRACTION, SPLITS,
                      NumImages, make_request, request_digest,
                      resolve_num_images, resolve_options)

# The names this module had before it was split.
_request = make_request

__all__ = [
    'ensure_synthetic_data', 'generate_synthetic_data', 'make_generator',
    'check_synthetic_data', 'available_splits', 'split_files', 'image_file',
    'parts_file', 'read_manifest', 'resolve_num_images', 'resolve_options',
    'make_request', 'request_digest', 'expected_files', 'foreign_files',
    'MANIFEST', 'DEFAULT_NUM_IMAGES', 'DEFAULT_OPTIONS', 'FORMAT_VERSION',
    'MULTI_PERSON_SPLITS', 'SECONDARY_FRACTION', 'SPLITS'
]


def ensure_synthetic_data(root: str = 'data/synthetic',
                          num_images: NumImages = None,
                          seed: int = 0,
                          workers: int = 1,
                          progress: bool = False,
                          force: bool = False,
                          **size_options: Any) -> str:
    """Create the synthetic data under ``root`` unless a valid copy exists.

    Args:
        root: data folder (``docs/data_contract.md`` shows its tree).
        num_images: images per split (see ``request``).
        seed: the data are a pure function of the seed and sizes: the same
            arguments give the same bytes, whatever ``workers``.
        workers: generator processes.
        progress: show a tqdm progress bar.
        force: regenerate even an intact copy.
        **size_options: ``DEFAULT_OPTIONS`` keys.

    Returns:
        ``root``.

    Raises:
        FileExistsError: ``root`` exists but is neither empty nor a
            synthetic data folder (it has no ``MANIFEST.json``), or it must
            be regenerated but holds files the generator does not write;
            those are never deleted.
        NotADirectoryError: a file stands where ``root`` or a folder above
            it should be.
        OSError: the lock file beside ``root`` cannot be created (the
            message names it).
    """
    request = make_request(num_images, seed, size_options)
    reason = 'forced' if force else check_synthetic_data(root, request)
    if reason is None:
        print_log(
            f'synthetic data in {root} match the request '
            f'({_count(request)} images, digest '
            f'{request_digest(request)}); reusing them',
            logger='current')
        return root
    _refuse_file_in_the_way(root)

    def refuse_foreign(folder: str) -> None:
        if not (osp.isfile(osp.join(folder, MANIFEST)) or
                (osp.isdir(folder) and not os.listdir(folder))):
            raise FileExistsError(
                f'"{folder}" exists and is not a synthetic data folder '
                f'(no {MANIFEST}); choose another root or remove it')
        foreign = foreign_files(folder)
        if foreign:
            more = (f' and {len(foreign) - 3} more'
                    if len(foreign) > 3 else '')
            raise FileExistsError(
                f'"{folder}" must be regenerated ({reason}) but holds files '
                f'the generator does not write: {", ".join(foreign[:3])}'
                f'{more}; move them out of it first')
        print_log(
            f'regenerating the synthetic data in {folder}: {reason}',
            logger='current')

    return locked_build(
        root,
        build=lambda tmp: generate_synthetic_data(
            tmp, request, workers, progress, target=root),
        is_valid=lambda folder: check_synthetic_data(folder, request) is None,
        what='synthetic data',
        before_swap=refuse_foreign,
        force=force)


def _count(request: Dict[str, Any]) -> int:
    return sum(sum(sizes.values()) for sizes in request['num_images'].values())


def _refuse_file_in_the_way(root: str) -> None:
    """A clear error when ``root`` or a folder above it is a file (the
    lock file and the folder could not be created)."""
    path = osp.abspath(root)
    while not osp.exists(path) and osp.dirname(path) != path:
        path = osp.dirname(path)
    if osp.exists(path) and not osp.isdir(path):
        raise NotADirectoryError(
            f'cannot create the synthetic data in "{root}": "{path}" is a '
            'file, not a folder')

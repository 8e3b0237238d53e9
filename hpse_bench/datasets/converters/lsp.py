"""Leeds Sports Pose (LSP, LSP-extended) ``joints.mat`` -> COCO-style JSON.

Johnson and Everingham, BMVC 2010 (LSP: 2000 images, the first 1000 for
training, the last 1000 for testing) and CVPR 2011 (LSP-extended, "lspet":
10000 training images). Each image shows one person with the 14 joints of
``conventions.LSP_14``.

The two releases store ``joints.mat`` differently:

- LSP: ``joints`` is ``(3, 14, 2000)``: ``x, y`` and a flag that is 1 for
  an *occluded* joint (its README calls the row "visibility"; the joints it
  marks are the hidden ones, and readers such as HMR's invert it);
- LSP-extended: ``joints`` is ``(14, 3, 10000)``: ``x, y`` and a flag that
  is 1 for a *visible* joint.

Both are 1-based MATLAB pixel coordinates; the JSON holds 0-based
pixel-index coordinates (mmpose's and OpenCV's), i.e. ``x - 1, y - 1``.
LSP labels every joint, occluded ones included, so a joint inside the image
is labelled: COCO visibility 2 (visible) or 1 (occluded); a joint outside
the image (LSP-extended marks some) gets visibility 0 and ``x = y = 0``.
The person box is the tight box of the labelled joints (top-down pipelines
add their own padding, mmpose's ``GetBBoxCenterScale`` 1.25).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import scipy.io

from hpse_bench.structures.conventions import LSP14_PARENTS, LSP_14
from hpse_bench.utils.fileio import write_json

#: Images of each release and their split, as ``(first, stop)`` 0-based
#: index ranges into ``joints.mat``; image ``i`` is ``im{i + 1:0Nd}.jpg``.
LSP_SPLITS: Dict[str, Dict[str, Tuple[int, int]]] = {
    'lsp': dict(train=(0, 1000), test=(1000, 2000)),
    'lspet': dict(train=(0, 10000)),
}
_NAME_DIGITS = dict(lsp=4, lspet=5)
_NUM_JOINTS = len(LSP_14)


def read_lsp_joints(
        mat_path: str,
        visibility: str = 'auto') -> Tuple[np.ndarray, np.ndarray, str]:
    """Read a LSP or LSP-extended ``joints.mat``.

    Args:
        mat_path: the ``joints.mat`` file.
        visibility: how to read the third value: ``'occluded'`` (1 means
            occluded, LSP), ``'visible'`` (1 means visible, LSP-extended) or
            ``'auto'`` (by the array layout, see the module docstring).

    Returns:
        ``(xy, visible, release)``: ``(N, 14, 2)`` float64 0-based pixel
        coordinates, ``(N, 14)`` bool, and ``'lsp'`` or ``'lspet'`` (the
        layout found).

    Raises:
        FileNotFoundError: no such file.
        ValueError: no ``joints`` array, a layout of neither release, or
            non-finite coordinates.
    """
    if visibility not in ('auto', 'occluded', 'visible'):
        raise ValueError("visibility must be 'auto', 'occluded' or "
                         f"'visible', got {visibility!r}")
    if not osp.isfile(mat_path):
        raise FileNotFoundError(f'LSP joints file not found: {mat_path}')
    data = scipy.io.loadmat(mat_path)
    if 'joints' not in data:
        keys = sorted(k for k in data if not k.startswith('__'))
        raise ValueError(f'{mat_path}: no "joints" array (found {keys}); '
                         'expected the joints.mat of LSP or LSP-extended')
    joints = np.asarray(data['joints'], dtype=np.float64)
    if joints.ndim == 3 and joints.shape[:2] == (3, _NUM_JOINTS):
        release = 'lsp'
        xy = joints[:2].transpose(2, 1, 0)
        flag = joints[2].T
    elif joints.ndim == 3 and joints.shape[:2] == (_NUM_JOINTS, 3):
        release = 'lspet'
        xy = joints[:, :2].transpose(2, 0, 1)
        flag = joints[:, 2].T
    else:
        raise ValueError(
            f'{mat_path}: joints has shape {joints.shape}; LSP stores '
            f'(3, {_NUM_JOINTS}, N) and LSP-extended ({_NUM_JOINTS}, 3, N)')
    if not np.isfinite(xy).all():
        bad = np.unique(np.nonzero(~np.isfinite(xy))[0])
        raise ValueError(f'{mat_path}: non-finite joint coordinates in '
                         f'images {[int(i) + 1 for i in bad[:10]]}')
    if visibility == 'auto':
        visibility = 'occluded' if release == 'lsp' else 'visible'
    visible = flag < 0.5 if visibility == 'occluded' else flag >= 0.5
    return xy - 1.0, visible, release


def lsp_coco_annotations(
        xy: np.ndarray,
        visible: np.ndarray,
        image_sizes: Sequence[Tuple[int, int]],
        file_names: Sequence[str],
        first_image_id: int = 1) -> Tuple[List[dict], List[dict], int]:
    """COCO ``images`` and ``annotations`` entries, one person per image.

    Args:
        xy: ``(N, 14, 2)`` 0-based pixel coordinates.
        visible: ``(N, 14)`` bool.
        image_sizes: ``N`` ``(width, height)``.
        file_names: ``N`` file names (relative to the image folder).
        first_image_id: id of the first image (and annotation).

    Returns:
        ``(images, annotations, skipped)``; a person without any joint
        inside its image is left out and counted in ``skipped``.
    """
    images, annotations, skipped = [], [], 0
    for i, (name, (width, height)) in enumerate(zip(file_names, image_sizes)):
        image_id = first_image_id + i
        images.append(
            dict(id=image_id,
                 file_name=name,
                 width=int(width),
                 height=int(height)))
        pts = xy[i]
        inside = ((pts[:, 0] >= 0) & (pts[:, 0] <= width - 1) &
                  (pts[:, 1] >= 0) & (pts[:, 1] <= height - 1))
        if not inside.any():
            skipped += 1
            continue
        vis = np.where(inside, np.where(visible[i], 2, 1), 0)
        kpts = np.where(inside[:, None], pts, 0.0)
        x0, y0 = pts[inside].min(axis=0)
        x1, y1 = pts[inside].max(axis=0)
        keypoints = []
        for (x, y), v in zip(kpts, vis):
            keypoints += [round(float(x), 2), round(float(y), 2), int(v)]
        annotations.append(
            dict(id=image_id,
                 image_id=image_id,
                 category_id=1,
                 iscrowd=0,
                 bbox=[
                     round(float(x0), 2),
                     round(float(y0), 2),
                     round(float(x1 - x0), 2),
                     round(float(y1 - y0), 2)
                 ],
                 area=round(float((x1 - x0) * (y1 - y0)), 2),
                 num_keypoints=int(inside.sum()),
                 keypoints=keypoints))
    return images, annotations, skipped


def _image_size(path: str) -> Tuple[int, int]:
    from PIL import Image
    with Image.open(path) as img:
        return img.size


def _link_images(src: str, dst: str) -> None:
    """Make ``dst`` a symlink to the release's image folder (kept if it is
    one already or holds the images)."""
    if osp.lexists(dst):
        if osp.isdir(dst):
            return
        raise FileExistsError(f'{dst} exists and is not an image folder')
    os.makedirs(osp.dirname(dst), exist_ok=True)
    os.symlink(osp.abspath(src), dst, target_is_directory=True)


def lsp_categories() -> List[dict]:
    """COCO ``categories`` entry of LSP-14 (1-based skeleton, as COCO)."""
    skeleton = [[parent + 1, child + 1]
                for child, parent in enumerate(LSP14_PARENTS) if parent >= 0]
    return [
        dict(id=1,
             name='person',
             supercategory='person',
             keypoints=list(LSP_14),
             skeleton=skeleton)
    ]


#: One split's COCO lists so far: ``(images, annotations, skipped)``.
_SplitEntries = Tuple[List[dict], List[dict], int]


def _release_joints(release: str, root: str,
                    visibility: str) -> Tuple[np.ndarray, np.ndarray]:
    """Joints of one release folder, refusing the other release's layout.

    Args:
        release: ``'lsp'`` or ``'lspet'``, the release the folder was given
            as.
        root: the release folder (holding ``joints.mat``).
        visibility: see :func:`read_lsp_joints`.

    Returns:
        ``(xy, visible)`` as :func:`read_lsp_joints` returns them.

    Raises:
        ValueError: the folder holds the other release's layout.
    """
    xy, visible, found = read_lsp_joints(osp.join(root, 'joints.mat'),
                                         visibility)
    # A folder given as the other release would take that release's splits
    # and image names (LSP-extended images in LSP's test split).
    if found != release:
        raise ValueError(
            f'{root}/joints.mat has the {found} layout; pass it as the '
            f'{"LSP" if found == "lsp" else "LSP-extended"} folder')
    return xy, visible


def _release_images(release: str, image_dir: str, start: int,
                    stop: int) -> Tuple[List[str], List[Tuple[int, int]]]:
    """File names and sizes of images ``start..stop-1`` of a release.

    Args:
        release: ``'lsp'`` or ``'lspet'`` (sets the digits of the names).
        image_dir: the release's ``images`` folder.
        start: first 0-based index into ``joints.mat``.
        stop: one past the last index.

    Returns:
        ``(names, sizes)``: ``<release>/im<i>.jpg`` names (relative to
        ``out_dir/images``) and ``(width, height)`` per image.

    Raises:
        FileNotFoundError: an image is missing (named with its index).
    """
    names, sizes = [], []
    for i in range(start, stop):
        name = f'im{i + 1:0{_NAME_DIGITS[release]}d}.jpg'
        path = osp.join(image_dir, name)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{release} image {i + 1} of joints.mat not found: {path}')
        names.append(f'{release}/{name}')
        sizes.append(_image_size(path))
    return names, sizes


def _collect_release(collected: Dict[str, _SplitEntries], release: str,
                     root: str, visibility: str,
                     ranges: Dict[str, Tuple[int, int]]) -> None:
    """Append one release's images and people to each of its splits.

    Image ids continue those already in ``collected``, so that LSP and
    LSP-extended share one training split with unique ids.

    Args:
        collected: split -> entries so far; updated in place.
        release: ``'lsp'`` or ``'lspet'``.
        root: the release folder.
        visibility: see :func:`read_lsp_joints`.
        ranges: split -> ``(first, stop)`` index range of this release.
    """
    xy, visible = _release_joints(release, root, visibility)
    image_dir = osp.join(root, 'images')
    for split, (start, stop) in ranges.items():
        # A release with fewer images than the range (a subset) is cut.
        stop = min(stop, len(xy))
        if start >= stop:
            continue
        names, sizes = _release_images(release, image_dir, start, stop)
        images, anns, skipped = collected.get(split, ([], [], 0))
        new_images, new_anns, new_skipped = lsp_coco_annotations(
            xy[start:stop], visible[start:stop], sizes, names,
            len(images) + 1)
        collected[split] = (images + new_images, anns + new_anns,
                            skipped + new_skipped)


def _write_split(out_dir: str, split: str, entries: _SplitEntries,
                 visibility: str) -> dict:
    """Write ``annotations/lsp_<split>.json`` under ``out_dir``.

    Args:
        out_dir: output root.
        split: split name.
        entries: the split's ``(images, annotations, skipped)``.
        visibility: how the flags were read, recorded in ``info``.

    Returns:
        ``dict(path=..., images=N, people=M, skipped=K)``.
    """
    images, anns, skipped = entries
    path = osp.join(out_dir, 'annotations', f'lsp_{split}.json')
    info = dict(description='Leeds Sports Pose, 14 joints (hpse_bench '
                'tools/data/convert_lsp.py)',
                visibility=visibility)
    content = dict(info=info,
                   images=images,
                   annotations=anns,
                   categories=lsp_categories())
    # Compact and in COCO's key order: the training file holds 11000 images
    # with LSP-extended, and indenting puts every keypoint value on a line
    # of its own.
    write_json(path, content, indent=None, sort_keys=False)
    return dict(path=path,
                images=len(images),
                people=len(anns),
                skipped=skipped)


def convert_lsp(
    lsp_root: Optional[str],
    out_dir: str,
    lspet_root: Optional[str] = None,
    visibility: str = 'auto',
    link_images: bool = True,
    splits: Optional[Dict[str, Dict[str, Tuple[int, int]]]] = None
) -> Dict[str, dict]:
    """Write ``annotations/lsp_{train,test}.json`` under ``out_dir``.

    Args:
        lsp_root: LSP release folder (``joints.mat``, ``images/im0001.jpg``
            ...), or None.
        out_dir: output root (``data/lsp``); images are referenced as
            ``<release>/<file>`` relative to ``out_dir/images``.
        lspet_root: LSP-extended release folder, whose 10000 images are
            added to the training split, or None.
        visibility: how to read the flags (:func:`read_lsp_joints`); with
            ``'auto'`` each release uses its own meaning.
        link_images: symlink ``out_dir/images/<release>`` to each release's
            ``images`` folder.
        splits: index ranges per release and split; default
            :data:`LSP_SPLITS` (the releases' own splits).

    Returns:
        ``{split: dict(path=..., images=N, people=M, skipped=K)}``.

    Raises:
        FileNotFoundError: a joints file or an image is missing (named).
        ValueError: a malformed joints file, or neither root given.
    """
    if not lsp_root and not lspet_root:
        raise ValueError('give the LSP folder, the LSP-extended folder or '
                         'both')
    ranges = LSP_SPLITS if splits is None else splits
    collected: Dict[str, _SplitEntries] = {}
    for release, root in (('lsp', lsp_root), ('lspet', lspet_root)):
        if not root:
            continue
        _collect_release(collected, release, root, visibility,
                         ranges.get(release, {}))
        if link_images:
            _link_images(osp.join(root, 'images'),
                         osp.join(out_dir, 'images', release))

    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    return {
        split: _write_split(out_dir, split, entries, visibility)
        for split, entries in collected.items()
    }

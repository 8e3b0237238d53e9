"""Create, verify and locate the embedded synthetic data.

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
into place. A folder without ``MANIFEST.json`` is never replaced.

``num_images`` per split is the size of its first subset; the second subset
is a fixed fraction of it (``SECONDARY_FRACTION``: coco val = train / 5,
h36m test = train / 4), or both are given as ``dict(train=..., val=...)``.
A split left out of a ``num_images`` dict (or given 0) is not generated;
``num_images=None`` means ``DEFAULT_NUM_IMAGES`` (all splits).

Defaults and their cost: single-person images are 256x256, multi-person
(mupots) images 320x320. The default sizes (coco 1000 train + 200 val, h36m
600 train + 150 test, pw3d 150, mupots 60: 2160 images, 46 MB) cost about
52 s of CPU time (24 ms per image); on a 2-core x86_64 machine,
shared with other jobs, they took 39 s with ``workers=2`` and 55 s with
``workers=1`` (``benchmarks/bench_synthetic.py`` measures the per-crop
rate). Besides the files of ``docs/data_contract.md``, every image has a
part map ``<split>/parts/<subset>/<index>.png`` (``parts_file``): the
24-chart DensePose part segmentation of every person.

``size_options`` (recorded in the manifest): ``image_size`` (single-person
image side, or ``(H, W)``), ``multi_person_image_size``, ``dp_points``
(DensePose points per person), ``jpeg_quality`` and ``smpl_root``.
"""
import hashlib
import json
import multiprocessing
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

from hpse_bench.datasets.human_data import (human_data_keypoints,
                                            write_human_data)
from hpse_bench.utils.fileio import file_sha256, locked_build
from .generator import GROUP_SIZE, SPLIT_SUBSETS, SyntheticHumanGenerator
from .writers import write_coco_json

#: Bump when the generator's output changes, so old caches are rebuilt.
FORMAT_VERSION = 1
MANIFEST = 'MANIFEST.json'
SPLITS: Tuple[str, ...] = tuple(SPLIT_SUBSETS)
DEFAULT_NUM_IMAGES: Dict[str, Dict[str, int]] = {
    'coco': dict(train=1000, val=200),
    'h36m': dict(train=600, test=150),
    'pw3d': dict(test=150),
    'mupots': dict(test=60),
}
#: Size of the second subset relative to the first.
SECONDARY_FRACTION: Dict[str, float] = {'coco': 0.2, 'h36m': 0.25}
DEFAULT_OPTIONS: Dict[str, Any] = dict(
    image_size=256,
    multi_person_image_size=320,
    dp_points=100,
    jpeg_quality=92,
    smpl_root='embedded')
#: Splits of several people per image.
MULTI_PERSON_SPLITS = ('mupots', )

NumImages = Union[None, int, Dict[str, Union[int, Dict[str, int]]]]


def resolve_num_images(num_images: NumImages) -> Dict[str, Dict[str, int]]:
    """Images per split and subset, e.g. ``{'coco': {'train': 1000, 'val':
    200}, ...}``; splits with no images are left out.

    Raises:
        KeyError: a split or subset that does not exist (the message names
            the ones that do).
    """
    if num_images is None:
        return {k: dict(v) for k, v in DEFAULT_NUM_IMAGES.items()}
    if isinstance(num_images, (int, np.integer)):
        num_images = {split: int(num_images) for split in SPLITS}
    if not isinstance(num_images, dict):
        raise TypeError('num_images must be None, an int or a dict of '
                        f'splits, got {type(num_images).__name__}')
    unknown = sorted(set(num_images) - set(SPLITS))
    if unknown:
        raise KeyError(f'unknown synthetic split(s) {", ".join(unknown)}; '
                       f'the splits are {", ".join(SPLITS)}')
    out = {}
    for split in SPLITS:
        if split not in num_images:
            continue
        value = num_images[split]
        subsets = SPLIT_SUBSETS[split]
        if isinstance(value, dict):
            bad = sorted(set(value) - set(subsets))
            if bad:
                raise KeyError(f'synthetic split "{split}" has subsets '
                               f'{", ".join(subsets)}, not {", ".join(bad)}')
            sizes = {s: int(value.get(s, 0)) for s in subsets}
        else:
            n = int(value)
            sizes = {subsets[0]: n}
            if len(subsets) > 1:
                sizes[subsets[1]] = (
                    max(1, int(round(n * SECONDARY_FRACTION[split])))
                    if n > 0 else 0)
        if any(v < 0 for v in sizes.values()):
            raise ValueError(f'negative image count for "{split}": {sizes}')
        if sum(sizes.values()) > 0:
            out[split] = sizes
    return out


def _resolve_options(size_options: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(size_options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise TypeError(f'unknown synthetic data option(s) '
                        f'{", ".join(unknown)}; known: '
                        f'{", ".join(sorted(DEFAULT_OPTIONS))}')
    options = dict(DEFAULT_OPTIONS, **size_options)
    for key in ('image_size', 'multi_person_image_size'):
        size = options[key]
        size = (size, size) if isinstance(size, (int, np.integer)) else size
        options[key] = [int(size[0]), int(size[1])]
    return options


def _body_model_digest(smpl_root: str) -> str:
    """SHA-256 over the body model files that shape the data."""
    from hpse_bench.body_models import get_smpl_root, smpl_model_file
    root = get_smpl_root(smpl_root)
    digest = hashlib.sha256()
    for path in (smpl_model_file(root), osp.join(root,
                                                 'J_regressor_h36m.npy'),
                 osp.join(root, 'densepose_uv.npz')):
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def _request(num_images: NumImages, seed: int,
             size_options: Dict[str, Any]) -> Dict[str, Any]:
    options = _resolve_options(size_options)
    return {
        'format_version': FORMAT_VERSION,
        'seed': int(seed),
        'num_images': resolve_num_images(num_images),
        'options': options,
        'body_model_sha256': _body_model_digest(options['smpl_root']),
    }


def check_synthetic_data(root: str,
                         request: Optional[Dict[str, Any]] = None
                         ) -> Optional[str]:
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
        num_images: images per split (see the module docstring).
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
            synthetic data folder (it has no ``MANIFEST.json``); it is never
            deleted.
    """
    request = _request(num_images, seed, size_options)
    reason = 'forced' if force else check_synthetic_data(root, request)
    if reason is None:
        return root

    def refuse_foreign(folder: str) -> None:
        if not (osp.isfile(osp.join(folder, MANIFEST)) or
                (osp.isdir(folder) and not os.listdir(folder))):
            raise FileExistsError(
                f'"{folder}" exists and is not a synthetic data folder '
                f'(no {MANIFEST}); choose another root or remove it')
        print_log(
            f'regenerating the synthetic data in {folder}: {reason}',
            logger='current')

    return locked_build(
        root,
        build=lambda tmp: generate_synthetic_data(tmp, request, workers,
                                                  progress),
        is_valid=lambda folder: check_synthetic_data(folder, request) is None,
        what='synthetic data',
        before_swap=refuse_foreign,
        force=force)


def _read_manifest(root: str) -> Dict[str, Any]:
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
    generated = _read_manifest(root)['num_images']
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
    manifest = _read_manifest(root)
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


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------
_WORKER: Dict[str, Any] = {}


def make_generator(**size_options: Any) -> SyntheticHumanGenerator:
    """The generator ``ensure_synthetic_data`` uses for these options
    (``DEFAULT_OPTIONS`` keys), e.g. to re-render an image in memory."""
    options = _resolve_options(size_options)
    sizes = {
        split: tuple(options['multi_person_image_size']
                     if split in MULTI_PERSON_SPLITS else
                     options['image_size'])
        for split in SPLITS
    }
    return SyntheticHumanGenerator(
        smpl_root=options['smpl_root'],
        dp_points=options['dp_points'],
        image_sizes=sizes,
        jpeg_quality=options['jpeg_quality'])


def _init_worker(options: Dict[str, Any], out_dir: str, seed: int) -> None:
    # One thread per process: the work is split across processes, and
    # float results must not depend on the thread count.
    torch.set_num_threads(1)
    _WORKER['generator'] = make_generator(**options)
    _WORKER['out_dir'] = out_dir
    _WORKER['seed'] = seed


def image_file(split: str, subset: str, index: int) -> str:
    """Path of an image relative to the data root."""
    return osp.join(split, 'images', subset, f'{index:06d}.jpg')


def parts_file(split: str, subset: str, index: int) -> str:
    """Path of an image's part map relative to the data root: a PNG whose
    first channel is the DensePose chart (1..24, 0 elsewhere) and second
    the person (1-based, the order of the image's annotations / HumanData
    rows, 0 elsewhere) seen at each pixel."""
    return osp.join(split, 'parts', subset, f'{index:06d}.png')


def _make_group(item: Tuple[str, str, int, int]) -> List[Dict[str, Any]]:
    """Render a group of images, write their JPEGs, return their labels."""
    split, subset, start, stop = item
    gen: SyntheticHumanGenerator = _WORKER['generator']
    results = gen.generate_group(split, subset, start, range(start, stop),
                                 seed=_WORKER['seed'])
    records = []
    for index, result in zip(range(start, stop), results):
        rel = image_file(split, subset, index)
        with open(osp.join(_WORKER['out_dir'], rel), 'wb') as f:
            f.write(gen.encode_jpeg(result.image))
        with open(osp.join(_WORKER['out_dir'],
                           parts_file(split, subset, index)), 'wb') as f:
            f.write(gen.encode_part_png(result))
        people = []
        for p in result.people:
            person = dict(
                bbox=p.bbox,
                area=p.area,
                keypoints=p.keypoints,
                smpl=p.smpl,
                keypoints3d=p.keypoints3d,
                keypoints2d=p.keypoints2d)
            if split == 'coco':
                person.update(
                    segmentation=p.segmentation, densepose=p.densepose)
            people.append(person)
        height, width = result.image.shape[:2]
        records.append(
            dict(
                split=split,
                subset=subset,
                index=index,
                height=height,
                width=width,
                focal_length=result.camera.focal_length,
                principal_point=np.asarray(result.camera.principal_point),
                people=people))
    return records


def _map(groups: List[Tuple[str, str, int, int]], options: Dict[str, Any],
         out_dir: str, seed: int, workers: int,
         progress: bool) -> Iterable[Dict[str, Any]]:
    """Render the groups (in order), in this process or in a pool."""
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(
            total=sum(stop - start for _, _, start, stop in groups),
            desc='synthetic data',
            unit='img')
    if workers <= 1:
        threads = torch.get_num_threads()
        try:
            _init_worker(options, out_dir, seed)
            for records in map(_make_group, groups):
                yield from records
                if bar is not None:
                    bar.update(len(records))
        finally:
            torch.set_num_threads(threads)
            _WORKER.clear()
    else:
        method = 'fork' if 'fork' in multiprocessing.get_all_start_methods(
        ) else 'spawn'
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(workers, _init_worker,
                      (options, out_dir, seed)) as pool:
            for records in pool.imap(_make_group, groups):
                yield from records
                if bar is not None:
                    bar.update(len(records))
    if bar is not None:
        bar.close()


def generate_synthetic_data(out_dir: str, request: Dict[str, Any],
                            workers: int = 1,
                            progress: bool = False) -> None:
    """Write the data tree and ``MANIFEST.json`` into ``out_dir``.

    Args:
        out_dir: an empty folder.
        request: from ``_request`` (seed, sizes, options, versions).
        workers: generator processes.
        progress: show a tqdm bar.
    """
    seed = request['seed']
    # Work comes in the generator's fixed groups of consecutive images.
    groups = []
    for split, sizes in request['num_images'].items():
        for subset, n in sizes.items():
            if n > 0:
                for kind in ('images', 'parts'):
                    os.makedirs(osp.join(out_dir, split, kind, subset),
                                exist_ok=True)
            groups += [(split, subset, start, min(start + GROUP_SIZE, n))
                       for start in range(0, n, GROUP_SIZE)]
    records: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    for record in _map(groups, request['options'], out_dir, seed, workers,
                       progress):
        records.setdefault((record['split'], record['subset']),
                           []).append(record)
    for (split, subset), recs in records.items():
        if split == 'coco':
            _write_coco(out_dir, subset, recs)
            if subset == 'train':
                _write_human_data(out_dir, split, subset, recs, seed,
                                  with_3d=False)
        else:
            _write_human_data(out_dir, split, subset, recs, seed,
                              with_3d=True)
    files = {}
    for folder, _, names in sorted(os.walk(out_dir)):
        for n in sorted(names):
            path = osp.join(folder, n)
            files[osp.relpath(path, out_dir)] = file_sha256(path)
    manifest = dict(request, files=dict(sorted(files.items())))
    with open(osp.join(out_dir, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


def _round(values: np.ndarray, digits: int) -> List[float]:
    return [round(float(v), digits) for v in np.asarray(values).reshape(-1)]


def _write_coco(out_dir: str, subset: str,
                records: List[Dict[str, Any]]) -> None:
    images, annotations = [], []
    for rec in records:
        image_id = rec['index'] + 1
        images.append(
            dict(
                id=image_id,
                file_name=osp.basename(
                    image_file('coco', subset, rec['index'])),
                width=rec['width'],
                height=rec['height']))
        for p in rec['people']:
            kp = p['keypoints']
            dp = p['densepose']
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=1,
                    iscrowd=0,
                    area=float(p['area']),
                    bbox=_round(p['bbox'], 2),
                    segmentation=p['segmentation'],
                    num_keypoints=int((kp[:, 2] > 0).sum()),
                    keypoints=[
                        v for x, y, vis in kp
                        for v in (round(float(x), 3), round(float(y), 3),
                                  int(vis))
                    ],
                    dp_x=_round(dp['dp_x'], 3),
                    dp_y=_round(dp['dp_y'], 3),
                    dp_I=_round(dp['dp_I'], 1),
                    dp_U=_round(dp['dp_U'], 5),
                    dp_V=_round(dp['dp_V'], 5),
                    dp_masks=dp['dp_masks']))
    os.makedirs(osp.join(out_dir, 'coco', 'annotations'), exist_ok=True)
    write_coco_json(
        osp.join(out_dir, 'coco', 'annotations',
                 f'person_keypoints_{subset}.json'), images, annotations,
        f'hpse_bench synthetic COCO-like people, {subset}')


def _write_human_data(out_dir: str, split: str, subset: str,
                      records: List[Dict[str, Any]], seed: int,
                      with_3d: bool) -> None:
    rows = [(rec, p) for rec in records for p in rec['people']]
    n = len(rows)
    image_path = [
        osp.relpath(image_file(split, subset, rec['index']), split)
        for rec, _ in rows
    ]
    image_id = [rec['index'] + 1 for rec, _ in rows]
    bbox = np.stack([p['bbox'] for _, p in rows])
    if with_3d:
        names = ('smpl_24', 'coco_17', 'h36m_17')
        kp2d = {k: np.stack([p['keypoints2d'][k] for _, p in rows])
                for k in names}
        kp3d = {k: np.stack([p['keypoints3d'][k] for _, p in rows])
                for k in names}
        ones = {k: np.ones(v.shape[:2]) for k, v in kp2d.items()}
        keypoints2d, mask2d = human_data_keypoints(kp2d, ones, 2)
        keypoints3d, mask3d = human_data_keypoints(kp3d, ones, 3)
        smpl = {
            k: np.stack([p['smpl'][k] for _, p in rows])
            for k in ('global_orient', 'body_pose', 'betas', 'transl')
        }
        write_human_data(
            osp.join(out_dir, split, f'{split}_{subset}.npz'),
            image_path,
            image_id,
            bbox,
            keypoints2d,
            mask2d,
            config=split,
            keypoints3d=keypoints3d,
            keypoints3d_mask=mask3d,
            smpl=smpl,
            focal_length=np.stack([np.full(2, rec['focal_length'])
                                   for rec, _ in rows]),
            principal_point=np.stack(
                [rec['principal_point'] for rec, _ in rows]),
            # COCO visibility (0 out of frame, 1 hidden, 2 visible) of
            # the COCO-17 keypoints, for occlusion-aware analyses.
            meta=dict(
                gender=['neutral'] * n,
                coco_visibility=np.stack(
                    [p['keypoints'][:, 2] for _, p in rows]).astype(np.uint8),
                seed=seed,
                source='hpse_bench synthetic'))
    else:
        coco = np.stack([p['keypoints'] for _, p in rows])
        keypoints2d, mask2d = human_data_keypoints(
            {'coco_17': coco[..., :2]}, {'coco_17': coco[..., 2] > 0}, 2)
        write_human_data(
            osp.join(out_dir, split, f'{split}_{subset}.npz'),
            image_path,
            image_id,
            bbox,
            keypoints2d,
            mask2d,
            config=split,
            meta=dict(seed=seed, source='hpse_bench synthetic'))

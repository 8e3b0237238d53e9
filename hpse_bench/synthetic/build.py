"""Render a synthetic data request into a folder: images, part maps, label
files and ``MANIFEST.json``, in this process or a pool of processes."""
import json
import multiprocessing
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Tuple

import numpy as np
import torch

from hpse_bench.utils.fileio import file_sha256
from .generator import GROUP_SIZE, SyntheticHumanGenerator
from .label_files import write_split_coco, write_split_human_data
from .layout import MANIFEST, image_file, parts_file
from .request import MULTI_PERSON_SPLITS, SPLITS, resolve_options

_WORKER: Dict[str, Any] = {}


def make_generator(**size_options: Any) -> SyntheticHumanGenerator:
    """The generator ``ensure_synthetic_data`` uses for these options
    (``DEFAULT_OPTIONS`` keys), e.g. to re-render an image in memory."""
    options = resolve_options(size_options)
    sizes = {
        split:
        tuple(options['multi_person_image_size'] if split in
              MULTI_PERSON_SPLITS else options['image_size'])
        for split in SPLITS
    }
    return SyntheticHumanGenerator(
        smpl_root=options['smpl_root'],
        dp_points=options['dp_points'],
        image_sizes=sizes,
        jpeg_quality=options['jpeg_quality'],
        appearance=options['appearance'],
        facing=options['facing'])


def _init_worker(options: Dict[str, Any], out_dir: str, seed: int) -> None:
    # One thread per process: the work is split across processes, and
    # float results must not depend on the thread count.
    torch.set_num_threads(1)
    _WORKER['generator'] = make_generator(**options)
    _WORKER['out_dir'] = out_dir
    _WORKER['seed'] = seed


def _make_group(item: Tuple[str, str, int, int]) -> List[Dict[str, Any]]:
    """Render a group of images, write their JPEGs, return their labels."""
    split, subset, start, stop = item
    gen: SyntheticHumanGenerator = _WORKER['generator']
    results = gen.generate_group(
        split, subset, start, range(start, stop), seed=_WORKER['seed'])
    records = []
    for index, result in zip(range(start, stop), results):
        rel = image_file(split, subset, index)
        with open(osp.join(_WORKER['out_dir'], rel), 'wb') as f:
            f.write(gen.encode_jpeg(result.image))
        with open(
                osp.join(_WORKER['out_dir'], parts_file(split, subset, index)),
                'wb') as f:
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


def _map(groups: List[Tuple[str, str, int,
                            int]], options: Dict[str, Any], out_dir: str,
         seed: int, workers: int, progress: bool) -> Iterable[Dict[str, Any]]:
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
        with ctx.Pool(workers, _init_worker, (options, out_dir, seed)) as pool:
            for records in pool.imap(_make_group, groups):
                yield from records
                if bar is not None:
                    bar.update(len(records))
    if bar is not None:
        bar.close()


def generate_synthetic_data(out_dir: str,
                            request: Dict[str, Any],
                            workers: int = 1,
                            progress: bool = False) -> None:
    """Write the data tree and ``MANIFEST.json`` into ``out_dir``.

    Args:
        out_dir: an empty folder.
        request: from ``make_request`` (seed, sizes, options, versions).
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
                    os.makedirs(
                        osp.join(out_dir, split, kind, subset), exist_ok=True)
            groups += [(split, subset, start, min(start + GROUP_SIZE, n))
                       for start in range(0, n, GROUP_SIZE)]
    records: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    for record in _map(groups, request['options'], out_dir, seed, workers,
                       progress):
        records.setdefault((record['split'], record['subset']),
                           []).append(record)
    for (split, subset), recs in records.items():
        if split == 'coco':
            write_split_coco(out_dir, subset, recs)
            if subset == 'train':
                write_split_human_data(
                    out_dir, split, subset, recs, seed, with_3d=False)
        else:
            write_split_human_data(
                out_dir, split, subset, recs, seed, with_3d=True)
    files = {}
    for folder, _, names in sorted(os.walk(out_dir)):
        for n in sorted(names):
            path = osp.join(folder, n)
            files[osp.relpath(path, out_dir)] = file_sha256(path)
    manifest = dict(request, files=dict(sorted(files.items())))
    with open(osp.join(out_dir, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')

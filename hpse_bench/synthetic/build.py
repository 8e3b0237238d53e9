"""Render a synthetic data request into a folder: images, part maps, label
files and ``MANIFEST.json``, in this process or a pool of processes.

Generation logs through MMEngine's current logger (``print_log``) what it
makes and where, then every ``PROGRESS_EVERY_S`` seconds the images done,
the rate and the time left, so that a first training run does not sit
silent while its data are made.
"""
import json
import multiprocessing
import os
import os.path as osp
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

from hpse_bench.utils.fileio import file_sha256
from .generator import GROUP_SIZE, SyntheticHumanGenerator
from .label_files import write_split_coco, write_split_human_data
from .layout import MANIFEST, image_file, parts_file
from .request import (MULTI_PERSON_SPLITS, SPLITS, request_digest,
                      resolve_options)

#: Seconds between progress lines in the log.
PROGRESS_EVERY_S = 10.0

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


def _init_worker(options: Dict[str, Any], out_dir: str, seed: int,
                 digest: str) -> None:
    # One thread per process: the work is split across processes, and
    # float results must not depend on the thread count.
    torch.set_num_threads(1)
    _WORKER['generator'] = make_generator(**options)
    _WORKER['out_dir'] = out_dir
    _WORKER['seed'] = seed
    _WORKER['digest'] = digest


def _make_group(item: Tuple[str, str, int, int]) -> List[Dict[str, Any]]:
    """Render a group of images, write their JPEGs and part maps, return
    their labels."""
    split, subset, start, stop = item
    gen: SyntheticHumanGenerator = _WORKER['generator']
    digest = _WORKER['digest']
    results = gen.generate_group(
        split, subset, start, range(start, stop), seed=_WORKER['seed'])
    records = []
    for index, result in zip(range(start, stop), results):
        rel = image_file(split, subset, index, digest)
        with open(osp.join(_WORKER['out_dir'], rel), 'wb') as f:
            f.write(gen.encode_jpeg(result.image))
        part_map = parts_file(split, subset, index, digest)
        with open(osp.join(_WORKER['out_dir'], part_map), 'wb') as f:
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
                file=rel,
                height=height,
                width=width,
                focal_length=result.camera.focal_length,
                principal_point=np.asarray(result.camera.principal_point),
                people=people))
    return records


class GenerationLog:
    """Progress of one generation in the current MMEngine log, and in a
    tqdm bar when asked.

    Args:
        total: images to make.
        bar: show a tqdm bar instead of the periodic log lines.
    """

    def __init__(self, total: int, bar: bool = False) -> None:
        self.total, self.done = total, 0
        self.start = self.last = time.monotonic()
        self.bar = None
        if bar:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc='synthetic data', unit='img')

    def update(self, images: int) -> None:
        """Count ``images`` more; log a line when ``PROGRESS_EVERY_S``
        seconds passed since the last one."""
        self.done += images
        if self.bar is not None:
            self.bar.update(images)
            return
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S and self.done < self.total:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            left = (self.total - self.done) / max(rate, 1e-9)
            print_log(
                f'synthetic data: {self.done}/{self.total} images '
                f'({100 * self.done / self.total:.0f} %), {rate:.1f} '
                f'images/s, about {_duration(left)} left',
                logger='current')

    def close(self) -> float:
        """Close the bar; the seconds since the start."""
        if self.bar is not None:
            self.bar.close()
        return time.monotonic() - self.start


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds} s'
    return f'{seconds // 60} min {seconds % 60:02d} s'


def _map(groups: List[Tuple[str, str, int, int]], options: Dict[str, Any],
         out_dir: str, seed: int, digest: str, workers: int,
         log: GenerationLog) -> Iterable[Dict[str, Any]]:
    """Render the groups (in order), in this process or in a pool."""
    if workers <= 1:
        threads = torch.get_num_threads()
        try:
            _init_worker(options, out_dir, seed, digest)
            for records in map(_make_group, groups):
                yield from records
                log.update(len(records))
        finally:
            torch.set_num_threads(threads)
            _WORKER.clear()
    else:
        method = 'fork' if 'fork' in multiprocessing.get_all_start_methods(
        ) else 'spawn'
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(workers, _init_worker,
                      (options, out_dir, seed, digest)) as pool:
            for records in pool.imap(_make_group, groups):
                yield from records
                log.update(len(records))


def _describe(request: Dict[str, Any]) -> str:
    """e.g. ``coco 1000 train + 200 val, h36m 600 train + 150 test``."""
    return ', '.join(f'{split} ' +
                     ' + '.join(f'{n} {subset}'
                                for subset, n in sizes.items() if n > 0)
                     for split, sizes in request['num_images'].items())


def generate_synthetic_data(out_dir: str,
                            request: Dict[str, Any],
                            workers: int = 1,
                            progress: bool = False,
                            target: Optional[str] = None) -> None:
    """Write the data tree and ``MANIFEST.json`` into ``out_dir``.

    Args:
        out_dir: an empty folder.
        request: from ``make_request`` (seed, sizes, options, versions).
        workers: generator processes.
        progress: show a tqdm bar instead of periodic log lines.
        target: where the tree will be used from, for the log (default
            ``out_dir``).
    """
    seed = request['seed']
    digest = request_digest(request)
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
    total = sum(stop - start for _, _, start, stop in groups)
    options = request['options']
    print_log(
        f'generating {total} synthetic images into {target or out_dir} '
        f'({_describe(request)}; seed {seed}, {options["image_size"][0]} px'
        f', look {options["appearance"]}, facing {options["facing"]}) with '
        f'{max(workers, 1)} process(es)',
        logger='current')
    log = GenerationLog(total, bar=progress)
    records: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    for record in _map(groups, options, out_dir, seed, digest, workers, log):
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
    manifest = dict(
        request, request_digest=digest, files=dict(sorted(files.items())))
    with open(osp.join(out_dir, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    seconds = log.close()
    print_log(
        f'synthetic data: {total} images made in {_duration(seconds)} '
        f'({total / max(seconds, 1e-9):.1f} images/s)',
        logger='current')

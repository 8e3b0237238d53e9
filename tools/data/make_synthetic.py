"""Generate the embedded synthetic human data.

    python tools/data/make_synthetic.py --out data/synthetic [--num N]
        [--seed S] [--workers W] [--splits coco h36m pw3d mupots]
        [--image-size 256] [--appearance v2] [--facing natural] [--force]

The same seed and sizes give the same bytes whatever ``--workers``. An
existing, intact copy made with the same arguments is kept; ``--force``
regenerates it anyway. The tree is described in ``docs/data_contract.md``.
"""
import argparse
import time

from hpse_bench.synthetic import (DEFAULT_NUM_IMAGES, SPLITS,
                                  ensure_synthetic_data)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate the embedded synthetic human data')
    parser.add_argument(
        '--out', default='data/synthetic', help='output data root')
    parser.add_argument(
        '--num',
        type=int,
        default=None,
        help='images in the first subset of every split (coco train, h36m '
        'train, pw3d test, mupots test); the second subset is a fixed '
        'fraction of it. Default: ' +
        ', '.join(f'{k} {v}' for k, v in DEFAULT_NUM_IMAGES.items()))
    parser.add_argument('--seed', type=int, default=0, help='data seed')
    parser.add_argument(
        '--workers', type=int, default=1, help='generator processes')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=list(SPLITS),
        help=f'splits to generate, among {list(SPLITS)}')
    parser.add_argument(
        '--image-size',
        type=int,
        default=None,
        help='side of single-person images (default 256)')
    parser.add_argument(
        '--multi-person-image-size',
        type=int,
        default=None,
        help='side of multi-person (mupots) images (default 320)')
    parser.add_argument(
        '--dp-points',
        type=int,
        default=None,
        help='DensePose points per person (default 100)')
    parser.add_argument(
        '--appearance',
        choices=['v2', 'v1'],
        default=None,
        help='look of the people: v2 (default; face, hair, front/back '
        'garment designs, one-sided strap and watch) or v1 (format 1)')
    parser.add_argument(
        '--facing',
        choices=['natural', 'uniform'],
        default=None,
        help='headings: natural (default; mostly towards the camera, shares '
        'per split in docs/data_contract.md) or uniform (format 1)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even when an intact copy exists')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    unknown = sorted(set(args.splits) - set(SPLITS))
    if unknown:
        raise SystemExit(f'unknown split(s) {unknown}; the splits are '
                         f'{list(SPLITS)}')
    if args.num is None:
        num_images = {s: DEFAULT_NUM_IMAGES[s] for s in args.splits}
    else:
        num_images = {s: args.num for s in args.splits}
    options = {}
    if args.image_size is not None:
        options['image_size'] = args.image_size
    if args.multi_person_image_size is not None:
        options['multi_person_image_size'] = args.multi_person_image_size
    for key in ('dp_points', 'appearance', 'facing'):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    start = time.time()
    root = ensure_synthetic_data(
        args.out,
        num_images=num_images,
        seed=args.seed,
        workers=args.workers,
        progress=True,
        force=args.force,
        **options)
    print(f'synthetic data ready in {root} ({time.time() - start:.1f} s)')


if __name__ == '__main__':
    main()

"""Convert Occlusion-Person annotations to HumanData ``.npz``.

    python tools/data/convert_occlusion_person.py \
        unrealcv/annot/unrealcv_train.pkl \
        data/preprocessed_datasets/occlusion_person_train.npz [--every 1]
    python tools/data/convert_occlusion_person.py \
        unrealcv/annot/unrealcv_validation.pkl \
        data/preprocessed_datasets/occlusion_person_test.npz --every 5

One row per image and camera, the 15 joints in the H36M-17 slots of the
``human_data`` layout, ``keypoints3d`` in metres (camera frame), the
occlusion labels in ``meta['occluded']``; image paths are relative to
``data/datasets/occlusion_person/`` (unpack the release's ``images.zip``
there). See hpse_bench/datasets/converters/occlusion_person.py. The
pickles are read through an allow-list (numpy arrays and Python containers
only): a file that names anything else is refused, nothing in it runs.

Exit status: 0 on success, 1 on a missing or malformed input.
"""
import argparse
import sys

from hpse_bench.datasets.converters import convert_occlusion_person


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Occlusion-Person .pkl -> HumanData .npz')
    parser.add_argument('annotation', help='unrealcv_{train,validation}.pkl')
    parser.add_argument('out', help='HumanData .npz to write')
    parser.add_argument(
        '--every',
        type=int,
        default=1,
        help='keep every N-th record (AdaFuse evaluates every 5th)')
    parser.add_argument(
        '--image-prefix',
        default='images/',
        help='prepended to the image paths of the annotation file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        info = convert_occlusion_person(args.annotation, args.out, args.every,
                                        args.image_prefix)
    except (FileNotFoundError, ValueError) as err:
        print(f'convert_occlusion_person: {err}', file=sys.stderr)
        return 1
    print(f'{info["rows"]} rows, {100 * info["occluded_fraction"]:.1f} % of '
          f'the joints in view occluded -> {info["path"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Convert Leeds Sports Pose ``joints.mat`` files to COCO-style JSON.

    python tools/data/convert_lsp.py --lsp LSP_ROOT [--lspet LSPET_ROOT] \
        --out data/lsp [--visibility auto|occluded|visible] [--no-link]

``LSP_ROOT`` is the unpacked ``lsp_dataset`` folder (``joints.mat``,
``images/im0001.jpg`` ...), ``LSPET_ROOT`` the ``lspet_dataset`` one. Writes
``data/lsp/annotations/lsp_train.json`` (LSP images 1-1000, plus the 10000
LSP-extended images when given) and ``lsp_test.json`` (LSP images
1001-2000), with 14 keypoints in the order of ``conventions.LSP_14``, and
links ``data/lsp/images/{lsp,lspet}`` to the release image folders. The
visibility flags of the two releases mean opposite things; ``auto`` reads
each as its release defines it (see hpse_bench/datasets/converters/lsp.py).

Exit status: 0 on success, 1 on a missing or malformed input.
"""
import argparse
import sys

from hpse_bench.datasets.converters import convert_lsp


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='LSP / LSP-extended joints.mat -> COCO-style JSON')
    parser.add_argument('--lsp', help='LSP release folder (2000 images)')
    parser.add_argument('--lspet',
                        help='LSP-extended release folder (10000 images)')
    parser.add_argument('--out', default='data/lsp', help='output root')
    parser.add_argument(
        '--visibility',
        choices=('auto', 'occluded', 'visible'),
        default='auto',
        help='meaning of the third joints.mat value (default: by release)')
    parser.add_argument(
        '--no-link',
        action='store_true',
        help='do not symlink the image folders under OUT/images')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        written = convert_lsp(args.lsp,
                              args.out,
                              lspet_root=args.lspet,
                              visibility=args.visibility,
                              link_images=not args.no_link)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        print(f'convert_lsp: {err}', file=sys.stderr)
        return 1
    for split, info in written.items():
        print(f'{split}: {info["people"]} people in {info["images"]} images '
              f'({info["skipped"]} without any joint in the image) -> '
              f'{info["path"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

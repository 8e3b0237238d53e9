"""Export the online ResNet backbone of a pre-training checkpoint.

Writes ``{'state_dict': plain ResNet keys, 'meta': {...}}``, which loads
strictly into mmpretrain's, mmpose's and mmhuman3d's ``ResNet`` of the same
depth and widths (and, at torchvision's widths, into torchvision's ResNet
without ``fc``), through
``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` with no prefix, and
under ``torch.load(..., weights_only=True)``. See docs/export.md.

Example::

    python tools/export_backbone.py \\
        work_dirs/mocov2_resnet50_4xb64-140e_coco/epoch_140.pth \\
        work_dirs/export/backbone.pth --source auto
    python tools/export_backbone.py other_codebase.pth backbone.pth \\
        --prefix net. --method MyMethod
    python -m hpse_bench.apis.export_backbone IN OUT ...   (the same)

Exit status: 0 on success, 1 when the checkpoint holds no exportable
backbone (the message lists the key prefixes found), cannot be read safely,
or the output cannot be written, 2 on bad arguments.
"""
import argparse
import sys

from hpse_bench.checkpoint import (CHECKPOINT_LAYOUTS, SOURCES,
                                   BackboneExportError, CheckpointReadError,
                                   export_backbone)


def parse_args(argv=None) -> argparse.Namespace:
    epilog = 'sources:\n' + '\n'.join(
        f'  {name:<12} {layout.releases}'
        for name, layout in CHECKPOINT_LAYOUTS.items())
    parser = argparse.ArgumentParser(
        description='Export the online ResNet encoder of a checkpoint as a '
        'plain ResNet state dict (see docs/export.md).',
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='checkpoint to read (local file)')
    parser.add_argument('output', help='file to write')
    parser.add_argument(
        '--source',
        default='auto',
        choices=('auto', ) + SOURCES,
        help='layout of the input checkpoint (default: detected from its '
        'meta and keys)')
    parser.add_argument(
        '--method',
        default=None,
        help='pre-training method to record in the meta, overriding the '
        "one derived from the source (e.g. 'SimSiam' for a file in plain "
        'torchvision layout)')
    parser.add_argument(
        '--prefix',
        default=None,
        help="key prefix of the online ResNet in the input (e.g. 'net.'; "
        "a DataParallel 'module.' may be left out), for checkpoints whose "
        'layout no --source knows')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        result = export_backbone(
            args.input,
            args.output,
            source=args.source,
            method=args.method,
            prefix=args.prefix)
    except (BackboneExportError, CheckpointReadError,
            FileNotFoundError) as err:
        print(f'export_backbone: refused: {err}', file=sys.stderr)
        return 1
    except OSError as err:  # the output: a full disk, a read-only folder
        print(f'export_backbone: failed: {err}', file=sys.stderr)
        return 1
    for line in result.summary():
        print(line)
    print(f'input sha256: {result.meta["sha256"]}')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

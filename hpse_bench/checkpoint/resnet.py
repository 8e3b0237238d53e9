"""Finding ResNet encoders in a state dict and converting them to plain keys.

"Plain ResNet keys" are torchvision's names: ``conv1``, ``bn1``,
``layer{1-4}.{block}.conv{1,2,3}`` / ``bn{1,2,3}`` and
``layer{1-4}.{block}.downsample.{0,1}`` (``fc`` left out). mmpretrain's,
mmpose's, mmdet's and mmcv 1.x / mmhuman3d's ``ResNet`` use the same names,
so one file loads strictly into all of them.

Three namings of the same tensors occur in public checkpoints:

- ``torchvision``: the names above under some prefix (``backbone.``,
  ``module.encoder_q.``, ``encoder.``, ...).
- ``sequential``: ``nn.Sequential(*resnet.children())``, i.e. ``0`` = conv1,
  ``1`` = bn1, ``4``-``7`` = layer1-4 (``9`` = fc); used by PeCLR's training
  checkpoints (``encoder.features.``) and DetCon-PyTorch
  (``online_network.encoder.``).
- ``stages``: ``C1`` = (conv1, bn1, relu, maxpool), ``C2``-``C5`` =
  layer1-4; DetCon-PyTorch with its FPN (``online_network.C1.0.weight``).
"""
import functools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import torch

# depth -> (block type, blocks per stage), as in He et al., CVPR 2016, Tab. 1.
RESNET_ARCHS: Dict[int, Tuple[str, Tuple[int, int, int, int]]] = {
    18: ('basic', (2, 2, 2, 2)),
    34: ('basic', (3, 4, 6, 3)),
    50: ('bottleneck', (3, 4, 6, 3)),
    101: ('bottleneck', (3, 4, 23, 3)),
    152: ('bottleneck', (3, 8, 36, 3)),
}

# Top-level module names of a torchvision ResNet that hold tensors.
RESNET_MODULES = ('conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4', 'fc')
# The ones a backbone export keeps (fc is a classifier / projection head).
BACKBONE_MODULES = RESNET_MODULES[:-1]

_SEQUENTIAL_NAMES = {
    '0': 'conv1',
    '1': 'bn1',
    '4': 'layer1',
    '5': 'layer2',
    '6': 'layer3',
    '7': 'layer4',
    '9': 'fc'
}
_STAGE_NAMES = {
    'C1.0': 'conv1',
    'C1.1': 'bn1',
    'C2': 'layer1',
    'C3': 'layer2',
    'C4': 'layer3',
    'C5': 'layer4'
}
# Marker key of each naming, relative to the encoder prefix.
_MARKERS = {
    'torchvision': ('layer1.0.conv1.weight', 'conv1.weight'),
    'sequential': ('4.0.conv1.weight', '0.weight'),
    'stages': ('C2.0.conv1.weight', 'C1.0.weight'),
}


@dataclass
class ResNetEncoder:
    """One ResNet found in a state dict.

    Attributes:
        prefix: the prefix of its keys in the state dict searched.
        naming: ``'torchvision'``, ``'sequential'`` or ``'stages'``.
        state_dict: its tensors under plain torchvision names (``fc.*``
            included when the checkpoint has it).
        source_keys: plain name -> key in the searched state dict.
    """
    prefix: str
    naming: str
    state_dict: 'OrderedDict[str, torch.Tensor]' = field(repr=False)
    source_keys: Dict[str, str] = field(repr=False)

    @property
    def backbone_keys(self) -> List[str]:
        """Plain names of the tensors outside ``fc``."""
        return [k for k in self.state_dict if not k.startswith('fc.')]


def _rename(rest: str, naming: str) -> Optional[str]:
    """Plain torchvision name of ``rest`` (a key below the encoder prefix)."""
    if naming == 'torchvision':
        return rest if rest.split('.', 1)[0] in RESNET_MODULES else None
    table = _SEQUENTIAL_NAMES if naming == 'sequential' else _STAGE_NAMES
    for old, new in table.items():
        if rest.startswith(old + '.'):
            return new + rest[len(old):]
    return None


def find_resnet_encoders(
        state_dict: Mapping[str, torch.Tensor]) -> Dict[str, ResNetEncoder]:
    """Every ResNet in ``state_dict``, keyed by its prefix.

    A prefix is a ResNet when both of its naming's marker keys exist (e.g.
    ``P + 'conv1.weight'`` and ``P + 'layer1.0.conv1.weight'``), so heads and
    necks are never mistaken for one. Encoders come out in the order their
    first key appears.
    """
    found: Dict[str, ResNetEncoder] = {}
    for key in state_dict:
        for naming, (marker, stem) in _MARKERS.items():
            if not key.endswith(marker):
                continue
            prefix = key[:-len(marker)]
            if prefix and not prefix.endswith('.'):
                continue  # e.g. 'xlayer1.0.conv1.weight'
            stem_value = state_dict.get(prefix + stem)
            if prefix in found or stem_value is None or stem_value.dim() != 4:
                continue
            tensors, sources = OrderedDict(), {}
            for k, v in state_dict.items():
                if not k.startswith(prefix):
                    continue
                name = _rename(k[len(prefix):], naming)
                if name is not None:
                    tensors[name] = v
                    sources[name] = k
            found[prefix] = ResNetEncoder(prefix, naming, tensors, sources)
    return found


def stage_blocks(keys: Iterable[str]) -> Tuple[Tuple[int, ...], bool]:
    """Blocks per stage and whether the blocks are bottlenecks (have conv3)."""
    blocks = {i: set() for i in range(1, 5)}
    bottleneck = False
    for key in keys:
        parts = key.split('.')
        if len(parts) >= 3 and parts[0].startswith('layer') and \
                parts[0][5:].isdigit() and parts[1].isdigit():
            stage = int(parts[0][5:])
            if stage in blocks:
                blocks[stage].add(int(parts[1]))
            bottleneck = bottleneck or parts[2] == 'conv3'
    return tuple(len(blocks[i]) for i in range(1, 5)), bottleneck


def detect_resnet_depth(keys: Iterable[str]) -> int:
    """ResNet depth (18/34/50/101/152) from plain torchvision key names.

    Raises:
        ValueError: the stage layout is not one of the five standard ResNets.
    """
    counts, bottleneck = stage_blocks(keys)
    block = 'bottleneck' if bottleneck else 'basic'
    for depth, (arch_block, arch_counts) in RESNET_ARCHS.items():
        if arch_block == block and arch_counts == counts:
            return depth
    raise ValueError(
        f'blocks per stage {counts} with {block} blocks match no standard '
        'ResNet (18: basic (2, 2, 2, 2), 34: basic (3, 4, 6, 3), '
        '50/101/152: bottleneck (3, 4, 6|23|36, 3) / (3, 8, 36, 3))')


@functools.lru_cache(maxsize=None)
def reference_resnet_shapes(depth: int) -> 'OrderedDict[str, torch.Size]':
    """Key -> shape of torchvision's ``resnet{depth}`` without ``fc``.

    The model is built on the meta device: no memory, no weights.
    """
    import torchvision

    if depth not in RESNET_ARCHS:
        raise ValueError(f'no ResNet of depth {depth}; expected one of '
                         f'{sorted(RESNET_ARCHS)}')
    with torch.device('meta'):
        model = getattr(torchvision.models, f'resnet{depth}')()
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items()
                       if not k.startswith('fc.'))


#: torchvision's widths: the stem's and the first stage's channels.
STANDARD_WIDTHS = (64, 64)


def detect_resnet_widths(
        state_dict: Mapping[str, torch.Tensor]) -> Tuple[int, int]:
    """``(stem_channels, base_channels)`` of plain-named ResNet tensors:
    the output channels of ``conv1`` and of ``layer1.0.conv1``."""
    return (int(state_dict['conv1.weight'].shape[0]),
            int(state_dict['layer1.0.conv1.weight'].shape[0]))


def _bn_shapes(shapes: Dict[str, tuple], name: str, channels: int) -> None:
    for param in ('weight', 'bias', 'running_mean', 'running_var'):
        shapes[f'{name}.{param}'] = (channels, )
    shapes[f'{name}.num_batches_tracked'] = ()


@functools.lru_cache(maxsize=None)
def resnet_shapes(depth: int,
                  stem_channels: int = 64,
                  base_channels: int = 64) -> 'OrderedDict[str, tuple]':
    """Key -> shape of a ResNet of any widths, in torchvision's key order.

    The ResNet of He et al. (CVPR 2016, Tab. 1) with a stem of
    ``stem_channels`` and stage ``i`` of ``base_channels * 2**i`` (times 4 at
    the output of bottleneck blocks): mmpretrain's / mmpose's
    ``ResNet(depth, stem_channels, base_channels)``. A block's first conv
    takes the stage's stride; a projection shortcut (``downsample``) sits
    on the first block of a stage whenever the stride or the channels
    change. With (64, 64) these are torchvision's shapes.
    """
    if depth not in RESNET_ARCHS:
        raise ValueError(f'no ResNet of depth {depth}; expected one of '
                         f'{sorted(RESNET_ARCHS)}')
    block, counts = RESNET_ARCHS[depth]
    expansion = 1 if block == 'basic' else 4
    shapes: Dict[str, tuple] = OrderedDict()
    shapes['conv1.weight'] = (stem_channels, 3, 7, 7)
    _bn_shapes(shapes, 'bn1', stem_channels)
    in_channels = stem_channels
    for stage, blocks in enumerate(counts):
        mid = base_channels * 2**stage
        out = mid * expansion
        for index in range(blocks):
            name = f'layer{stage + 1}.{index}'
            convs = ([(in_channels, 3),
                      (mid, 3)] if block == 'basic' else [(in_channels, 1),
                                                          (mid, 3), (mid, 1)])
            for i, (cin, k) in enumerate(convs, 1):
                cout = out if i == len(convs) else mid
                shapes[f'{name}.conv{i}.weight'] = (cout, cin, k, k)
                _bn_shapes(shapes, f'{name}.bn{i}', cout)
            if index == 0 and (stage > 0 or in_channels != out):
                shapes[f'{name}.downsample.0.weight'] = (out, in_channels, 1,
                                                         1)
                _bn_shapes(shapes, f'{name}.downsample.1', out)
            in_channels = out
    return shapes


@dataclass
class ReferenceCheck:
    """How an encoder's plain keys compare with a reference ResNet.

    Attributes:
        missing: reference keys the encoder lacks.
        unexpected: encoder keys outside the reference (``fc.*`` excluded:
            it is a head, reported separately).
        shape_mismatch: ``key -> (encoder shape, reference shape)``.
    """
    missing: List[str]
    unexpected: List[str]
    shape_mismatch: Dict[str, Tuple[tuple, tuple]]

    @property
    def missing_buffers_only(self) -> bool:
        """Whether only BatchNorm's ``num_batches_tracked`` counters lack.

        Checkpoints from PyTorch < 0.4.1 and conversions from TF/JAX have no
        such counter; PyTorch itself sets it to 0 when it is absent.
        """
        return all(k.endswith('num_batches_tracked') for k in self.missing)


def check_against_reference(state_dict: Mapping[str, torch.Tensor],
                            depth: int,
                            stem_channels: int = 64,
                            base_channels: int = 64) -> ReferenceCheck:
    """Compare plain-named tensors with a reference ResNet: torchvision's
    ``resnet{depth}`` at its widths, :func:`resnet_shapes` at others."""
    if (stem_channels, base_channels) == STANDARD_WIDTHS:
        reference = reference_resnet_shapes(depth)
    else:
        reference = resnet_shapes(depth, stem_channels, base_channels)
    missing = [k for k in reference if k not in state_dict]
    unexpected = [
        k for k in state_dict if k not in reference and not k.startswith('fc.')
    ]
    mismatch = {
        k: (tuple(v.shape), tuple(reference[k]))
        for k, v in state_dict.items()
        if k in reference and tuple(v.shape) != tuple(reference[k])
    }
    return ReferenceCheck(missing, unexpected, mismatch)

"""Reading pre-training checkpoints and exporting their ResNet backbones.

- :mod:`.io`: loading (through MMEngine's ``CheckpointLoader`` and the
  trusted-file loader of :mod:`hpse_bench.utils.compat`), finding the state
  dict inside a checkpoint, describing its key prefixes.
- :mod:`.resnet`: finding ResNet encoders under any prefix and naming,
  converting them to plain torchvision keys, detecting their depth, checking
  them against a reference ResNet.
- :mod:`.layouts`: where each source (hpse_bench, mmpretrain, mmselfsup,
  mmpose, torchvision, MoCo, SimCLR, SimSiam, SwAV, DetCon, PeCLR) keeps its
  online encoder, and auto-detection of the source.
- :mod:`.selection`, :mod:`.inventory`, :mod:`.export`: the steps of
  :func:`export_backbone` (used by ``tools/export_backbone.py``): choose and
  check the online encoder, report what is left behind, write the file.
- :mod:`.pretrained`: the ``Pretrained`` weight initializer that loads
  exported files (and any other checkpoint) into a model.
"""
from .errors import (BackboneExportError, CheckpointMismatchError,
                     CheckpointReadError)
from .export import BackboneExport, export_backbone, extract_backbone
from .io import (checkpoint_config_text, extract_state_dict, file_sha256,
                 find_common_prefix, format_keys, format_prefixes,
                 load_checkpoint_file, strip_wrapper_prefix,
                 summarize_prefixes)
from .layouts import (CHECKPOINT_LAYOUTS, MOMENTUM_NAMES, SOURCES,
                      CheckpointLayout, StoredConfig, detect_source,
                      encoder_role, stored_config)
from .pretrained import PretrainedInit  # noqa: F401  (registers Pretrained)
from .resnet import (RESNET_ARCHS, ResNetEncoder, check_against_reference,
                     detect_resnet_depth, detect_resnet_widths,
                     find_resnet_encoders, reference_resnet_shapes,
                     resnet_shapes)

__all__ = [
    'BackboneExportError', 'CheckpointMismatchError', 'CheckpointReadError',
    'BackboneExport', 'export_backbone', 'extract_backbone',
    'checkpoint_config_text', 'extract_state_dict', 'file_sha256',
    'find_common_prefix', 'format_keys', 'format_prefixes',
    'load_checkpoint_file', 'strip_wrapper_prefix', 'summarize_prefixes',
    'CHECKPOINT_LAYOUTS', 'MOMENTUM_NAMES', 'SOURCES', 'CheckpointLayout',
    'StoredConfig', 'detect_source', 'encoder_role', 'stored_config',
    'RESNET_ARCHS', 'ResNetEncoder', 'check_against_reference',
    'detect_resnet_depth', 'detect_resnet_widths', 'find_resnet_encoders',
    'reference_resnet_shapes', 'resnet_shapes', 'PretrainedInit'
]

"""Readers that turn released annotation files into hpse_bench's formats:
COCO-style JSON for 2D data, HumanData ``.npz`` for 3D data
(``docs/data_contract.md``, ``docs/datasets.md``)."""
from .lsp import LSP_SPLITS, convert_lsp, lsp_coco_annotations, read_lsp_joints
from .occlusion_person import (OCCLUSION_PERSON_JOINTS,
                               convert_occlusion_person, occlusion_person_rows)

__all__ = [
    'convert_lsp', 'lsp_coco_annotations', 'read_lsp_joints', 'LSP_SPLITS',
    'convert_occlusion_person', 'occlusion_person_rows',
    'OCCLUSION_PERSON_JOINTS'
]

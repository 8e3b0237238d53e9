"""Leeds Sports Pose (LSP) as a COCO-style top-down keypoint dataset."""
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmpose.datasets.datasets.base import BaseCocoStyleDataset

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import (LSP14_PARENTS, LSP_14,
                                               flip_indices)
from .coco_annotations import AnnotationError, load_topdown_instances

LSP_NECK_ID = LSP_14.index('neck')
LSP_HEAD_TOP_ID = LSP_14.index('head_top')
_LOWER_BODY = ('ankle', 'knee', 'hip')
# OKS sigmas (only used by OKS-based metrics): the values mmpose's MPII
# metainfo gives the joints of the same name; MPII's upper neck and head
# top stand for LSP's neck and head top.
_SIGMAS = dict(ankle=0.089,
               knee=0.083,
               hip=0.107,
               wrist=0.062,
               elbow=0.072,
               shoulder=0.179,
               neck=0.026,
               head_top=0.026)


def _joint_kind(name: str) -> str:
    return name.split('_', 1)[1] if name.startswith(('left_', 'right_')) \
        else name


def lsp_metainfo() -> Dict:
    """mmpose ``dataset_info`` of LSP-14, built from ``conventions.LSP_14``.

    Keypoint order and names, the left/right swaps (``flip_indices``) and
    the skeleton (``LSP14_PARENTS``) come from the one joint convention of
    the package, so that the 2D stage and the 3D evaluation agree.
    """
    swap = flip_indices(LSP_14)
    keypoint_info = {}
    for i, name in enumerate(LSP_14):
        side_color = (
            [0, 255, 0] if name.startswith('left_') else
            [255, 128, 0] if name.startswith('right_') else [51, 153, 255])
        keypoint_info[i] = dict(
            name=name,
            id=i,
            color=side_color,
            type='lower' if _joint_kind(name) in _LOWER_BODY else 'upper',
            swap=LSP_14[swap[i]] if swap[i] != i else '')
    skeleton_info = {}
    for child, parent in enumerate(LSP14_PARENTS):
        if parent < 0:
            continue
        skeleton_info[len(skeleton_info)] = dict(link=(LSP_14[parent],
                                                       LSP_14[child]),
                                                 id=len(skeleton_info),
                                                 color=[51, 153, 255])
    return dict(dataset_name='lsp',
                paper_info=dict(
                    author='Johnson, Sam and Everingham, Mark',
                    title='Clustered Pose and Nonlinear Appearance Models for '
                    'Human Pose Estimation',
                    container='British Machine Vision Conference (BMVC)',
                    year='2010',
                    homepage='http://sam.johnson.io/research/lsp.html'),
                keypoint_info=keypoint_info,
                skeleton_info=skeleton_info,
                joint_weights=[1.0] * len(LSP_14),
                sigmas=[_SIGMAS[_joint_kind(n)] for n in LSP_14])


@DATASETS.register_module()
class LspDataset(BaseCocoStyleDataset):
    """LSP / LSP-extended people as mmpose top-down samples.

    Johnson and Everingham, "Clustered Pose and Nonlinear Appearance Models
    for Human Pose Estimation", BMVC 2010 (and the 10,000-image extension,
    CVPR 2011): one person per image, 14 joints in the order of
    ``conventions.LSP_14``. The annotation file is the COCO-style JSON
    written by ``tools/data/convert_lsp.py`` (14 keypoints per person,
    visibility 2 visible, 1 occluded but labelled, 0 not labelled).

    LSP has no head boxes, so PCKh cannot use MPII's head size (0.6 x the
    head-box diagonal). Each person's ``head_size`` is instead the length
    of its head segment, neck to head top, in pixels: mmpose's
    ``PCKAccuracy(norm_item='head')`` then gives PCKh on LSP. A person whose
    neck or head top is unlabelled gets ``head_size = 0``, which
    ``PCKAccuracy`` leaves out of PCKh. ``norm_item='bbox'`` (PCK of the
    box size) needs nothing more.

    The file is read with the checks of :mod:`.coco_annotations` (person
    category only, NaN people skipped and counted, malformed entries
    named).

    Args:
        Those of mmpose's ``BaseCocoStyleDataset``; ``data_mode`` must be
        ``'topdown'``.
    """

    METAINFO: dict = lsp_metainfo()

    def __init__(self, *args, **kwargs):
        if kwargs.get('data_mode', 'topdown') != 'topdown':
            raise ValueError('LspDataset holds one person per image: use '
                             "data_mode='topdown'")
        super().__init__(*args, **kwargs)

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        """mmpose's loading with the checks of :mod:`.coco_annotations`."""
        instances, images, categories = load_topdown_instances(
            self.ann_file, self.data_prefix['img'], self.parse_data_info,
            'lsp', self.sample_interval)
        self._metainfo['CLASSES'] = categories
        return instances, images

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        ann = raw_data_info['raw_ann_info']
        keypoints = ann.get('keypoints')
        if keypoints is not None and len(keypoints) != 3 * len(LSP_14):
            img = raw_data_info['raw_img_info']
            raise AnnotationError(
                f'{self.ann_file}: annotation {ann.get("id")} of image '
                f'{img.get("file_name")!r} has {len(keypoints) // 3} '
                f'keypoints; LSP has {len(LSP_14)} (write the file with '
                'tools/data/convert_lsp.py)')
        info = super().parse_data_info(raw_data_info)
        if info is None:
            return None
        kpts = info['keypoints'][0]
        labelled = info['keypoints_visible'][0] > 0
        head_size = 0.0
        if labelled[LSP_NECK_ID] and labelled[LSP_HEAD_TOP_ID]:
            head_size = float(
                np.linalg.norm(kpts[LSP_HEAD_TOP_ID] - kpts[LSP_NECK_ID]))
        info['head_size'] = np.array([[head_size]], dtype=np.float32)
        return info

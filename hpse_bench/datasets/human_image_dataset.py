"""One person crop per sample, read from an mmhuman3d HumanData file."""
import copy
import logging
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from hpse_bench.registry import DATASETS
from hpse_bench.structures.conventions import (NUM_BETAS, NUM_SMPL_JOINTS,
                                               human_data_indices)
from .data_paths import check_relative_paths
from .fraction_subset import fraction_subset_indices
from .human_data import HumanDataFile

NUM_KEYPOINTS = 17


@DATASETS.register_module()
class HumanImageDataset(BaseDataset):
    """Person crops with 2D/3D keypoints and SMPL labels from HumanData.

    One class reads the preprocessed ``.npz`` files of mmhuman3d (and the
    embedded synthetic splits written in the same format) for any dataset:
    Human3.6M, MPI-INF-3DHP, COCO (2D keypoints, or EFT SMPL fits), 3DPW,
    MuPoTS-3D, AGORA, SURREAL, Occlusion-Person, ... Each sample is one row
    (one person) of the file. Labels are read from the 190-slot
    ``'human_data'`` layout, decompressing files saved with
    ``__keypoints_compressed__``.

    A data info holds:

    - ``img_path``, ``ann_file``, ``sample_idx`` (index in this
      dataset), ``row_idx`` (row of the file), ``dataset_name``,
      ``image_id`` (the file's ``image_id`` when present, else the image
      path; groups the people of one image);
    - ``bbox_xywh`` ``(4,)``, ``bbox_center`` ``(2,)`` and ``bbox_scale``
      ``(2,)``: a square box of side ``max(w, h) * bbox_scale_factor``;
    - ``keypoints2d`` ``(17, 3)``: COCO-17 ``(x, y, conf)``, image pixels;
    - ``keypoints2d_img`` ``(17, 3)``: H36M-17, image pixels;
    - ``keypoints3d`` ``(17, 4)``: H36M-17 ``(x, y, z, conf)``, metres,
      camera frame;
    - ``smpl_pose`` ``(72,)`` (global orientation first), ``smpl_betas``
      ``(10,)``, ``has_smpl`` and ``has_keypoints3d`` (0./1.);
    - ``focal_length`` / ``principal_point`` ``(2,)``, ``gender`` and
      ``sequence`` (from the top level or ``meta``) when the file has them;
    - ``flip`` (False) and ``rotation`` (0.), set by the augmentations.

    Confidences are clipped to ``[0, 1]`` (COCO's visibility 2 becomes 1)
    and zeroed where the file's mask marks a slot absent; missing labels are
    zeros with zero confidence and ``has_* = 0``, never NaN. People whose
    labels hold NaN or inf, or whose box is empty, are skipped and counted
    (``num_skipped``, logged once). A file that is not a HumanData archive
    or is corrupt, that holds no person (or none left after skipping), an
    ``image_path`` that is absolute or climbs out with ``..``, and
    ``keypoints3d`` that are not metres are errors naming the file.

    Args:
        ann_file: HumanData ``.npz``, relative to ``data_root``.
        dataset_name: name recorded in every sample (``'h36m'``,
            ``'coco'``, ``'pw3d'``, ``'mupots'``, ...).
        data_root: root joined to ``ann_file`` and ``data_prefix``.
        data_prefix: ``dict(img=...)``, the folder that the file's
            ``image_path`` entries are relative to.
        pipeline: transforms.
        test_mode: as :class:`mmengine.dataset.BaseDataset`.
        fraction: share of the file's people to use, e.g. 0.1, 0.3, 0.6,
            1.0 (see :func:`fraction_subset_indices`).
        fraction_seed: seed of the subset.
        bbox_scale_factor: extra enlargement of the box. mmhuman3d's and
            SPIN's preprocessed boxes already hold SPIN's 1.2 enlargement of
            the tight box (SPIN: ``scale = 1.2 * max(w, h) / 200``), so the
            default is 1.
        required_keys: keys that must be in the file besides
            ``image_path`` and ``bbox_xywh`` (e.g. ``('keypoints3d',)`` for
            an evaluation set); ``'smpl.betas'`` names a key of ``smpl``.
        indices: keep only these samples (after the fraction and the
            skipping), as :class:`mmengine.dataset.BaseDataset`.
        lazy_init: defer reading the file to the first access.
        max_refetch: as :class:`mmengine.dataset.BaseDataset`.
    """

    BASE_REQUIRED_KEYS = ('image_path', 'bbox_xywh')
    SMPL_REQUIRED_KEYS = ('smpl.global_orient', 'smpl.body_pose', 'smpl.betas')
    # Per-person strings read from the file (top level or ``meta``).
    ROW_META_KEYS = ('gender', 'sequence')

    def __init__(self,
                 ann_file: str,
                 dataset_name: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 fraction: float = 1.0,
                 fraction_seed: int = 0,
                 bbox_scale_factor: float = 1.0,
                 required_keys: Sequence[str] = (),
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 lazy_init: bool = False,
                 max_refetch: int = 1000) -> None:
        if not 0 < fraction <= 1:
            raise ValueError(f'fraction must be in (0, 1]; got {fraction}')
        if 'img' not in data_prefix:
            raise KeyError('data_prefix needs an "img" entry (the image '
                           f'folder); got {data_prefix}')
        self.dataset_name = dataset_name
        self.fraction = fraction
        self.fraction_seed = fraction_seed
        self.bbox_scale_factor = bbox_scale_factor
        self.required_keys = tuple(required_keys)
        self.num_skipped: Dict[str, int] = {}
        self._rows = np.zeros(0, dtype=np.int64)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            # Labels live in numpy arrays (shared by forked workers without
            # copy-on-access); there is no per-sample list to serialise.
            serialize_data=False,
            pipeline=list(pipeline),
            test_mode=test_mode,
            indices=indices,
            lazy_init=lazy_init,
            max_refetch=max_refetch)
        self._metainfo['dataset_name'] = dataset_name

    # ------------------------------------------------------------------
    # Loading
    # ------------------------------------------------------------------
    def full_init(self) -> None:
        """Read the annotation file, take the fraction, skip bad people."""
        if self._fully_initialized:
            return
        with HumanDataFile(self.ann_file) as hd:
            num_rows = self._load_arrays(hd)
        subset = fraction_subset_indices(num_rows, self.fraction,
                                         self.fraction_seed)
        valid = self._find_valid_rows(num_rows, subset)
        self._rows = subset[valid[subset]]
        skipped = int(len(subset) - len(self._rows))
        details = ', '.join(f'{k}: {v}'
                            for k, v in self.num_skipped.items() if v)
        if len(self._rows) == 0:
            raise ValueError(
                f'{self.dataset_name}: no person left in {self.ann_file} '
                f'after skipping the {skipped} of {len(subset)} people with '
                f'unusable labels ({details})')
        if skipped:
            print_log(
                f'{self.dataset_name}: skipped {skipped} of {len(subset)} '
                f'people in {self.ann_file} ({details}); a person may count '
                'under several causes',
                logger='current',
                level=logging.WARNING)
        if self._indices is not None:
            self._rows = self._select(self._rows, self._indices)
        self._fully_initialized = True

    def load_data_list(self) -> List[dict]:
        """All data infos (built on demand by :meth:`get_data_info`)."""
        self.full_init()
        return [self.get_data_info(i) for i in range(len(self))]

    def _load_arrays(self, hd: HumanDataFile) -> int:
        """Read and check the labels; return the number of rows."""
        hd.check_required(self.BASE_REQUIRED_KEYS + self.required_keys)
        smpl = hd.get('smpl')
        if smpl is not None and not isinstance(smpl, dict):
            raise ValueError(f'{hd.path}: smpl is a {type(smpl).__name__}, '
                             'expected a dict')
        if smpl:
            hd.check_required(self.SMPL_REQUIRED_KEYS)

        bbox = np.asarray(hd.get('bbox_xywh'), dtype=np.float64)
        if bbox.ndim != 2 or bbox.shape[1] not in (4, 5):
            raise ValueError(f'{hd.path}: bbox_xywh has shape {bbox.shape}; '
                             'expected (N, 4) or (N, 5)')
        n = bbox.shape[0]
        if n == 0:
            raise ValueError(
                f'HumanData file {hd.path} has 0 rows (bbox_xywh is '
                'empty): it holds no person to train or test on')
        data_len = hd.get('__data_len__', hd.get('__temporal_len__', -1))
        if data_len is not None and int(data_len) >= 0 \
                and int(data_len) != n:
            raise ValueError(f'{hd.path}: __data_len__ is {int(data_len)} '
                             f'but bbox_xywh has {n} rows')
        self._bbox_xywh = bbox[:, :4].astype(np.float32)
        paths = hd.row_array('image_path', n)
        # A numpy str array: no per-sample Python objects for forked
        # dataloader workers to copy.
        self._image_path = paths.astype(str)
        check_relative_paths(self._image_path, f'HumanData file {hd.path}')
        self._image_id = (
            self._as_scalar_array(hd.row_array('image_id', n))
            if 'image_id' in hd else None)

        coco_slots = human_data_indices('coco_17')
        h36m_slots = human_data_indices('h36m_17')
        self._kp2d = np.zeros((n, NUM_KEYPOINTS, 3), np.float32)
        self._kp2d_img = np.zeros((n, NUM_KEYPOINTS, 3), np.float32)
        self._kp3d = np.zeros((n, NUM_KEYPOINTS, 4), np.float32)
        if 'keypoints2d' in hd:
            both = hd.gather_keypoints(
                'keypoints2d', np.concatenate([coco_slots, h36m_slots]), n)
            if both.shape[2] < 3:
                raise ValueError(f'{hd.path}: keypoints2d needs (x, y, '
                                 f'conf); got {both.shape[2]} values')
            self._kp2d[:] = both[:, :NUM_KEYPOINTS, :3]
            self._kp2d_img[:] = both[:, NUM_KEYPOINTS:, :3]
        if 'keypoints3d' in hd:
            kp3d = hd.gather_keypoints('keypoints3d', h36m_slots, n)
            if kp3d.shape[2] < 4:
                raise ValueError(f'{hd.path}: keypoints3d needs (x, y, z, '
                                 f'conf); got {kp3d.shape[2]} values')
            self._kp3d[:] = kp3d[..., :4]
        for kp in (self._kp2d, self._kp2d_img, self._kp3d):
            # NaN confidences stay NaN so that the row is skipped.
            np.clip(kp[..., -1], 0, 1, out=kp[..., -1])
        self._has_kp3d = (self._kp3d[..., 3]
                          > 0).any(axis=1).astype(np.float32)

        self._load_smpl(hd, smpl, n)
        self._load_camera_and_meta(hd, n)
        return n

    def _load_smpl(self, hd: HumanDataFile, smpl: Optional[dict],
                   n: int) -> None:
        """SMPL pose and shape of the ``n`` people (zeros without a fit)."""
        self._smpl_pose = np.zeros((n, NUM_SMPL_JOINTS * 3), np.float32)
        self._smpl_betas = np.zeros((n, NUM_BETAS), np.float32)
        self._has_smpl = np.zeros(n, np.float32)
        if smpl:
            orient = hd.row_array('smpl.global_orient', n,
                                  smpl['global_orient']).reshape(n, -1)
            body = hd.row_array('smpl.body_pose', n,
                                smpl['body_pose']).reshape(n, -1)
            betas = hd.row_array('smpl.betas', n, smpl['betas']).reshape(n, -1)
            if orient.shape[1] != 3 or body.shape[1] != 69:
                raise ValueError(
                    f'{hd.path}: smpl global_orient/body_pose have '
                    f'{orient.shape[1]}/{body.shape[1]} values per person; '
                    'expected 3 and 69 (23 x 3 axis-angle)')
            self._smpl_pose[:] = np.concatenate([orient, body], axis=1)
            k = min(NUM_BETAS, betas.shape[1])
            self._smpl_betas[:, :k] = betas[:, :k]
            has_smpl = (
                hd.row_array('has_smpl', n).reshape(n)
                if 'has_smpl' in hd else np.ones(n))
            self._has_smpl[:] = np.asarray(has_smpl, np.float32) > 0
            # Parameters of people without a fit are no labels: zero them.
            self._smpl_pose[self._has_smpl == 0] = 0
            self._smpl_betas[self._has_smpl == 0] = 0

    def _load_camera_and_meta(self, hd: HumanDataFile, n: int) -> None:
        """Per-person camera intrinsics and strings (gender, sequence)."""
        self._camera: Dict[str, np.ndarray] = {}
        for key in ('focal_length', 'principal_point'):
            if key in hd:
                value = hd.row_array(key, n).astype(np.float32).reshape(n, -1)
                if value.shape[1] == 1:  # one focal length for x and y
                    value = np.repeat(value, 2, axis=1)
                if value.shape[1] != 2:
                    raise ValueError(f'{hd.path}: {key} has shape '
                                     f'{value.shape}; expected (N, 2)')
                self._camera[key] = value
        # Per-person strings for evaluation: 3DPW's gender (gendered SMPL
        # ground truth), MuPoTS-3D's sequence (per-sequence 3DPCK).
        meta = hd.get('meta')
        meta = meta if isinstance(meta, dict) else {}
        self._row_meta: Dict[str, np.ndarray] = {}
        for key in self.ROW_META_KEYS:
            if key in hd:
                value = hd.row_array(key, n)
            elif key in meta:
                value = hd.row_array(f'meta.{key}', n, meta[key])
            else:
                continue
            self._row_meta[key] = value.astype(str)

    @staticmethod
    def _as_scalar_array(values: np.ndarray) -> np.ndarray:
        """Image ids as an int or str array (tuples become strings)."""
        if values.dtype.kind in 'iu':
            return values.astype(np.int64)
        if values.ndim > 1:  # e.g. (device, device_id, frame_id) per row
            return np.array(['_'.join(map(str, v)) for v in values])
        return values.astype(str)

    def _find_valid_rows(self, n: int, subset: np.ndarray) -> np.ndarray:
        """Rows whose labels are finite and whose box is not empty; the
        causes are counted over ``subset`` into ``num_skipped``."""
        checks = {
            'bbox_xywh': self._bbox_xywh,
            'keypoints2d': np.concatenate([self._kp2d, self._kp2d_img], 1),
            'keypoints3d': self._kp3d,
            'smpl': np.concatenate([self._smpl_pose, self._smpl_betas], 1),
            **self._camera,
        }
        valid = np.ones(n, dtype=bool)
        self.num_skipped = {}
        for name, array in checks.items():
            finite = np.isfinite(array.reshape(n, -1)).all(axis=1)
            self.num_skipped[f'non-finite {name}'] = int(
                (~finite[subset]).sum())
            valid &= finite
        with np.errstate(invalid='ignore'):
            empty = ~((self._bbox_xywh[:, 2] > 0) &
                      (self._bbox_xywh[:, 3] > 0))
        self.num_skipped['empty bbox'] = int(empty[subset].sum())
        return valid & ~empty

    @staticmethod
    def _select(rows: np.ndarray, indices: Union[int,
                                                 Sequence[int]]) -> np.ndarray:
        """``BaseDataset.get_subset_`` semantics on the row array."""
        if isinstance(indices, int):
            return rows[:indices] if indices >= 0 else rows[indices:]
        return rows[np.asarray(indices, dtype=np.int64)]

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    @force_full_init
    def __len__(self) -> int:
        return len(self._rows)

    @force_full_init
    def get_data_info(self, idx: int) -> Dict[str, Any]:
        """The data info of sample ``idx`` (see the class docstring)."""
        if idx < 0:
            idx += len(self)
        row = int(self._rows[idx])
        x, y, w, h = self._bbox_xywh[row]
        side = max(w, h) * self.bbox_scale_factor
        img_path = osp.join(self.data_prefix['img'],
                            str(self._image_path[row]))
        if self._image_id is not None:
            image_id = self._image_id[row].item()
        else:
            image_id = str(self._image_path[row])
        info = dict(
            img_path=img_path,
            ann_file=self.ann_file,
            sample_idx=idx,
            row_idx=row,
            dataset_name=self.dataset_name,
            image_id=image_id,
            bbox_xywh=self._bbox_xywh[row].copy(),
            bbox_center=np.array([x + w / 2, y + h / 2], dtype=np.float32),
            bbox_scale=np.array([side, side], dtype=np.float32),
            keypoints2d=self._kp2d[row].copy(),
            keypoints2d_img=self._kp2d_img[row].copy(),
            keypoints3d=self._kp3d[row].copy(),
            smpl_pose=self._smpl_pose[row].copy(),
            smpl_betas=self._smpl_betas[row].copy(),
            has_smpl=float(self._has_smpl[row]),
            has_keypoints3d=float(self._has_kp3d[row]),
            flip=False,
            rotation=0.0,
        )
        for key, value in self._camera.items():
            info[key] = value[row].copy()
        for key, value in self._row_meta.items():
            info[key] = str(value[row])
        return info

    @force_full_init
    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep only ``indices`` (see ``BaseDataset.get_subset_``)."""
        self._rows = self._select(self._rows, indices)

    @force_full_init
    def get_subset(self, indices: Union[Sequence[int],
                                        int]) -> 'HumanImageDataset':
        """A copy holding only ``indices``; the label arrays, which no
        method writes, are shared."""
        sub = copy.copy(self)
        sub.num_skipped = dict(self.num_skipped)
        sub._rows = self._select(self._rows, indices)
        return sub

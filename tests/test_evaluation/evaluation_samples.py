"""Data-sample factories and a log catcher shared by the evaluation tests.

Real ``HumanDataSample`` objects with torch fields, as models return them.
"""
import logging

import numpy as np
import torch
from mmengine.logging import MMLogger
from scipy.spatial.transform import Rotation

from hpse_bench.structures import HumanDataSample
from hpse_bench.structures.conventions import H36M_17, LSP_14

NUM_VERTICES = 6890


def make_mesh_samples(num=6, seed=0, with_vertices=True):
    """Real HumanDataSample objects with torch fields (metres)."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(num):
        gt = rng.normal(scale=0.3, size=(17, 3))
        rot = Rotation.random(random_state=seed * 100 + i).as_matrix()
        pred = 1.1 * gt @ rot.T * 0.2 + 0.8 * gt + rng.normal(
            scale=0.05, size=(17, 3)) + rng.normal(size=3)
        conf = np.ones((17, 1))
        if i % 3 == 1:
            conf[[9, 13]] = 0.0  # H36M head, left wrist absent
        sample = HumanDataSample(
            metainfo=dict(sample_idx=i, img_path=f'img_{i:03d}.jpg'))
        sample.pred_keypoints3d = torch.tensor(pred, dtype=torch.float32)
        sample.gt_keypoints3d = torch.tensor(
            np.concatenate([gt, conf], 1), dtype=torch.float32)
        if with_vertices:
            gt_v = rng.normal(scale=0.3, size=(NUM_VERTICES, 3))
            sample.gt_vertices = torch.tensor(gt_v, dtype=torch.float32)
            sample.pred_vertices = torch.tensor(
                gt_v + rng.normal(scale=0.02, size=gt_v.shape) + 0.5,
                dtype=torch.float32)
        samples.append(sample)
    return samples


# H36M-17 -> LSP-14 by joint names (LSP's neck is H36M's thorax).
LSP_INDEX = [H36M_17.index({'neck': 'thorax'}.get(n, n)) for n in LSP_14]


def make_mupots_samples(seed=0):
    """Two sequences of multi-person frames as real HumanDataSamples.

    Frame numbers (``image_id``) restart in each sequence, as MuPoTS-3D's
    do. Includes a frame whose second prediction is far from everyone (an
    unmatched person), a frame whose people are listed in reverse sample
    order, a person without 3D annotation, one with an absent joint, and
    one whose 2D annotation has confidence 0 (the official matching treats
    every joint as visible).
    """
    rng = np.random.default_rng(seed)
    samples, idx = [], 0
    layout = [('TS1', 0, 3), ('TS1', 1, 2), ('TS1', 2, 2), ('TS7', 0, 1),
              ('TS7', 1, 3), ('TS7', 2, 2)]
    for image, (sequence, frame, num_people) in enumerate(layout):
        people = []
        for k in range(num_people):
            gt2d = np.concatenate([
                rng.uniform(100, 200, size=(17, 2)) + 400 * k,
                np.ones((17, 1))
            ], 1)
            gt3d = rng.normal(scale=0.25, size=(17, 3)) + [0, 0, 4.0]
            pred2d = gt2d[:, :2] + rng.normal(scale=15.0, size=(17, 2))
            pred3d = gt3d * rng.uniform(0.9, 1.1) + rng.normal(
                scale=0.06, size=(17, 3)) + 0.3
            conf3d = np.ones((17, 1))
            if image == 1 and k == 1:
                pred2d += 2000.0  # nobody's: this person goes unmatched
            if image == 3:
                gt2d[:, 2] = 0.0  # 2D confidence is not matching visibility
            if image == 4 and k == 2:
                conf3d[:] = 0.0  # not annotated in 3D
            if image == 5 and k == 0:
                conf3d[LSP_INDEX[0]] = 0.0  # one absent joint (right ankle)
            sample = HumanDataSample(
                metainfo=dict(
                    image_id=frame,
                    sequence=sequence,
                    sample_idx=idx,
                    img_path=f'{sequence}/img_{frame:06d}.jpg'))
            sample.gt_keypoints2d_img = torch.tensor(gt2d)
            sample.gt_keypoints3d = torch.tensor(
                np.concatenate([gt3d, conf3d], 1))
            sample.pred_keypoints2d_img = torch.tensor(pred2d)
            sample.pred_keypoints3d = torch.tensor(pred3d)
            people.append(sample)
            idx += 1
        samples.extend(people[::-1] if image == 2 else people)
    return samples


class _Records(logging.Handler):
    """Collects the messages that the metrics log through MMEngine."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def logged(fn, *args):
    """``fn(*args)`` and the messages logged meanwhile."""
    logger = MMLogger.get_current_instance()
    records = _Records()
    logger.addHandler(records)
    try:
        return fn(*args), '\n'.join(records.messages)
    finally:
        logger.removeHandler(records)

"""3D keypoint labels from a sample's SMPL parameters."""
import warnings
from typing import Dict

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS
from hpse_bench.structures.conventions import NUM_BETAS

GENDERS = ('neutral', 'male', 'female')


@TRANSFORMS.register_module()
class SMPLToKeypoints3D(BaseTransform):
    """Fill ``keypoints3d`` (H36M-17) from SMPL where a sample has none.

    Some test sets label people by SMPL parameters only (mmhuman3d's 3DPW
    file holds ``smpl`` but no ``keypoints3d``). The mesh regressors derive
    their ground-truth joints from the mesh themselves; keypoint-only models
    (the integral regressor) need the joints as labels. This transform runs
    the body model on ``smpl_pose`` / ``smpl_betas`` of every sample with
    ``has_smpl`` and without ``has_keypoints3d`` and writes the H36M-17
    joints (body frame, confidence 1). The joints carry the SMPL global
    orientation but no translation; the metrics align at the pelvis.

    Put it before :class:`TopdownHumanAffine` and :class:`RandomHumanFlip`
    so that augmentations move the new labels like the others.

    Args:
        smpl_root: ``'embedded'`` or a folder laid out like mmhuman3d's
            ``data/body_models``.
        use_gender: run the sample's ``gender`` model (``'male'`` /
            ``'female'``, as 3DPW's ground truth) when the folder has it;
            ``'neutral'`` otherwise. A folder without that gender's model
            falls back to the neutral one, with a warning.
    """

    def __init__(self,
                 smpl_root: str = 'embedded',
                 use_gender: bool = True) -> None:
        self.smpl_root = smpl_root
        self.use_gender = use_gender
        # Built on first use: a transform is pickled into every worker.
        self._models: Dict[str, torch.nn.Module] = {}

    def _model(self, gender: str) -> torch.nn.Module:
        if gender not in self._models:
            from hpse_bench.body_models import SMPL
            self._models[gender] = SMPL(self.smpl_root, gender=gender)
        return self._models[gender]

    def _gender(self, results: dict) -> str:
        if not self.use_gender:
            return 'neutral'
        gender = str(results.get('gender', 'neutral')).lower()
        gender = dict(m='male', f='female', n='neutral').get(gender, gender)
        if gender not in GENDERS:
            raise ValueError(
                f'{results.get("img_path", "sample")}: unknown gender '
                f'"{results.get("gender")}"; expected one of {GENDERS} '
                'or m/f/n')
        return gender

    def transform(self, results: dict) -> dict:
        if float(results.get('has_keypoints3d', 0)) > 0:
            return results
        if float(results.get('has_smpl', 0)) <= 0:
            return results
        gender = self._gender(results)
        try:
            model = self._model(gender)
        except FileNotFoundError as e:
            if gender == 'neutral':
                raise
            # Said once per gender: the labels are then approximate.
            warnings.warn(f'{e} Using the neutral model for "{gender}" '
                          'samples; their 3D keypoint labels are '
                          'approximate.')
            self._models[gender] = self._model('neutral')
            model = self._models[gender]
        pose = torch.as_tensor(
            np.asarray(results['smpl_pose'], np.float32)).reshape(1, -1)
        betas = torch.as_tensor(
            np.asarray(results['smpl_betas'], np.float32)).reshape(
                1, NUM_BETAS)
        with torch.no_grad():
            joints = model(
                betas=betas,
                body_pose=pose[:, 3:],
                global_orient=pose[:, :3],
                pose2rot=True)['keypoints_h36m17'][0].numpy()
        kp3d = np.ones((joints.shape[0], 4), np.float32)
        kp3d[:, :3] = joints
        results['keypoints3d'] = kp3d
        results['has_keypoints3d'] = 1.0
        return results

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_models'] = {}
        return state

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(smpl_root='{self.smpl_root}', "
                f'use_gender={self.use_gender})')

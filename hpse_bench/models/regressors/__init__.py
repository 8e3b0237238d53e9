from .base_mesh_regressor import BaseMeshRegressor
from .base_regressor import BaseRegressor
from .hmr import HMR
from .integral_pose import IntegralPoseRegressor
from .pare import PARE
from .pymaf import PyMAF
from .smplify import SMPLify

__all__ = [
    'BaseRegressor', 'BaseMeshRegressor', 'HMR', 'PARE', 'PyMAF',
    'IntegralPoseRegressor', 'SMPLify'
]

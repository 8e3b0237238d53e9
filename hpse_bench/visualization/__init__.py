"""Drawing people: meshes, keypoints, part maps and DensePose.

- :class:`HumanMeshVisualizer`: the MMEngine ``Visualizer`` of hpse_bench
  (``visualizer = dict(type='HumanMeshVisualizer')`` in a config);
- :func:`add_camera_predictions`: places a regressor's predicted meshes in
  the camera of their crop and in the original image, for drawing;
- :func:`draw_pipeline_sample`: what a data pipeline hands to a model
  (``tools/analysis_tools/browse_dataset.py``);
- :func:`render_meshes`: the CPU mesh painter behind them.
"""
from .human_mesh_visualizer import HumanMeshVisualizer
from .mesh_camera import (CAMERA_FIELDS, add_camera_predictions,
                          crop_camera_to_image, is_mesh_regressor)
from .mesh_rendering import (project_points, render_meshes,
                             rotate_about_vertical)
from .pipeline_drawing import crop_outline, draw_pipeline_sample, input_images
from .side_view import skeleton_side_view, turned_meshes

__all__ = [
    'HumanMeshVisualizer', 'skeleton_side_view', 'CAMERA_FIELDS',
    'add_camera_predictions', 'crop_camera_to_image', 'is_mesh_regressor',
    'project_points', 'render_meshes', 'rotate_about_vertical', 'crop_outline',
    'draw_pipeline_sample', 'input_images', 'turned_meshes'
]

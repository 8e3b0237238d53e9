"""The mesh painter and the cameras it draws with, against hand-worked
geometry and OpenCV's own polygon fill."""
import cv2
import numpy as np
import pytest

from hpse_bench.datasets.transforms.geometry import get_crop_warp_matrix
from hpse_bench.visualization import (crop_camera_to_image, project_points,
                                      render_meshes, rotate_about_vertical)

K = np.array([[100.0, 0.0, 32.0], [0.0, 100.0, 24.0], [0.0, 0.0, 1.0]])
QUAD_FACES = np.array([[0, 1, 2], [0, 2, 3]])


def square(x0, y0, side, z):
    """A square facing the camera, as 4 camera-frame corners."""
    return np.array([[x0, y0, z], [x0 + side, y0, z],
                     [x0 + side, y0 + side, z], [x0, y0 + side, z]])


def test_project_points_is_the_pinhole_formula():
    pts = np.array([[0.1, -0.2, 2.0], [0.0, 0.0, 5.0]])
    expected = np.array([[100 * 0.1 / 2 + 32, 100 * -0.2 / 2 + 24],
                         [32.0, 24.0]])
    np.testing.assert_allclose(project_points(pts, K), expected)


def test_rotate_about_vertical_turns_x_into_depth():
    centre = np.array([0.0, 0.0, 10.0])
    pts = np.array([[1.0, 0.5, 10.0]])
    turned = rotate_about_vertical(pts, 90.0, centre)
    # +x turns to -z about the y axis (right-handed, y down): x' = z, z' = -x
    np.testing.assert_allclose(turned, [[0.0, 0.5, 9.0]], atol=1e-12)


@pytest.mark.parametrize('order', [(0, 1), (1, 0)])
def test_nearer_mesh_wins_where_meshes_overlap(order):
    # Two squares overlapping on screen; the near one (z=2) is red.
    far = (square(-0.2, -0.2, 0.3, 4.0) * [2, 2, 1], K)
    near = (square(0.0, 0.0, 0.15, 2.0), K)
    meshes = [far, near]
    colors = [(0, 0, 255), (255, 0, 0)]
    image = np.zeros((48, 64, 3), np.uint8)
    drawn, mask = render_meshes(image, [meshes[i] for i in order], QUAD_FACES,
                                [colors[i] for i in order])
    # A pixel inside both squares: near covers x, y in [32, 39.5],
    # far covers [22, 37]: (35, 28) lies in both.
    assert drawn[28, 35, 0] > 0 and drawn[28, 35, 2] == 0
    # Only the far square there, and nothing outside both.
    assert drawn[24, 25, 2] > 0 and drawn[24, 25, 0] == 0
    assert not mask[5, 5] and (drawn[5, 5] == 0).all()


def test_mask_is_the_union_of_the_projected_triangles():
    rng = np.random.default_rng(0)
    verts = np.concatenate(
        [rng.uniform(-0.3, 0.3, (30, 2)),
         rng.uniform(2.0, 3.0, (30, 1))],
        axis=1)
    faces = rng.integers(0, 30, (40, 3))
    _, mask = render_meshes(
        np.zeros((48, 64, 3), np.uint8), [(verts, K)], faces, [(9, 9, 9)])
    expected = np.zeros((48, 64), np.uint8)
    pix = project_points(verts, K)
    for tri in pix[faces]:
        cv2.fillConvexPoly(expected,
                           np.round(tri * 16).astype(np.int32), 1, cv2.LINE_8,
                           4)
    assert (mask == expected.astype(bool)).all()


def test_alpha_blends_over_the_image():
    image = np.full((48, 64, 3), 100, np.uint8)
    drawn, mask = render_meshes(
        image, [(square(-0.1, -0.1, 0.2, 2.0), K)],
        QUAD_FACES, [(200, 200, 200)],
        alpha=0.5)
    # Facing the camera: shade 0.3 + 0.7 * |n . l| with l = (0,-.35,-1)/norm
    shade = 0.3 + 0.7 * (1 / np.sqrt(1 + 0.35**2))
    expected = np.rint(0.5 * 200 * shade + 0.5 * 100)
    assert np.abs(drawn[mask].astype(float) - expected).max() <= 1
    assert (drawn[~mask] == 100).all()


def test_crop_camera_maps_through_the_inverse_crop_warp():
    centre, side, crop = (300.0, 200.0), 250.0, (128, 128)
    warp = get_crop_warp_matrix(centre, (side, side), 30.0, crop)
    k_img = crop_camera_to_image(5000.0, crop, warp)
    pts = np.array([[0.1, 0.3, 80.0], [-0.4, 0.2, 90.0]])
    # By hand: crop pixels of the crop camera, then x = A^-1 (x' - b).
    crop_px = 5000.0 * pts[:, :2] / pts[:, 2:] + 64.0
    a, b = warp[:, :2].astype(np.float64), warp[:, 2].astype(np.float64)
    expected = (crop_px - b) @ np.linalg.inv(a).T
    np.testing.assert_allclose(project_points(pts, k_img), expected, atol=1e-6)

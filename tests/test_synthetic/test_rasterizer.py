"""The z-buffer rasteriser against per-pixel references on simple meshes."""
import numpy as np
import pytest
from ray_casting import RayCaster

from hpse_bench.synthetic.primitives import box_mesh, ellipsoid_mesh
from hpse_bench.synthetic.rasterizer import rasterize_meshes, vertex_normals

FOCAL, CENTER, SIZE = 100.0, (32.0, 24.0), (48, 64)


def project(p):
    return np.asarray(p)[..., :2] / np.asarray(p)[..., 2:] * FOCAL + CENTER


def ray_cast(meshes, size=SIZE):
    """Reference maps (mesh id, face id, depth) by per-pixel ray casting."""
    return RayCaster(meshes, FOCAL, CENTER).cast_image(size)


def test_single_triangle_coverage_depth_and_barycentrics():
    # A slanted triangle with corners off the pixel grid (no ties).
    tri = np.array([[-0.21, -0.13, 1.0], [0.27, -0.05, 1.6],
                    [0.03, 0.19, 1.3]])
    faces = np.array([[0, 1, 2]])
    for order in (faces, faces[:, ::-1]):
        frags = rasterize_meshes([(tri, order)], FOCAL, CENTER, SIZE,
                                 cull_backfaces=False)
        ref_mesh, _, ref_depth = ray_cast([(tri, order)])
        np.testing.assert_array_equal(frags.mesh_id, ref_mesh)
        covered = ref_mesh >= 0
        assert covered.sum() > 50
        np.testing.assert_allclose(frags.depth[covered], ref_depth[covered],
                                   rtol=1e-6)
        assert np.all(np.isinf(frags.depth[~covered]))
        # The barycentric combination of the corners is the surface point
        # seen at the pixel: it projects onto the pixel centre.
        rows, cols = np.nonzero(covered)
        bary = frags.bary[rows, cols].astype(np.float64)
        np.testing.assert_allclose(bary.sum(1), 1, atol=1e-6)
        assert bary.min() >= -1e-6
        points = bary @ tri[order[0]]
        np.testing.assert_allclose(
            project(points), np.stack([cols, rows], 1), atol=1e-4)
        np.testing.assert_allclose(points[:, 2], frags.depth[rows, cols],
                                   rtol=1e-6)


def test_backface_culling_drops_faces_turned_away():
    tri = np.array([[-0.2, -0.1, 1.0], [0.2, -0.1, 1.0], [0.0, 0.2, 1.0]])
    # Normal (v1 - v0) x (v2 - v0) = +z: away from the camera.
    away = np.array([[0, 1, 2]])
    towards = away[:, ::-1]
    assert not rasterize_meshes([(tri, away)], FOCAL, CENTER,
                                SIZE).foreground.any()
    assert rasterize_meshes([(tri, towards)], FOCAL, CENTER,
                            SIZE).foreground.any()
    assert rasterize_meshes([(tri, away)], FOCAL, CENTER, SIZE,
                            cull_backfaces=False).foreground.any()


def test_closed_mesh_culling_changes_nothing():
    v, f = ellipsoid_mesh([0.05, -0.02, 2.0], [0.5, 0.35, 0.4],
                          subdivisions=3)
    culled = rasterize_meshes([(v, f)], FOCAL, CENTER, SIZE)
    full = rasterize_meshes([(v, f)], FOCAL, CENTER, SIZE,
                            cull_backfaces=False)
    assert culled.foreground.sum() > 500
    np.testing.assert_array_equal(culled.face_id, full.face_id)
    np.testing.assert_array_equal(culled.depth, full.depth)


def test_occlusion_between_meshes_matches_ray_casting():
    # An ellipsoid partly hidden behind a box, and a second ellipsoid
    # behind both: the nearest surface must win whatever the mesh order.
    rng = np.random.default_rng(0)
    rotation = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    if np.linalg.det(rotation) < 0:
        rotation[:, 0] *= -1
    meshes = [
        ellipsoid_mesh([0.0, 0.0, 2.0], [0.45, 0.3, 0.3], rotation, 2),
        box_mesh([0.25, 0.1, 1.5], [0.2, 0.15, 0.1], rotation),
        ellipsoid_mesh([-0.3, -0.1, 2.6], [0.4, 0.4, 0.3], None, 1),
    ]
    frags = rasterize_meshes(meshes, FOCAL, CENTER, SIZE)
    ref_mesh, ref_face, ref_depth = ray_cast(meshes)
    assert set(np.unique(ref_mesh)) == {-1, 0, 1, 2}
    same = frags.mesh_id == ref_mesh
    # Rays through a shared edge may pick either face; only such ties may
    # differ, and then at the same depth.
    assert same.mean() > 0.995
    both = (frags.mesh_id >= 0) & (ref_mesh >= 0)
    np.testing.assert_allclose(frags.depth[both], ref_depth[both],
                               rtol=1e-6)
    agree = same & (frags.face_id == ref_face)
    assert agree[both].mean() > 0.99

    reversed_order = rasterize_meshes(meshes[::-1], FOCAL, CENTER, SIZE)
    remap = np.array([2, 1, 0, -1])  # index -1 maps background to itself
    np.testing.assert_array_equal(remap[reversed_order.mesh_id],
                                  frags.mesh_id)


def test_image_border_and_near_plane():
    # A box crossing the left image border: only the inside is drawn.
    v, f = box_mesh([-0.35, 0.0, 1.0], [0.2, 0.1, 0.05])
    frags = rasterize_meshes([(v, f)], FOCAL, CENTER, SIZE)
    ref_mesh, _, _ = ray_cast([(v, f)])
    np.testing.assert_array_equal(frags.mesh_id, ref_mesh)
    assert frags.foreground[:, 0].any()
    # Faces with a vertex behind the near plane are dropped, not wrapped.
    behind = np.array([[0.0, 0.0, -1.0], [0.1, 0.0, 1.0], [0.0, 0.1, 1.0]])
    frags = rasterize_meshes([(behind, np.array([[0, 2, 1]]))], FOCAL,
                             CENTER, SIZE, cull_backfaces=False)
    assert not frags.foreground.any()


def test_vertex_normals_of_a_sphere_point_outwards():
    v, f = ellipsoid_mesh([0, 0, 0], [1, 1, 1], subdivisions=2)
    n = vertex_normals(v, f)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1, atol=1e-9)
    # On a unit sphere the normal is the position (up to faceting).
    assert np.min(np.einsum('vc,vc->v', n, v)) > 0.99


@pytest.mark.parametrize('bad', [
    dict(meshes=[]),
    dict(meshes=[(np.zeros((3, 2)), np.array([[0, 1, 2]]))]),
    dict(meshes=[(np.zeros((3, 3)), np.array([0, 1, 2]))]),
    dict(image_size=(0, 10)),
])
def test_bad_input_is_rejected(bad):
    args = dict(
        meshes=[(np.eye(3) + [0, 0, 1], np.array([[0, 1, 2]]))],
        focal_length=FOCAL,
        principal_point=CENTER,
        image_size=SIZE)
    args.update(bad)
    with pytest.raises(ValueError):
        rasterize_meshes(**args)

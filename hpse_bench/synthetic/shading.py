"""Shading: Lambert light on the textured people and the flat-coloured
occluders, composited over the background."""
import cv2
import numpy as np

from .rasterizer import Fragments, vertex_normals
from .scene import Scene
from .textures import BodySurface, albedo, fabric_noise


def lambert(normals: np.ndarray, light_dir: np.ndarray, ambient: float,
            light_color: np.ndarray) -> np.ndarray:
    """Lambertian irradiance ``ambient + max(0, n . l) * light``, ``(N, 3)``;
    the shaded colour is the albedo times it.

    Args:
        normals: ``(N, 3)`` normals (camera frame), any length.
        light_dir: ``(3,)`` unit vector from the surface towards the light.
        ambient: ambient intensity.
        light_color: ``(3,)`` intensity of the directional light.
    """
    nx, ny, nz = normals[:, 0], normals[:, 1], normals[:, 2]
    length = np.sqrt(nx * nx + ny * ny + nz * nz)
    cosine = nx * light_dir[0] + ny * light_dir[1] + nz * light_dir[2]
    diffuse = np.clip(cosine / np.maximum(length, 1e-8), 0, None)[:, None]
    return (ambient + diffuse * light_color).astype(np.float32)


def shade(scene: Scene, frags: Fragments, surface: BodySurface,
          incidence: np.ndarray) -> np.ndarray:
    """Composite the background, the shaded people and the occluders.

    Args:
        scene: the scene (people first in the fragments' mesh ids, then
            occluders).
        frags: its rasteriser output.
        surface: the body mesh's texturing facts.
        incidence: ``vertex_face_incidence`` of the body mesh.

    Returns:
        ``(H, W, 3)`` uint8 RGB.
    """
    image = scene.background.astype(np.float32) * (1 / 255.0)
    light = scene.light
    faces = surface.faces
    num_people = len(scene.people)
    flat_mesh = frags.mesh_id.reshape(-1)
    out = image.reshape(-1, 3)
    for i in range(num_people):
        sel = np.flatnonzero(flat_mesh == i)
        if len(sel) == 0:
            continue
        app = scene.appearances[i]
        # Smooth quantities are computed per vertex (Gouraud) and
        # interpolated; patterns need the per-pixel rest position.
        normals = vertex_normals(scene.posed['vertices'][i].astype(np.float32),
                                 faces, incidence)
        per_vertex = np.concatenate([
            surface.rest_vertices,
            fabric_noise(app, surface.rest_vertices)[:, None],
            lambert(normals, light.direction, light.ambient, light.color)
        ],
                                    axis=1).astype(np.float32)
        face = frags.face_id.reshape(-1)[sel]
        bary = frags.bary.reshape(-1, 3)[sel]
        values = np.einsum('nk,nkc->nc', bary, per_vertex[faces[face]])
        rgb = albedo(app, app.face_region[face], values[:, :3], values[:, 3],
                     surface.face_charts[face])
        out[sel] = rgb * values[:, 4:]
    for k, occ in enumerate(scene.occluders):
        sel = np.flatnonzero(flat_mesh == num_people + k)
        if len(sel) == 0:
            continue
        tri = occ.vertices[occ.faces[frags.face_id.reshape(-1)[sel]]]
        n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        out[sel] = occ.color * lambert(n, light.direction, light.ambient,
                                       light.color)
    # A slight blur stands in for anti-aliasing at silhouettes.
    image = cv2.GaussianBlur(image, (0, 0), 0.6)
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)

"""Felzenszwalb-Huttenlocher graph segmentation and the DetCon transform
that gives each crop its unsupervised segments."""
from typing import List, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hpse_bench.registry import TRANSFORMS


def _grid_edges(image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """8-connected pixel-grid edges ``(E, 2)`` and their colour distances."""
    h, w = image.shape[:2]
    idx = np.arange(h * w).reshape(h, w)
    pairs = [
        (idx[:, :-1], idx[:, 1:]),  # right
        (idx[:-1, :], idx[1:, :]),  # down
        (idx[:-1, :-1], idx[1:, 1:]),  # down-right
        (idx[:-1, 1:], idx[1:, :-1]),  # down-left
    ]
    edges = np.concatenate(
        [np.stack([a.ravel(), b.ravel()], axis=1) for a, b in pairs])
    flat = image.reshape(h * w, -1)
    weights = np.linalg.norm(flat[edges[:, 0]] - flat[edges[:, 1]], axis=1)
    return edges, weights


def _smoothed_image(image: np.ndarray, sigma: float) -> np.ndarray:
    """The image as float32 ``(H, W, C)``, Gaussian-smoothed by ``sigma``.

    Raises:
        ValueError: not an ``(H, W[, C])`` image, or an empty one.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f'expected an (H, W[, C]) image, got {img.shape}')
    if sigma > 0:
        # cv2 drops a single channel; put it back.
        img = cv2.GaussianBlur(img, (0, 0), sigma).reshape(img.shape)
    return img


def _merge_components(num_pixels: int, src: List[int], dst: List[int],
                      weights: List[float], scale: float,
                      min_size: int) -> np.ndarray:
    """Union-find passes of the segmentation over edges in Kruskal order.

    The first pass merges two components when the edge is no heavier than
    either one's internal difference plus ``scale / size`` (Eq. 4 of the
    paper); the second merges components smaller than ``min_size`` along
    the cheapest edges. The passes are sequential, so they run on Python
    lists, which index faster than numpy arrays one element at a time.

    Args:
        num_pixels: number of nodes.
        src: first pixel of each edge, in increasing weight.
        dst: second pixel of each edge.
        weights: each edge's weight, increasing.
        scale: ``k`` of the paper.
        min_size: minimum component size in pixels.

    Returns:
        np.ndarray: ``(num_pixels,)`` int64 root pixel of each pixel.
    """
    parent = list(range(num_pixels))
    size = [1] * num_pixels
    internal = [0.0] * num_pixels

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: int, b: int, weight: float) -> None:
        if size[a] < size[b]:
            a, b = b, a
        parent[b] = a
        size[a] += size[b]
        # Edges come in increasing order, so this is the component's MST
        # maximum, i.e. its internal difference Int(C).
        internal[a] = weight

    for a, b, weight in zip(src, dst, weights):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if (weight <= internal[ra] + scale / size[ra]
                and weight <= internal[rb] + scale / size[rb]):
            union(ra, rb, weight)
    for a, b, weight in zip(src, dst, weights):
        ra, rb = find(a), find(b)
        if ra != rb and (size[ra] < min_size or size[rb] < min_size):
            union(ra, rb, weight)
    return np.fromiter((find(i) for i in range(num_pixels)),
                       dtype=np.int64,
                       count=num_pixels)


def _raster_order_ids(roots: np.ndarray) -> np.ndarray:
    """Segment ids ``0..S-1`` of each pixel's root, numbered in raster order
    of each segment's first pixel, so that ids do not depend on the order
    in which components were merged."""
    _, first, inverse = np.unique(
        roots, return_index=True, return_inverse=True)
    rank = np.empty_like(first)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse]


def felzenszwalb_segmentation(image: np.ndarray,
                              scale: float = 60.0,
                              sigma: float = 0.8,
                              min_size: int = 20) -> np.ndarray:
    """Graph-based segmentation of Felzenszwalb and Huttenlocher (IJCV 2004).

    Pixels are the nodes of an 8-connected grid, edge weights the Euclidean
    colour distance after Gaussian smoothing. Edges are visited in
    increasing weight (Kruskal order); two components merge when the edge is
    no heavier than either one's internal difference plus ``scale / size``
    (Eq. 4 of the paper). Components smaller than ``min_size`` then merge
    into their neighbours along the cheapest edges.

    The graph is built with numpy; the union-find pass is inherently
    sequential and runs in Python, so call it on a small image (DetCon's
    masks are computed once per crop).

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` image, values in 0..255.
        scale: ``k`` of the paper; larger means larger segments.
        sigma: Gaussian smoothing before the distances (0 disables it).
        min_size: minimum segment size in pixels.

    Returns:
        np.ndarray: ``(H, W)`` int32 segment ids ``0..S-1``, numbered in
        raster order of their first pixel.
    """
    img = _smoothed_image(image, sigma)
    h, w = img.shape[:2]
    edges, weights = _grid_edges(img)
    # A stable sort keeps equal-weight edges in grid order: deterministic.
    order = np.argsort(weights, kind='stable')
    roots = _merge_components(h * w, edges[order, 0].tolist(),
                              edges[order, 1].tolist(),
                              weights[order].tolist(), scale, min_size)
    return _raster_order_ids(roots).reshape(h, w).astype(np.int32)


@TRANSFORMS.register_module()
class FelzenszwalbSegments(BaseTransform):
    """Unsupervised segments of the un-augmented crop for DetCon.

    Henaff et al., ICCV 2021, Sec. 3.2: DetCon's "FH" masks come from
    Felzenszwalb-Huttenlocher segmentation (their ImageNet setting:
    scale 1000, min_size 1000 at 224x224). Here the crop is first shrunk so
    that its longer side is ``max_side`` pixels (a few milliseconds in
    Python), segmented, and the ids are scaled back to full size with
    nearest-neighbour interpolation. The default ``scale`` / ``min_size``
    are DetCon's values scaled by the pixel-count ratio for a 64x48 crop
    (1000 * 3072 / 50176 ~ 60).
    Only the ``max_segments`` largest segments are kept (DetCon samples a
    fixed number of masks per image); other pixels get -1 and pool into no
    mask. Put this transform before :class:`KeypointMultiView`, which warps
    the segments with each view.

    Required keys: ``img``. Added keys: ``segments`` (H, W) int32 in
    ``-1..max_segments-1``.

    Args:
        max_side: longer side of the image that is segmented.
        scale: FH ``k`` at that size.
        sigma: Gaussian smoothing at that size.
        min_size: minimum segment size in pixels at that size.
        max_segments: keep this many largest segments.
    """

    def __init__(self,
                 max_side: int = 64,
                 scale: float = 60.0,
                 sigma: float = 0.8,
                 min_size: int = 60,
                 max_segments: int = 16) -> None:
        if max_side < 2 or max_segments < 1:
            raise ValueError('max_side must be >= 2 and max_segments >= 1')
        self.max_side = max_side
        self.scale = scale
        self.sigma = sigma
        self.min_size = min_size
        self.max_segments = max_segments

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        factor = self.max_side / max(h, w)
        small_w = max(int(round(w * factor)), 1)
        small_h = max(int(round(h * factor)), 1)
        small = cv2.resize(
            img, (small_w, small_h), interpolation=cv2.INTER_AREA)
        labels = felzenszwalb_segmentation(small, self.scale, self.sigma,
                                           self.min_size)
        areas = np.bincount(labels.ravel())
        keep = np.argsort(-areas, kind='stable')[:self.max_segments]
        remap = np.full(len(areas), -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        labels = remap[labels]
        results['segments'] = cv2.resize(
            labels.astype(np.float32), (w, h),
            interpolation=cv2.INTER_NEAREST).astype(np.int32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_side={self.max_side}, '
                f'scale={self.scale}, sigma={self.sigma}, '
                f'min_size={self.min_size}, '
                f'max_segments={self.max_segments})')

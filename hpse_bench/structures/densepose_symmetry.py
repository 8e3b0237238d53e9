"""Left-right symmetry of DensePose labels, used by horizontal flips."""
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

from .conventions import DENSEPOSE_CHARTS, DENSEPOSE_COARSE_PARTS


def _mirror_name(name: str) -> str:
    """Swap the ``left``/``right`` word of a part name (``head_left`` ->
    ``head_right``); names without a side map to themselves."""
    words = name.split('_')
    swap = {'left': 'right', 'right': 'left'}
    return '_'.join(swap.get(w, w) for w in words)


def mirror_label_permutation(names: Sequence[str]) -> np.ndarray:
    """Label permutation of a horizontal flip for 1-based part labels.

    Args:
        names: part names in label order (label ``i + 1`` is ``names[i]``).

    Returns:
        ``(len(names) + 1,)`` int64 array ``p`` with ``p[0] = 0``
        (background) and ``p[label]`` the label of the mirrored part.
    """
    index = {n: i for i, n in enumerate(names)}
    perm = [0]
    for n in names:
        mirrored = _mirror_name(n)
        if mirrored not in index:
            raise KeyError(f'part "{n}" has no mirrored part "{mirrored}"')
        perm.append(index[mirrored] + 1)
    return np.asarray(perm, dtype=np.int64)


class DensePoseSymmetry:
    """What a horizontal flip does to DensePose labels.

    A mirror image of a person is a person whose left and right are swapped,
    so a flip must (Gueler et al., CVPR 2018; detectron2's DensePose
    ``DensePoseTransformData``):

    - swap the 24 surface charts (``dp_I``) and the 14 coarse parts
      (``dp_masks``) of the left and right side. Both permutations are derived
      from the part names in
      :mod:`hpse_bench.structures.conventions`, and equal detectron2's
      ``POINT_LABEL_SYMMETRIES`` and ``MASK_LABEL_SYMMETRIES``;
    - map the chart coordinates ``(U, V)`` of a point on chart ``c`` to the
      coordinates of the mirrored surface point on chart ``flip(c)``. How
      depends on how the charts are parametrised (``uv_symmetry``):

      * a path to DensePose's ``UV_symmetry_transforms.mat`` (the SMPL-based
        charts of COCO-DensePose): per-chart 256 x 256 look-up tables
        ``U_transforms`` / ``V_transforms`` indexed by ``(V * 255, U * 255)``,
        as detectron2 does. Required for real COCO-DensePose data.
      * ``'embedded'``: the charts of hpse_bench's embedded body model (and
        so of the embedded synthetic data). Every part there is a capsule
        around an axis, ``V`` the position along the axis and ``U`` a
        function of the angle ``theta`` around it; right parts are the
        mirror images of left ones and the midline parts are symmetric, so a
        mirror keeps ``V`` and maps ``theta`` to ``-theta``. ``U`` is odd in
        ``theta`` on the limbs, torso and feet (``U -> 1 - U``) and even on
        the hands (``1/2 + cos(theta)/2``) and the head (``|theta| / pi``),
        where it is kept.
      * ``'mirror_u'``: ``U -> 1 - U`` on every chart, ``V`` kept.
      * ``'keep'``: ``U`` and ``V`` unchanged, e.g. for tasks that do not
        use them (part segmentation).

    Every variant is an involution on the labels; all but the look-up
    tables (exact up to their 1/255 quantisation) are involutions on
    ``(U, V)`` too.

    Args:
        uv_symmetry: ``'embedded'``, ``'mirror_u'``, ``'keep'`` or the path
            of a ``UV_symmetry_transforms.mat`` file.
    """

    MODES = ('embedded', 'mirror_u', 'keep')
    # Embedded charts whose U is even in the angle around the part's axis.
    EMBEDDED_U_KEPT = ('hand', 'head')

    def __init__(self, uv_symmetry: str) -> None:
        self.uv_symmetry = uv_symmetry
        self.chart_flip = mirror_label_permutation(DENSEPOSE_CHARTS)
        self.coarse_flip = mirror_label_permutation(DENSEPOSE_COARSE_PARTS)
        # Charts (1..24) whose U a mirror reverses, for the analytic modes.
        self._u_reversed = np.zeros(len(DENSEPOSE_CHARTS) + 1, dtype=bool)
        if uv_symmetry == 'mirror_u':
            self._u_reversed[1:] = True
        elif uv_symmetry == 'embedded':
            self._u_reversed[1:] = [
                not any(w in name.split('_') for w in self.EMBEDDED_U_KEPT)
                for name in DENSEPOSE_CHARTS
            ]
        self._uv_tables = None
        if uv_symmetry not in self.MODES:
            self._uv_tables = self._load_uv_tables(uv_symmetry,
                                                   len(DENSEPOSE_CHARTS))

    @staticmethod
    def _load_uv_tables(path: str,
                        num_charts: int) -> Tuple[np.ndarray, np.ndarray]:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'DensePose UV symmetry file not found: {path}. Give '
                f'uv_symmetry one of {DensePoseSymmetry.MODES} or the path '
                'of UV_symmetry_transforms.mat from the DensePose project.')
        from scipy.io import loadmat
        mat = loadmat(path)
        tables: List[np.ndarray] = []
        for key in ('U_transforms', 'V_transforms'):
            if key not in mat:
                raise KeyError(f'{path} has no "{key}" entry; is it '
                               'DensePose\'s UV_symmetry_transforms.mat?')
            cells = mat[key].reshape(-1)
            if len(cells) != num_charts:
                raise ValueError(
                    f'{path}: "{key}" holds {len(cells)} tables, expected '
                    f'one per DensePose chart ({num_charts})')
            tables.append(
                np.stack([np.asarray(c, dtype=np.float32) for c in cells]))
        return tables[0], tables[1]

    def flip_charts(self, charts: np.ndarray) -> np.ndarray:
        """Chart labels (1..24, 0 = background) of the mirrored points."""
        return self.chart_flip[np.asarray(charts, dtype=np.int64)]

    def flip_coarse(self, labels: np.ndarray) -> np.ndarray:
        """Coarse part labels (0..14) of a mirrored label map, same dtype."""
        labels = np.asarray(labels)
        return self.coarse_flip.astype(labels.dtype)[labels]

    def flip_uv(self, charts: np.ndarray, u: np.ndarray,
                v: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Chart coordinates of the mirrored points.

        Args:
            charts: ``(N,)`` chart labels 1..24 *before* the flip.
            u, v: ``(N,)`` coordinates in ``[0, 1]``.

        Returns:
            ``(u, v)`` on the mirrored charts, float32.
        """
        u = np.asarray(u, dtype=np.float32)
        v = np.asarray(v, dtype=np.float32)
        charts = np.asarray(charts, dtype=np.int64)
        if self._uv_tables is None:
            reverse = self._u_reversed[charts]
            return np.where(reverse, 1.0 - u, u).astype(np.float32), v.copy()
        u_tables, v_tables = self._uv_tables
        c = charts - 1
        iu = np.clip((u * 255).astype(np.int64), 0, 255)
        iv = np.clip((v * 255).astype(np.int64), 0, 255)
        return u_tables[c, iv, iu], v_tables[c, iv, iu]

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(uv_symmetry={self.uv_symmetry!r})'

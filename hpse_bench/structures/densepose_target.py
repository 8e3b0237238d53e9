"""DensePose ground truth of a person crop and its batched form."""
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor


@dataclass
class PackedDensePoseTargets:
    """The DensePose targets of a batch, padded to a common point count.

    Attributes:
        points: ``(B, P, 2)`` float x, y in network-input pixels.
        charts: ``(B, P)`` int64 chart labels 1..24 (0 at padding).
        u: ``(B, P)`` float chart coordinate U.
        v: ``(B, P)`` float chart coordinate V.
        point_mask: ``(B, P)`` bool, True for annotated points.
        coarse_segm: ``(B, H, W)`` int64 coarse part labels 0..14.
        has_densepose: ``(B,)`` bool, False for people without DensePose
            annotation (their masks and points are ignored).
    """
    points: Tensor
    charts: Tensor
    u: Tensor
    v: Tensor
    point_mask: Tensor
    coarse_segm: Tensor
    has_densepose: Tensor

    @property
    def num_points(self) -> int:
        """Number of annotated points in the batch."""
        return int(self.point_mask.sum())


class DensePoseTarget(BaseDataElement):
    """DensePose ground truth of one person crop (Gueler et al., CVPR 2018).

    All geometry is in the pixels of the network input (the top-down crop);
    ``PackDensePoseInputs`` builds it at the end of the data pipeline.

    Data fields:
        points (Tensor): ``(N, 2)`` float32, x and y of the annotated points.
        charts (Tensor): ``(N,)`` int64, surface chart ``I`` in 1..24
            (``DENSEPOSE_CHARTS`` order).
        u (Tensor): ``(N,)`` float32, chart coordinate ``U`` in [0, 1].
        v (Tensor): ``(N,)`` float32, chart coordinate ``V`` in [0, 1].
        coarse_segm (Tensor): ``(H, W)`` uint8 label map of the 14 coarse
            parts (``DENSEPOSE_COARSE_PARTS`` order, 1..14; 0 background).
        has_densepose (Tensor): ``()`` bool; False for a person without
            DensePose annotation, whose other fields are empty or zero and
            must be ignored.
    """

    @property
    def num_points(self) -> int:
        return int(self.charts.numel())

    @classmethod
    def pack(cls,
             targets: Sequence['DensePoseTarget'],
             device: Optional[Union[str, torch.device]] = None
             ) -> PackedDensePoseTargets:
        """Stack per-crop targets into padded batch tensors.

        The point dimension is padded to the largest count in the batch and
        to at least one, so that a batch without any point still yields
        tensors the losses can sample from (with an all-False mask).

        Args:
            targets: one target per crop; all ``coarse_segm`` the same size.
            device: where the tensors go; defaults to the first target's.
        """
        if len(targets) == 0:
            raise ValueError('cannot pack an empty list of DensePose targets')
        if device is None:
            device = targets[0].coarse_segm.device
        sizes = {tuple(t.coarse_segm.shape) for t in targets}
        if len(sizes) != 1:
            raise ValueError('DensePose targets of one batch must share the '
                             f'coarse_segm size; got {sorted(sizes)}')
        batch = len(targets)
        num = max([1] + [t.num_points for t in targets])
        points = torch.zeros(batch, num, 2)
        charts = torch.zeros(batch, num, dtype=torch.long)
        u = torch.zeros(batch, num)
        v = torch.zeros(batch, num)
        mask = torch.zeros(batch, num, dtype=torch.bool)
        for i, t in enumerate(targets):
            n = t.num_points
            if n == 0 or not bool(t.has_densepose):
                continue
            points[i, :n] = t.points
            charts[i, :n] = t.charts
            u[i, :n] = t.u
            v[i, :n] = t.v
            mask[i, :n] = True
        has_densepose = torch.tensor([bool(t.has_densepose) for t in targets])
        coarse_segm = torch.stack([t.coarse_segm for t in targets]).long()
        return PackedDensePoseTargets(
            points=points.to(device),
            charts=charts.to(device),
            u=u.to(device),
            v=v.to(device),
            point_mask=mask.to(device),
            coarse_segm=coarse_segm.to(device),
            has_densepose=has_densepose.to(device))

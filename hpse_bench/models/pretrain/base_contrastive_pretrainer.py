from abc import abstractmethod
from typing import List, Optional, Sequence, Union

import torch
from mmengine.structures import BaseDataElement
from mmpretrain.models.selfsup import BaseSelfSupervisor
from torch import Tensor, nn

from ..utils import ScopedInitMixin, build_module


class BaseContrastivePretrainer(ScopedInitMixin, BaseSelfSupervisor):
    """mmpretrain's ``BaseSelfSupervisor`` for multi-view person crops.

    Backbone, neck and head are built in hpse_bench's scope whatever the
    caller's (:func:`~hpse_bench.models.utils.build_module`): unprefixed
    types are hpse_bench's, other libraries' parts carry their scope
    (``'mmpretrain.ResNet'``, ``'mmpretrain.NonLinearNeck'``). Inputs are the
    ``V`` views packed by
    :class:`~hpse_bench.datasets.transforms.PackMultiViewInputs`: a list of
    ``(B, 3, H, W)`` tensors; per-view fields of the data samples have a
    leading view axis. The views are stacked view-major, ``(V * B, ...)``.

    Modes of :meth:`forward`: ``'tensor'`` (backbone features), ``'loss'``
    (dict of losses) and ``'predict'`` (data samples with
    ``pred_embedding``, see :meth:`predict`).

    Args:
        backbone: backbone config, e.g. ``dict(type='mmpretrain.ResNet')``.
        neck: projection config.
        head: contrastive head config.
        data_preprocessor: defaults to mmpretrain's
            ``SelfSupDataPreprocessor``.
        init_cfg: initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type',
                                         'mmpretrain.SelfSupDataPreprocessor')
        super().__init__(
            backbone=build_module(backbone),
            neck=build_module(neck),
            head=build_module(head),
            data_preprocessor=build_module(data_preprocessor),
            init_cfg=init_cfg)

    def forward(self,
                inputs: Union[Tensor, List[Tensor]],
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    @staticmethod
    def stack_views(inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """``V`` tensors ``(B, ...)`` -> ``(V * B, ...)``, view-major."""
        if isinstance(inputs, Tensor):
            return inputs
        return torch.cat(list(inputs), dim=0)

    @staticmethod
    def stack_field(data_samples: Sequence[BaseDataElement], key: str,
                    num_views: int) -> Tensor:
        """A per-view field of all samples, ``(V * B, ...)``, view-major."""
        missing = [i for i, s in enumerate(data_samples) if key not in s]
        if missing:
            raise KeyError(f'data samples {missing} have no "{key}"; the '
                           'pipeline must provide it (PackMultiViewInputs)')
        field = torch.stack([s.get(key) for s in data_samples])  # (B, V, ..)
        if field.shape[1] < num_views:
            raise ValueError(f'"{key}" holds {field.shape[1]} views, the '
                             f'inputs {num_views}')
        field = field[:, :num_views]
        return field.transpose(0, 1).reshape((-1, ) + field.shape[2:])

    @abstractmethod
    def embed(self, inputs: List[Tensor],
              data_samples: List[BaseDataElement]) -> Tensor:
        """Per-sample embeddings of the first view (used by predict)."""

    def predict(self, inputs: Union[Tensor, List[Tensor]],
                data_samples: List[BaseDataElement]
                ) -> List[BaseDataElement]:
        """Add ``pred_embedding`` (L2-normalised projection of the first
        view) to each data sample; see each method's :meth:`embed`."""
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        with torch.no_grad():
            embeddings = self.embed(inputs[:1], data_samples)
        for sample, emb in zip(data_samples, embeddings):
            sample.pred_embedding = emb
        return data_samples

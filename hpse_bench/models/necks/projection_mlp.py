from typing import List, Optional, Tuple, Union

from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from hpse_bench.registry import MODELS


@MODELS.register_module()
class ProjectionMLP(BaseModule):
    """Projection head for sets of feature vectors (joints, mask regions).

    ``Linear-[Norm]-ReLU`` repeated ``num_layers - 1`` times, then
    ``Linear-[Norm]``: with ``norm_cfg=None`` it is the projection of
    supervised contrastive learning (Khosla et al., NeurIPS 2020), with
    ``norm_cfg=dict(type='SyncBN')`` that of SimCLR. Unlike mmpretrain's
    ``NonLinearNeck`` / ``MoCoV2Neck`` it accepts zero rows, which happens
    when a rank holds no visible joint or no mask: the output is then empty
    but still connected to every parameter, so distributed graphs stay
    alike.

    Args:
        in_channels: input dimension.
        hid_channels: hidden dimension.
        out_channels: output dimension.
        num_layers: number of linear layers (>= 1).
        with_bias: bias in the linear layers.
        norm_cfg: norm after each hidden linear layer, e.g.
            ``dict(type='BN1d')``; None for none.
        with_last_norm: also normalise the output (needs ``norm_cfg``).
        init_cfg: initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hid_channels: int,
                 out_channels: int,
                 num_layers: int = 2,
                 with_bias: bool = True,
                 norm_cfg: Optional[dict] = None,
                 with_last_norm: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        if with_last_norm and norm_cfg is None:
            raise ValueError('with_last_norm needs a norm_cfg')
        layers: List[nn.Module] = []
        channels = in_channels
        for i in range(num_layers):
            last = i == num_layers - 1
            out = out_channels if last else hid_channels
            layers.append(nn.Linear(channels, out, bias=with_bias))
            if norm_cfg is not None and (not last or with_last_norm):
                layers.append(build_norm_layer(norm_cfg, out)[1])
            if not last:
                layers.append(nn.ReLU(inplace=True))
            channels = out
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tuple[Tensor]) -> Tuple[Tensor]:
        """Project ``x[0]`` of shape ``(N, C)`` (N may be 0) to
        ``(N, out_channels)``; returns a 1-tuple like mmpretrain's necks."""
        if len(x) != 1:
            raise ValueError(f'expected a 1-tuple of features, got {len(x)}')
        return (self.mlp(x[0].flatten(1)), )

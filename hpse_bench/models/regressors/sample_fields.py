"""Batch tensors from the fields of fine-tuning data samples.

The fields are those of ``docs/data_contract.md``; a batch must be uniform
(every sample carries a required field, with one shape), and a mistake names
the sample.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from hpse_bench.structures import HumanDataSample


def _as_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.as_tensor(np.asarray(value))


def stack_field(data_samples: Sequence[HumanDataSample],
                name: str,
                device: Union[torch.device, str],
                shape: Optional[Tuple[int, ...]] = None,
                required: bool = True,
                dtype: torch.dtype = torch.float32) -> Optional[torch.Tensor]:
    """Stack one field of the data samples into a batch tensor.

    Args:
        data_samples: the batch.
        name: field (data or metainfo) name, e.g. ``'gt_keypoints2d'``.
        device: target device.
        shape: expected per-sample shape; checked when given.
        required: raise when a sample lacks the field; otherwise return
            ``None`` when *no* sample has it (a field present in only some
            samples is always an error: batches must be uniform).
        dtype: target dtype.

    Raises:
        KeyError: the field is missing, naming the sample.
        ValueError: a sample's field has the wrong shape.
    """
    present = [name in s for s in data_samples]
    if not any(present) and not required:
        return None
    if not all(present):
        i = present.index(False)
        meta = data_samples[i].metainfo
        where = meta.get('img_path', meta.get('sample_idx', i))
        raise KeyError(f'data sample {i} ({where}) has no field "{name}"; '
                       'see docs/data_contract.md for the fields a '
                       'fine-tuning sample carries')
    values = []
    for i, s in enumerate(data_samples):
        v = _as_tensor(s.get(name))
        if shape is not None and tuple(v.shape) != tuple(shape):
            raise ValueError(f'data sample {i}: field "{name}" has shape '
                             f'{tuple(v.shape)}, expected {tuple(shape)}')
        values.append(v.to(device=device, dtype=dtype))
    return torch.stack(values)


def stack_optional_labels(data_samples: Sequence[HumanDataSample],
                          name: str,
                          flag: str,
                          device: Union[torch.device, str],
                          fill_value: float,
                          dtype: torch.dtype = torch.float32
                          ) -> Tuple[Optional[torch.Tensor],
                                     Optional[torch.Tensor]]:
    """Stack an optional dense label map that only some samples carry.

    Samples without the field get a map filled with ``fill_value`` and a
    zero flag; samples with it get their ``flag`` field (1 when absent).

    Returns:
        ``(labels (B, ...), valid (B,))``, or ``(None, None)`` when no
        sample of the batch carries ``name``.

    Raises:
        ValueError: the maps of the batch differ in shape.
    """
    present = [name in s for s in data_samples]
    if not any(present):
        return None, None
    shapes = {
        tuple(np.shape(s.get(name)))
        for s in data_samples if name in s
    }
    if len(shapes) != 1:
        raise ValueError(f'"{name}" must have one shape per batch, got '
                         f'{sorted(shapes)}')
    shape = shapes.pop()
    labels, valid = [], []
    for s in data_samples:
        if name in s:
            labels.append(_as_tensor(s.get(name)))
            valid.append(float(s.get(flag, 1.0)))
        else:
            labels.append(torch.full(shape, fill_value))
            valid.append(0.0)
    labels = torch.stack([v.to(dtype) for v in labels]).to(device)
    return labels, torch.tensor(valid, device=device)

"""Training compute of a study: the 3D-only schedule that matches a 2D
pre-training, and device-hours measured from the stage records.

The second study (Mills, Jiang, Chen, "2D Pre-Training for 3D Pose
Estimation") compares 2D pre-training + 3D training against 3D-only training
*at the same total compute*. The 3D-only run gets the extra epochs that the
pre-training cost, counted in backbone passes weighted by input pixels
(a ResNet's cost grows with the pixels it sees; the heads are small next to
it):

    extra = ceil(E_2d * N_2d * A_2d / (N_3d * A_3d))
    E_3d-only = E_3d + extra

with ``E`` epochs, ``N`` samples per epoch and ``A`` input pixels per
sample of each stage. Learning-rate steps keep their place relative to the
length of the run (x0.1 at 90 of 120 epochs -> at 98 of 130), as Choi et
al. stretch 120 epochs (step at 90) to 240 (step at 180).

The rule fixes the schedule before anything runs; the study report then
shows the device-hours each stage really took (``DONE.json`` records), so
that a mismatch between the rule and the measured cost is visible.
"""
from typing import List, Mapping, Sequence, Tuple


def matched_scratch_epochs(finetune_epochs: int, pretrain_epochs: int,
                           pretrain_samples: int, pretrain_input: Tuple[int,
                                                                        int],
                           finetune_samples: int,
                           finetune_input: Tuple[int, int]) -> int:
    """Epochs of a 3D-only run as costly as 2D pre-training + 3D training.

    Args:
        finetune_epochs: epochs of the 3D training after pre-training.
        pretrain_epochs: epochs of the 2D pre-training.
        pretrain_samples: samples (person crops) per 2D epoch.
        pretrain_input: ``(W, H)`` of the 2D input.
        finetune_samples: samples per 3D epoch.
        finetune_input: ``(W, H)`` of the 3D input.

    Returns:
        ``finetune_epochs + ceil(pretrain cost / one 3D epoch's cost)``.
    """
    if min(finetune_epochs, pretrain_epochs, pretrain_samples) < 0:
        raise ValueError('epochs and sample counts must be >= 0')
    if finetune_samples <= 0 or min(finetune_input) <= 0:
        raise ValueError('the 3D epoch must have samples and pixels; got '
                         f'{finetune_samples} samples of {finetune_input}')
    pre = pretrain_epochs * pretrain_samples * pretrain_input[
        0] * pretrain_input[1]
    per_epoch = finetune_samples * finetune_input[0] * finetune_input[1]
    # Exact integer ceil: float division could round an exact ratio up.
    return int(finetune_epochs + -(-pre // per_epoch))


def scaled_milestones(milestones: Sequence[int], epochs: int,
                      new_epochs: int) -> List[int]:
    """Learning-rate steps moved to the same fraction of a longer run."""
    return [int(round(m * new_epochs / epochs)) for m in milestones]


def device_hours(record: Mapping) -> float:
    """Device-hours of one stage record: wall seconds x devices / 3600."""
    seconds = float(record.get('seconds') or 0.0)
    return seconds * max(1, int(record.get('gpus') or 1)) / 3600.0

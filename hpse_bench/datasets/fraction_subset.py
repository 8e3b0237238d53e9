"""Deterministic, nested subsets of a dataset's rows (the 10 / 30 / 60 /
100 % fine-tuning data shares), and the hash they are drawn with."""
import numpy as np


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele et al., 2014) on a uint64 array.

    uint64 array arithmetic wraps modulo 2**64, as the algorithm wants.
    """
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def fraction_subset_indices(num_rows: int,
                            fraction: float,
                            seed: int = 0) -> np.ndarray:
    """Deterministic ``fraction`` of ``range(num_rows)``, sorted.

    The rows are ranked by a hash of ``(seed, row)`` and the first
    ``round(fraction * num_rows)`` (at least one) are kept. The result
    depends only on ``(num_rows, fraction, seed)``, not on the numpy
    version or any global random state, so every pre-training method is
    fine-tuned on the same people; and subsets are nested (the 10 % subset
    lies within the 30 % one, which lies within the 60 % one).

    Args:
        num_rows: number of rows of the annotation file.
        fraction: kept share in ``(0, 1]``.
        seed: subset seed.

    Returns:
        ``(round(fraction * num_rows),)`` int64 sorted row indices.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1]; got {fraction}')
    if num_rows == 0 or fraction == 1:
        return np.arange(num_rows, dtype=np.int64)
    size = max(1, int(round(fraction * num_rows)))
    key = splitmix64(np.array([seed], dtype=np.uint64))[0]
    rank = splitmix64(np.arange(num_rows, dtype=np.uint64) ^ key)
    keep = np.argsort(rank, kind='stable')[:size]
    return np.sort(keep).astype(np.int64)

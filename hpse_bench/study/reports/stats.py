"""Numbers over seeds, and the rule that says when a difference is larger
than seed noise.

Every cell of a study table is a set of per-seed values: ``{seed: value}``.
A study runs each cell with seeds ``0..k-1``; pre-training seed ``s`` feeds
fine-tuning seed ``s``, and the random-initialisation reference is run with
the same seeds, so two cells are compared seed by seed (a paired
comparison): the differences ``d_s = x_s - ref_s`` over the seeds both
have.

The marking rule (:func:`paired`): a difference is marked (better or worse)
only when

- at least :data:`MIN_SEEDS` seeds are paired,
- every paired difference has the same sign (no seed disagrees), and
- ``|mean(d)| > NOISE_FACTOR * std(d)`` (the sample standard deviation of
  the paired differences, ``ddof=1``).

For ``n`` seeds the last condition is a paired t statistic above
``NOISE_FACTOR * sqrt(n)``: 3.46 for 3 seeds (a two-sided 5 % paired
t-test needs 4.30), 4.0 for 4 (3.18), 4.47 for 5 (2.78). The sign
condition keeps one contradicting seed from being outvoted.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

#: Fewest paired seeds a difference needs before it can be marked.
MIN_SEEDS = 3
#: A marked difference exceeds this many standard deviations of the
#: paired differences.
NOISE_FACTOR = 2.0

#: The rule in words, for captions; ``{reference}`` is filled in.
MARK_RULE = (
    'A difference to {reference} is marked (▲ better, ▼ worse) only when '
    f'at least {MIN_SEEDS} seeds are paired (seed s of a method against '
    'seed s of {reference}), every paired difference has the same sign, '
    f'and the mean paired difference exceeds {NOISE_FACTOR:g} times the '
    'standard deviation of the paired differences.')

Values = Mapping[int, Optional[float]]


def finite(values: Values) -> Dict[int, float]:
    """The seeds whose value is a finite number (None, nan and inf are
    missing values: a run that scored nothing)."""
    out = {}
    for seed, value in values.items():
        if value is None:
            continue
        value = float(value)
        if math.isfinite(value):
            out[seed] = value
    return out


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (``ddof=1``; None for fewer than
    two values; the mean is nan for none)."""
    values = [float(v) for v in values]
    if not values:
        return float('nan'), None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


@dataclass(frozen=True)
class SeedStats:
    """Mean ± std of a cell over its seeds."""

    values: Dict[int, float] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return mean_std(list(self.values.values()))[0]

    @property
    def std(self) -> Optional[float]:
        return mean_std(list(self.values.values()))[1]


def summarize(values: Values) -> SeedStats:
    """:class:`SeedStats` of the finite values of ``{seed: value}``."""
    return SeedStats(dict(sorted(finite(values).items())))


@dataclass(frozen=True)
class Paired:
    """A paired comparison over seeds: ``d_s = value_s - reference_s``."""

    diffs: Dict[int, float]
    lower_is_better: bool
    min_seeds: int = MIN_SEEDS
    factor: float = NOISE_FACTOR

    @property
    def n(self) -> int:
        return len(self.diffs)

    @property
    def mean(self) -> float:
        return mean_std(list(self.diffs.values()))[0]

    @property
    def std(self) -> Optional[float]:
        return mean_std(list(self.diffs.values()))[1]

    @property
    def decided(self) -> bool:
        """Whether enough seeds are paired for the rule to speak."""
        return self.n >= self.min_seeds

    @property
    def exceeds_noise(self) -> bool:
        """The marking rule (module docstring)."""
        if not self.decided:
            return False
        diffs = list(self.diffs.values())
        same_sign = all(d > 0 for d in diffs) or all(d < 0 for d in diffs)
        return same_sign and abs(self.mean) > self.factor * (self.std or 0.0)

    @property
    def marker(self) -> str:
        """``'better'``, ``'worse'`` or ``''`` (not beyond the noise)."""
        if not self.exceeds_noise:
            return ''
        lower = self.mean < 0
        return 'better' if lower == self.lower_is_better else 'worse'


def paired(values: Values,
           reference: Values,
           lower_is_better: bool,
           min_seeds: int = MIN_SEEDS,
           factor: float = NOISE_FACTOR) -> Paired:
    """Compare ``{seed: value}`` with ``{seed: reference value}`` on the
    seeds both have (see the module docstring for the rule)."""
    a, b = finite(values), finite(reference)
    diffs = {s: a[s] - b[s] for s in sorted(set(a) & set(b))}
    return Paired(diffs, lower_is_better, min_seeds, factor)


def seed_curve(
    curves: Mapping[int, Sequence[Sequence[float]]]
) -> Tuple[List[float], List[float], List[Optional[float]], int]:
    """Mean and std over seeds of validation curves ``{seed: [[step,
    value], ...]}`` at the steps every seed validated.

    Returns:
        ``(steps, means, stds, n seeds)``; stds are None with one seed.
    """
    tables = [{float(s): float(v) for s, v in c} for c in curves.values() if c]
    if not tables:
        return [], [], [], 0
    steps = sorted(set.intersection(*[set(t) for t in tables]))
    means, stds = [], []
    for step in steps:
        mean, std = mean_std([t[step] for t in tables])
        means.append(mean)
        stds.append(std)
    return steps, means, stds, len(tables)

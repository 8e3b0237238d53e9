""""Did pre-training learn?": each pre-trained backbone's frozen-feature
probes against their chance level and against the random-init backbone.

A loss that falls says nothing across methods whose losses have different
chance levels; a probe does: the same closed-form ridge read-out of the
same targets from every backbone (:mod:`hpse_bench.probing`).

Verdict rule (:func:`verdict`): a method **learned** when, on at least one
probe, its value is better than the random-init backbone's value *and*
better than the probe's chance level (its constant predictor), both by the
paired marking rule of :mod:`.stats` (seed by seed; at least
``MIN_SEEDS`` seeds, every seed agreeing in sign, mean difference above
twice the std of the differences). Otherwise **not at this budget** when
the rule could be applied, **undecided** when there are too few seeds or no
random-init probe.
"""
from typing import List, Optional, Tuple

from .results import StudyResults
from .stats import MIN_SEEDS, NOISE_FACTOR, Paired, paired, summarize
from .tables import Cell, Column, Row, Table, seeds_caption

LEARNED = 'learned'
NOT_LEARNED = 'not at this budget'
REFERENCE = 'reference (random weights)'

VERDICT_RULE = (
    f'Verdict: "{LEARNED}" when on at least one probe the method beats both '
    'the random-init backbone and the probe\'s chance level by the marking '
    f'rule (at least {MIN_SEEDS} paired seeds, all differences of one sign, '
    f'mean difference above {NOISE_FACTOR:g} std of the differences); '
    f'"{NOT_LEARNED}" when the rule applies and no probe passes; '
    '"undecided" with fewer seeds or no random-init probe. Never a loss '
    'ratio.')


def verdict(comparisons: List[Tuple[Optional[Paired], Paired]]) -> str:
    """The verdict of a method from its probes' ``(vs random init, vs
    chance)`` comparisons (None: no random-init probe)."""
    decided = False
    for vs_random, vs_chance in comparisons:
        if vs_random is None:
            continue
        if vs_random.decided and vs_chance.decided:
            decided = True
        if vs_random.marker == 'better' and vs_chance.marker == 'better':
            return LEARNED
    if decided:
        return NOT_LEARNED
    if all(r is None for r, _ in comparisons):
        return 'undecided (no random-init probe)'
    return f'undecided (fewer than {MIN_SEEDS} seeds)'


COLUMNS = [
    Column('value', 'value', None),
    Column('chance', 'chance (constant)', None),
    Column('random_init', 'random-init backbone', None),
    Column('vs_random_init', 'Δ vs random init', None, signed=True),
    Column('vs_chance', 'Δ vs chance', None, signed=True),
]


def _method_rows(res: StudyResults, method: str, reference: Optional[str],
                 regressor: str) -> List[Row]:
    rows, comparisons = [], []
    for key, title, lower in res.probe_columns():
        values = res.probe_values(method, key, regressor)
        chance = res.probe_values(method, key, regressor, 'chance')
        if not summarize(values).n:
            continue
        ref = (
            res.probe_values(reference, key, regressor) if reference else {})
        vs_chance = paired(values, chance, lower)
        vs_random = (
            paired(values, ref, lower)
            if reference and method != reference else None)
        if method != reference:
            comparisons.append((vs_random, vs_chance))
        direction = 'lower' if lower else 'higher'
        cells = [
            Cell.of(summarize(values)),
            Cell.of(summarize(chance)),
            Cell.of(summarize(ref)),
            Cell.difference(vs_random) if vs_random else Cell(),
            Cell.difference(vs_chance),
        ]
        rows.append(
            Row('method',
                [res.label(method), f'{title}, {direction} is better', ''],
                cells, dict(method=method, probe_key=key,
                            regressor=regressor)))
    text = REFERENCE if method == reference else verdict(comparisons)
    for row in rows:
        row.labels[2] = text
    return rows


def learned_table(res: StudyResults) -> Optional[Table]:
    """The table, or None when the study ran no probes. Probes of the
    first regressor they ran on (one probe data set per study)."""
    regressors = res.probe_regressors()
    if not regressors:
        return None
    regressor = regressors[0]
    reference = res.reference(regressor)
    table = Table('pretraining_learned', '',
                  ['initialisation', 'probe', 'verdict'], list(COLUMNS))
    methods = [m for m in res.methods if m != reference]
    if reference:
        methods.insert(0, reference)
    for method in methods:
        table.rows += _method_rows(res, method, reference, regressor)
    table.caption = ' '.join(
        p for p in
        ('Frozen-backbone ridge probes of every pre-trained backbone on the '
         f'data of {regressor}, against the probe\'s chance level (the '
         'constant predictor of the same run) and the random-init backbone '
         'of the same seed.', seeds_caption(table), 'Δ: mean ± std of the '
         'paired per-seed differences; ▲ / ▼: beyond the seed noise.',
         VERDICT_RULE) if p)
    return table

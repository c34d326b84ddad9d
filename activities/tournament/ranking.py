"""Ranks for ranked events (times, distances, scores) and averages for events judged by a panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

__all__ = ["judged_scores", "rank_values"]

CENT = Decimal("0.01")


def rank_values(values: Mapping[int, Decimal | None], *, higher_is_better: bool) -> dict[int, int | None]:
    """Rank entries by their result with competition ranking: equal results share a rank and the next is skipped.

    `higher_is_better` is False for times and True for distances and scores. An entry whose value is None (no
    result, did not finish) gets rank None and comes after everyone. The dict is ordered by rank, then entry id.

    Raises ValueError for a value that is not a finite number (a NaN would compare as neither better nor worse).
    """
    for entry, value in values.items():
        if value is not None and not Decimal(value).is_finite():
            raise ValueError(f"The result of entry {entry} is not a finite number: {value}.")
    ranked = sorted(
        (entry for entry, value in values.items() if value is not None),
        key=lambda entry: (-values[entry] if higher_is_better else values[entry], entry),
    )
    ranks: dict[int, int | None] = {}
    for index, entry in enumerate(ranked):
        previous = ranked[index - 1] if index else None
        # Same value as the entry before: same rank; otherwise the rank is the 1-based position (1, 2, 2, 4).
        ranks[entry] = ranks[previous] if previous is not None and values[previous] == values[entry] else index + 1
    for entry in sorted(entry for entry, value in values.items() if value is None):
        ranks[entry] = None
    return ranks


def judged_scores(scores: Mapping[int, Sequence[Decimal]], *, drop_extremes: bool) -> dict[int, Decimal]:
    """Average each entry's panel scores, rounded half up to 0.01.

    With `drop_extremes`, one highest and one lowest score are dropped first (the usual rule for debates, speeches
    and choruses), which needs at least three scores. Rank the averages with
    `rank_values(averages, higher_is_better=True)`.

    Raises ValueError for an entry without scores, or with fewer than three scores when `drop_extremes` is set.
    """
    averages: dict[int, Decimal] = {}
    # A context of our own: the caller's precision or rounding settings must not change a published score.
    with localcontext() as context:
        context.prec = 28
        for entry, panel in scores.items():
            panel = sorted(Decimal(score) for score in panel)
            if not panel:
                raise ValueError(f"Entry {entry} has no scores.")
            if drop_extremes:
                if len(panel) < 3:
                    raise ValueError(
                        f"Dropping the highest and lowest score needs 3 scores or more; entry {entry} has {len(panel)}."
                    )
                panel = panel[1:-1]
            averages[entry] = (sum(panel) / len(panel)).quantize(CENT, rounding=ROUND_HALF_UP)
    return averages

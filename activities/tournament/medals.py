"""Medal tables and team points per unit, summed over the placings of every competition."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "DEFAULT_POINTS_BY_PLACE",
    "MedalRow",
    "Placing",
    "medal_table",
    "placing_points",
    "placings_from_knockout",
    "team_points",
]

DEFAULT_POINTS_BY_PLACE = (7, 5, 4, 3, 2, 1)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Placing:
    """A final place of one entry (team) of a unit in one competition; tied entries carry the same place."""

    competition: int
    entry: int
    unit: int
    place: int


@dataclass(frozen=True)
class MedalRow:
    unit: int
    gold: int
    silver: int
    bronze: int
    total: int
    rank: int


def _check_placings(placings: Iterable[Placing]) -> list[Placing]:
    placings = list(placings)
    seen = set()
    for placing in placings:
        if placing.place < 1:
            raise ValueError(f"A place starts at 1, got {placing}.")
        key = (placing.competition, placing.entry)
        if key in seen:
            raise ValueError(f"Entry {placing.entry} is placed twice in competition {placing.competition}.")
        seen.add(key)
    return placings


def medal_table(placings: Iterable[Placing]) -> list[MedalRow]:
    """Count gold (place 1), silver (2) and bronze (3) per unit and rank the units.

    Tied places give the same medal: two entries at place 1 both get gold (and the next place is then 3, a bronze);
    a knockout without a third-place match has two placings at place 3, two bronzes. Units are ordered by golds,
    then silvers, then bronzes (the Olympic order; the total breaks no tie); units equal on all three share the rank
    (1, 2, 2, 4) and are listed by unit id. Units without medals are not listed.

    Raises ValueError for a place below 1 or an entry placed twice in one competition.
    """
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for placing in _check_placings(placings):
        if placing.place <= 3:
            counts[placing.unit][placing.place - 1] += 1
    ordered = sorted(counts.items(), key=lambda item: ([-count for count in item[1]], item[0]))
    rows: list[MedalRow] = []
    for index, (unit, (gold, silver, bronze)) in enumerate(ordered):
        previous = rows[-1] if rows else None
        tied = previous is not None and (previous.gold, previous.silver, previous.bronze) == (gold, silver, bronze)
        rank = previous.rank if tied else index + 1
        rows.append(MedalRow(unit, gold, silver, bronze, gold + silver + bronze, rank))
    return rows


def placing_points(
    placings: Iterable[Placing], *, points_by_place: Sequence[int] = DEFAULT_POINTS_BY_PLACE
) -> dict[tuple[int, int], Decimal]:
    """Team points of each placing, keyed by (competition, entry); the value to store on a placing.

    Place p scores points_by_place[p - 1]; places beyond the table score 0. Entries tied at a place split the points
    of the places they occupy together: two at place 2 share (5 + 4) / 2 = 4.5 each. Points are rounded half up to
    0.01 (what a placing stores), so (7 + 5 + 4) / 3 gives 5.33.

    Raises ValueError for a negative number in points_by_place, and as `medal_table` does.
    """
    if any(points < 0 for points in points_by_place):
        raise ValueError(f"Points per place cannot be negative: {list(points_by_place)}.")
    tied: dict[tuple[int, int], int] = defaultdict(int)
    placings = _check_placings(placings)
    for placing in placings:
        tied[placing.competition, placing.place] += 1

    def points_at(place: int) -> int:
        return points_by_place[place - 1] if place <= len(points_by_place) else 0

    result = {}
    for placing in placings:
        sharing = tied[placing.competition, placing.place]
        occupied = range(placing.place, placing.place + sharing)
        share = Decimal(sum(points_at(place) for place in occupied)) / sharing
        result[placing.competition, placing.entry] = share.quantize(CENT, rounding=ROUND_HALF_UP)
    return result


def team_points(
    placings: Iterable[Placing], *, points_by_place: Sequence[int] = DEFAULT_POINTS_BY_PLACE
) -> dict[int, Decimal]:
    """Total team points per unit over all placings (see `placing_points` for the scoring and tie rule).

    Every unit with a placing is listed, with 0 when none of its places scores; ordered by points (highest first),
    then unit id. Raises ValueError as `placing_points` does.
    """
    placings = list(placings)
    per_placing = placing_points(placings, points_by_place=points_by_place)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for placing in placings:
        totals[placing.unit] += per_placing[placing.competition, placing.entry]
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def placings_from_knockout(
    *,
    final_winner: int,
    final_loser: int,
    semi_final_losers: Sequence[int] = (),
    third_place_winner: int | None = None,
) -> dict[int, int]:
    """Final places (entry -> place) of a knockout's last four.

    The final decides 1 and 2. With a third-place match (`third_place_winner`, one of the two semi-final losers),
    its winner is 3 and the other semi-final loser 4; without one, each semi-final loser is 3 (two bronzes).
    `semi_final_losers` has fewer than two entries only in brackets too small to have two semi-finals.

    Raises ValueError when an entry appears twice, there are more than two semi-final losers, or the third-place
    winner is not one of exactly two semi-final losers.
    """
    losers = list(semi_final_losers)
    everyone = [final_winner, final_loser, *losers]
    if len(set(everyone)) != len(everyone):
        raise ValueError(f"An entry can take only one place: {everyone}.")
    if len(losers) > 2:
        raise ValueError(f"A knockout has at most two semi-final losers, got {len(losers)}.")
    places = {final_winner: 1, final_loser: 2}
    if third_place_winner is None:
        places.update(dict.fromkeys(losers, 3))
        return places
    if len(losers) != 2 or third_place_winner not in losers:
        raise ValueError(
            f"The third-place winner {third_place_winner} must be one of the two semi-final losers {losers}."
        )
    places[third_place_winner] = 3
    places[next(loser for loser in losers if loser != third_place_winner)] = 4
    return places

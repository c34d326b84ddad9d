"""League tables for round robins and group stages, with FIFA/ITTF-style head-to-head tie-breaking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["TIEBREAKERS", "MatchOutcome", "StandingRow", "compute_standings"]

HEAD_TO_HEAD = "head_to_head"
SCORE_DIFFERENCE = "score_difference"
SCORE_FOR = "score_for"
TIEBREAKERS = (HEAD_TO_HEAD, SCORE_DIFFERENCE, SCORE_FOR)


@dataclass(frozen=True)
class MatchOutcome:
    """A played match; the scores are whatever the sport counts in the table (games, sets, goals)."""

    home: int
    away: int
    home_score: int
    away_score: int


@dataclass
class StandingRow:
    """One line of a league table. Entries still level after every tie-breaker share the same `place`."""

    entry: int
    played: int = 0
    won: int = 0
    drawn: int = 0
    lost: int = 0
    score_for: int = 0
    score_against: int = 0
    points: int = 0
    place: int = 0

    @property
    def score_difference(self) -> int:
        return self.score_for - self.score_against


def _tally(rows: dict[int, StandingRow], outcomes: Sequence[MatchOutcome], points: tuple[int, int, int]) -> None:
    """Add the outcomes to the rows (which must hold both sides of every outcome)."""
    points_win, points_draw, points_loss = points
    for outcome in outcomes:
        home, away = rows[outcome.home], rows[outcome.away]
        for row, scored, conceded in (
            (home, outcome.home_score, outcome.away_score),
            (away, outcome.away_score, outcome.home_score),
        ):
            row.played += 1
            row.score_for += scored
            row.score_against += conceded
            if scored > conceded:
                row.won += 1
                row.points += points_win
            elif scored == conceded:
                row.drawn += 1
                row.points += points_draw
            else:
                row.lost += 1
                row.points += points_loss


def compute_standings(
    entries: Sequence[int],
    outcomes: Sequence[MatchOutcome],
    *,
    points_win: int = 2,
    points_draw: int = 1,
    points_loss: int = 1,
    tiebreakers: Sequence[str] = TIEBREAKERS,
) -> list[StandingRow]:
    """Build the table of `entries` from the played `outcomes`, best first.

    Points default to the Chinese table-tennis/volleyball convention (win 2, loss 1; a draw 1 where a sport has
    them). Entries level on points are separated by `tiebreakers`, in order:

    - "head_to_head": points in a mini-league of only the matches among the level entries;
    - "score_difference": overall score difference;
    - "score_for": overall score for.

    As FIFA and the ITTF do, whenever a tie-breaker separates some of the level entries, each subset still level
    goes through the tie-breakers again from the first, so head-to-head is recomputed among that smaller subset.
    Entries still level at the end share a place (1, 2, 2, 4) and keep their order in `entries`. Entries without
    matches appear with zeros.

    Raises ValueError for an unknown tie-breaker, a repeated entry, an outcome whose sides are the same entry or
    not among `entries`, or a negative score.
    """
    unknown = [name for name in tiebreakers if name not in TIEBREAKERS]
    if unknown:
        raise ValueError(f"Unknown tie-breaker(s) {unknown}; choose from {list(TIEBREAKERS)}.")
    entries = list(entries)
    if len(set(entries)) != len(entries):
        raise ValueError("Each entry may appear only once in a table.")
    known = set(entries)
    for outcome in outcomes:
        if outcome.home == outcome.away:
            raise ValueError(f"A match needs two different entries, got {outcome.home} against itself.")
        if outcome.home not in known or outcome.away not in known:
            raise ValueError(f"Match {outcome.home} v {outcome.away} involves an entry that is not in the table.")
        if outcome.home_score < 0 or outcome.away_score < 0:
            raise ValueError(f"Scores cannot be negative: {outcome}.")

    points = (points_win, points_draw, points_loss)
    rows = {entry: StandingRow(entry=entry) for entry in entries}
    _tally(rows, outcomes, points)

    def criterion(name: str, level: list[int]) -> Callable[[int], int]:
        if name == HEAD_TO_HEAD:
            among = set(level)
            mini = {entry: StandingRow(entry=entry) for entry in level}
            _tally(mini, [o for o in outcomes if o.home in among and o.away in among], points)
            return lambda entry: mini[entry].points
        if name == SCORE_DIFFERENCE:
            return lambda entry: rows[entry].score_difference
        return lambda entry: rows[entry].score_for

    def resolve(level: list[int]) -> list[list[int]]:
        """Split entries level so far into blocks, best first; a block of several is a tie nothing breaks."""
        if len(level) == 1:
            return [level]
        for name in tiebreakers:
            key = criterion(name, level)
            values = sorted({key(entry) for entry in level}, reverse=True)
            if len(values) > 1:
                blocks = []
                for value in values:
                    # A smaller subset than before: recursion always ends, and head-to-head starts afresh on it.
                    blocks += resolve([entry for entry in level if key(entry) == value])
                return blocks
        return [level]

    by_points = sorted({row.points for row in rows.values()}, reverse=True)
    table: list[StandingRow] = []
    for value in by_points:
        for block in resolve([entry for entry in entries if rows[entry].points == value]):
            place = len(table) + 1
            for entry in block:
                rows[entry].place = place
                table.append(rows[entry])
    return table

"""Reads for a competition's standings page: the league table of a round robin or of each group.

Runs a fixed number of queries whatever the number of teams or matches. Whether results may be shown is the
caller's decision (published, or the viewer is committee staff); this module only reads.
"""

from collections import defaultdict
from dataclasses import dataclass

from ..models import Competition, Match, Team
from ..tournament.standings import TIEBREAKERS, MatchOutcome, compute_standings
from .matches import DECIDED, LEAGUE_STAGES


@dataclass
class StandingLine:
    place: int
    team: Team
    played: int
    won: int
    drawn: int
    lost: int
    score_for: int
    score_against: int
    points: int
    advances: bool = False

    @property
    def score_difference(self) -> int:
        return self.score_for - self.score_against


@dataclass
class GroupTable:
    group: str
    lines: list[StandingLine]

    @property
    def has_draws(self) -> bool:
        return any(line.drawn for line in self.lines)


def _outcome(home_id, away_id, home_score, away_score, winner_id) -> MatchOutcome | None:
    if home_score is not None and away_score is not None:
        return MatchOutcome(home_id, away_id, home_score, away_score)
    # A walkover entered without a score counts as the smallest win.
    if winner_id == home_id:
        return MatchOutcome(home_id, away_id, 1, 0)
    if winner_id == away_id:
        return MatchOutcome(home_id, away_id, 0, 1)
    return None


def competition_standings(competition: Competition) -> list[GroupTable]:
    """League tables of a round robin or of each group, from the decided league/group matches.

    Computed with `tournament.standings.compute_standings` using the competition's points and tie-breakers;
    teams level after every tie-breaker share a place. A team that withdrew after playing keeps its line.
    In a groups-then-knockout competition the first `advance_per_group` lines of each group are marked
    `advances`. Two queries (teams, then the decided matches as plain tuples).
    """
    teams = {
        team.pk: team
        for team in Team.objects.filter(competition=competition)
        .select_related("unit")
        .only("id", "name", "group", "seed", "place_no", "status", "unit__id", "unit__name", "unit__short_name")
        .order_by("seed", "place_no", "id")
    }
    groups: dict[str, list[int]] = defaultdict(list)
    for team in teams.values():
        if team.status == Team.Status.ACTIVE:
            groups[team.group].append(team.pk)
    outcomes: dict[str, list[MatchOutcome]] = defaultdict(list)
    rows = (
        Match.objects.filter(competition=competition, stage__in=LEAGUE_STAGES, status__in=DECIDED)
        .exclude(home=None)
        .exclude(away=None)
        .values_list("group", "home_id", "away_id", "home_score", "away_score", "winner_id")
    )
    for group, home_id, away_id, home_score, away_score, winner_id in rows:
        outcome = _outcome(home_id, away_id, home_score, away_score, winner_id)
        if outcome is None or home_id not in teams or away_id not in teams:
            continue
        outcomes[group].append(outcome)
        for team_id in (home_id, away_id):
            if team_id not in groups[group]:
                groups[group].append(team_id)
    tiebreakers = [name for name in (competition.tiebreakers or []) if name in TIEBREAKERS]
    advancing = competition.advance_per_group if competition.format == Competition.Format.GROUPS_KNOCKOUT else 0
    tables = []
    for group in sorted(groups):
        table = compute_standings(
            groups[group],
            outcomes[group],
            points_win=competition.points_win,
            points_draw=competition.points_draw,
            points_loss=competition.points_loss,
            tiebreakers=tiebreakers,
        )
        lines = [
            StandingLine(
                place=row.place,
                team=teams[row.entry],
                played=row.played,
                won=row.won,
                drawn=row.drawn,
                lost=row.lost,
                score_for=row.score_for,
                score_against=row.score_against,
                points=row.points,
                advances=index < advancing,
            )
            for index, row in enumerate(table)
        ]
        tables.append(GroupTable(group=group, lines=lines))
    return tables

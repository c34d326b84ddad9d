"""Final places of a competition, stored as Placing rows with their team points; the medal table sums these.

The places come from the pure algorithms in activities.tournament: league tables for round robins, the last four
of a knockout, ranks of times and distances, averages of a judges' panel. Places are written only once the
competition's results are complete (a place halfway through a league is not a final place); until then the
competition has no placings. Tied places share their place and split the team points of the places they cover.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from portal.audit import audit_record
from portal.locking import lock_one

from ..models import Competition, JudgeScore, Match, Placing, RankedResult, Team
from ..tournament import (
    TIEBREAKERS,
    MatchOutcome,
    compute_standings,
    judged_scores,
    placing_points,
    placings_from_knockout,
    rank_values,
)
from ..tournament import Placing as PlannedPlacing

DECIDED_STATUSES = (Match.Status.PLAYED, Match.Status.WALKOVER)
NO_RESULT_STATUSES = (Match.Status.BYE, Match.Status.CANCELLED)


@dataclass
class PlacingsOutcome:
    """What competition_compute_placings found: complete or not, the places {team id: place}, what is missing."""

    complete: bool
    places: dict = field(default_factory=dict)
    missing: int = 0
    changed: bool = False


def _active_teams(competition: Competition) -> list[tuple[int, int, str]]:
    """(team id, unit id, group) of the active teams, seeds first then by id: the order ties keep."""
    rows = Team.objects.filter(competition=competition, status=Team.Status.ACTIVE).values_list(
        "id", "unit_id", "group", "seed"
    )
    return [(pk, unit, group) for pk, unit, group, _seed in sorted(rows, key=lambda r: (r[3] is None, r[3] or 0, r[0]))]


def _tiebreakers(competition: Competition) -> list[str]:
    chosen = competition.tiebreakers if isinstance(competition.tiebreakers, list) else []
    return [name for name in chosen if name in TIEBREAKERS]


def _standings(competition: Competition, entries: list[int], matches) -> list:
    known = set(entries)
    outcomes = [
        MatchOutcome(m.home_id, m.away_id, m.home_score, m.away_score)
        for m in matches
        if m.status in DECIDED_STATUSES and m.home_id in known and m.away_id in known
    ]
    return compute_standings(
        entries,
        outcomes,
        points_win=competition.points_win,
        points_draw=competition.points_draw,
        points_loss=competition.points_loss,
        tiebreakers=_tiebreakers(competition),
    )


def group_tables(competition: Competition, *, teams=None, matches=None) -> dict[str, list]:
    """The table of every group, best first ({"A": [StandingRow, ...], ...}); two queries unless given the rows."""
    teams = _active_teams(competition) if teams is None else teams
    if matches is None:
        matches = list(
            Match.objects.filter(competition=competition, stage=Match.Stage.GROUP).only(
                "status", "home_id", "away_id", "home_score", "away_score", "group"
            )
        )
    by_group = defaultdict(list)
    for pk, _unit, group in teams:
        if group:
            by_group[group].append(pk)
    matches_by_group = defaultdict(list)
    for match in matches:
        matches_by_group[match.group].append(match)
    return {
        group: _standings(competition, members, matches_by_group[group]) for group, members in sorted(by_group.items())
    }


def _league_places(competition, teams, matches) -> tuple[dict, int]:
    league = [m for m in matches if m.stage == Match.Stage.LEAGUE and m.status not in NO_RESULT_STATUSES]
    missing = sum(m.status not in DECIDED_STATUSES for m in league)
    if missing or not league:
        return {}, missing or 1
    rows = _standings(competition, [pk for pk, _unit, _group in teams], league)
    return {row.entry: row.place for row in rows}, 0


def _knockout_places(matches) -> tuple[dict, int]:
    bracket = [m for m in matches if m.stage in (Match.Stage.KNOCKOUT, Match.Stage.THIRD_PLACE)]
    to_play = [m for m in bracket if m.status not in NO_RESULT_STATUSES]
    missing = sum(m.status not in DECIDED_STATUSES for m in to_play)
    knockout = [m for m in bracket if m.stage == Match.Stage.KNOCKOUT]
    if missing or not knockout:
        return {}, missing or 1
    rounds = max(m.round_no for m in knockout)
    final = next(m for m in knockout if m.round_no == rounds)
    if final.winner_id is None:
        return {}, 1

    def losers(round_no):
        return [
            m.away_id if m.winner_id == m.home_id else m.home_id
            for m in knockout
            if m.round_no == round_no and m.status in DECIDED_STATUSES
        ]

    third = next((m for m in bracket if m.stage == Match.Stage.THIRD_PLACE and m.winner_id), None)
    places = placings_from_knockout(
        final_winner=final.winner_id,
        final_loser=final.away_id if final.winner_id == final.home_id else final.home_id,
        semi_final_losers=losers(rounds - 1) if rounds > 1 else (),
        third_place_winner=third.winner_id if third else None,
    )
    # Earlier rounds' losers share a place: the quarter-final losers are all fifth, the round before ninth...
    for round_no in range(rounds - 2, 0, -1):
        for team in losers(round_no):
            places.setdefault(team, 2 ** (rounds - round_no) + 1)
    return places, 0


def _groups_knockout_places(competition, teams, matches) -> tuple[dict, int]:
    group_matches = [m for m in matches if m.stage == Match.Stage.GROUP and m.status not in NO_RESULT_STATUSES]
    missing = sum(m.status not in DECIDED_STATUSES for m in group_matches)
    places, knockout_missing = _knockout_places(matches)
    if missing or knockout_missing:
        return {}, missing + knockout_missing
    advance = competition.advance_per_group
    tables = group_tables(competition, teams=teams, matches=[m for m in matches if m.stage == Match.Stage.GROUP])
    # Teams out after the groups rank behind every knockout team, by their place in the group (all third-placed
    # teams share the next place, then all fourth-placed...).
    by_rank = defaultdict(list)
    for rows in tables.values():
        for position, row in enumerate(rows, start=1):
            if position > advance and row.entry not in places:
                by_rank[max(row.place, advance + 1)].append(row.entry)
    start = sum(1 for _pk in places) + 1
    start = max(start, len(tables) * advance + 1)
    for rank in sorted(by_rank):
        for team in by_rank[rank]:
            places[team] = start
        start += len(by_rank[rank])
    return places, 0


def _ranked_places(competition, teams) -> tuple[dict, int]:
    team_ids = [pk for pk, _unit, _group in teams]
    values = dict(RankedResult.objects.filter(team_id__in=team_ids).values_list("team_id", "value"))
    missing = len(set(team_ids) - set(values))
    if missing or not values:
        return {}, missing or 1
    ranks = rank_values(values, higher_is_better=competition.result_ordering == Competition.Ordering.HIGHER_IS_BETTER)
    return {team: rank for team, rank in ranks.items() if rank is not None}, 0


def _judged_places(competition, teams) -> tuple[dict, int]:
    team_ids = [pk for pk, _unit, _group in teams]
    panel = defaultdict(dict)
    judges = set()
    for team_id, judge, score in JudgeScore.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "judge", "score"
    ):
        panel[team_id][judge] = score
        judges.add(judge)
    # Complete when every judge who scored anyone has scored everyone.
    missing = sum(len(judges - set(panel[pk])) for pk in team_ids) + sum(1 for pk in team_ids if not panel[pk])
    if missing or not judges:
        return {}, missing or 1
    if competition.drop_extreme_scores and len(judges) < 3:
        return {}, 3 - len(judges)
    averages = judged_scores(
        {pk: list(panel[pk].values()) for pk in team_ids}, drop_extremes=competition.drop_extreme_scores
    )
    ranks = rank_values(averages, higher_is_better=True)
    return {team: rank for team, rank in ranks.items() if rank is not None}, 0


def compute_places(competition: Competition) -> tuple[dict, int]:
    """({team id: final place}, number of results still missing) for a competition, without writing anything."""
    teams = _active_teams(competition)
    if competition.format == Competition.Format.RANKED:
        return _ranked_places(competition, teams)
    if competition.format == Competition.Format.JUDGED:
        return _judged_places(competition, teams)
    matches = list(
        Match.objects.filter(competition=competition).only(
            "stage",
            "group",
            "round_no",
            "slot",
            "status",
            "home_id",
            "away_id",
            "home_score",
            "away_score",
            "winner_id",
        )
    )
    if competition.format == Competition.Format.ROUND_ROBIN:
        return _league_places(competition, teams, matches)
    if competition.format == Competition.Format.KNOCKOUT:
        return _knockout_places(matches)
    return _groups_knockout_places(competition, teams, matches)


@transaction.atomic
def competition_compute_placings(*, competition: Competition, actor=None) -> PlacingsOutcome:
    """Replace the competition's Placing rows with the final places its results give, with their team points.

    Runs after every result change (from the results services) and from the admin. Places are written only when
    every result is in; otherwise the competition's placings are removed (`complete` False, `missing` counts the
    results still to come). Team points follow the activity's points_by_place, tied places splitting the points
    of the places they cover (activities.tournament.placing_points). Locks the competition row so that two
    results entered at once cannot interleave their rewrites. Audited when the stored places change.
    """
    competition = lock_one(Competition, competition.pk, select_related=["activity"])
    places, missing = compute_places(competition)
    units = dict(Team.objects.filter(pk__in=list(places)).values_list("id", "unit_id")) if places else {}
    planned = [PlannedPlacing(competition.pk, team, units[team], place) for team, place in places.items()]
    points = placing_points(planned, points_by_place=_points_by_place(competition))
    new_rows = sorted((p.entry, p.unit, p.place, points[competition.pk, p.entry]) for p in planned)
    old_rows = sorted(
        Placing.objects.filter(competition=competition).values_list("team_id", "unit_id", "place", "points")
    )
    outcome = PlacingsOutcome(complete=not missing, places=places, missing=missing)
    if old_rows == new_rows:
        return outcome
    Placing.objects.filter(competition=competition).delete()
    Placing.objects.bulk_create(
        [
            Placing(competition=competition, team_id=team, unit_id=unit, place=place, points=share)
            for team, unit, place, share in new_rows
        ]
    )
    outcome.changed = True
    audit_record(
        actor=actor,
        action="competition.placings",
        obj=competition,
        changes={
            "old": {str(team): [place, str(share)] for team, _unit, place, share in old_rows},
            "new": {str(team): [place, str(share)] for team, _unit, place, share in new_rows},
        },
    )
    return outcome


def _points_by_place(competition: Competition) -> list:
    points = competition.activity.points_by_place
    if not isinstance(points, list):
        return []
    return [Decimal(str(p)) if not isinstance(p, int) else p for p in points if not isinstance(p, bool)]


def competition_has_results(competition: Competition) -> bool:
    """Whether any result is entered: a match played or won by walkover (a bye is no result), a ranked result, a
    judge's score. One query per kind at most."""
    if competition.uses_matches:
        return Match.objects.filter(competition=competition, status__in=DECIDED_STATUSES).exists()
    if competition.format == Competition.Format.RANKED:
        return RankedResult.objects.filter(team__competition=competition).exists()
    return JudgeScore.objects.filter(team__competition=competition).exists()

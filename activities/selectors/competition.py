"""Reads for a competition's public pages (fixtures by round, standings, bracket, ranking) and a meet's medal table.

Every function runs a fixed number of queries whatever the number of teams or matches: a 128-team round robin
(8,128 matches) costs the same queries as an 8-team one. Whether results may be shown is the caller's decision
(published, or the viewer is committee staff); these functions only read. `competition_state` and
`competition_version` let the views serve a page from the cache after one light query.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Min, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal.permissions import is_committee_staff

from ..models import Activity, Competition, JudgeScore, Match, OrganisationAward, Placing, RankedResult, Team
from ..tournament.ranking import judged_scores, rank_values
from ..tournament.standings import TIEBREAKERS, MatchOutcome, compute_standings

LEAGUE_STAGES = (Match.Stage.GROUP, Match.Stage.LEAGUE)
KNOCKOUT_STAGES = (Match.Stage.KNOCKOUT, Match.Stage.THIRD_PLACE)
DECIDED = (Match.Status.PLAYED, Match.Status.WALKOVER)
# What a fixture row needs; `only()` keeps the 64 rows of a 128-team round cheap to load.
MATCH_FIELDS = (
    "id",
    "competition_id",
    "stage",
    "group",
    "round_no",
    "slot",
    "scheduled_at",
    "venue",
    "court",
    "status",
    "home_score",
    "away_score",
    "detail",
    "winner_id",
    "home__id",
    "home__name",
    "home__unit__id",
    "home__unit__name",
    "home__unit__short_name",
    "away__id",
    "away__name",
    "away__unit__id",
    "away__unit__name",
    "away__unit__short_name",
)


def _version_sql() -> str:
    """SQL for one text column summing up what a competition page shows has last changed.

    For matches: the latest `updated_at`, answered from the index (competition, updated_at) without reading
    the 8,128 rows of a 128-team round robin. An edit or an insert moves it; matches are only ever deleted all
    at once (`fixtures_reset`; the admin cannot delete one), which takes it to NULL. For teams, ranked results
    and judges' scores (small tables) also the row count, so that a deleted row shows at once.
    """
    quote = connection.ops.quote_name
    competition = f"{quote(Competition._meta.db_table)}.{quote('id')}"
    team = quote(Team._meta.db_table)
    latest = f"COALESCE(CAST(MAX(x.{quote('updated_at')}) AS TEXT), '')"
    parts = [
        f"(SELECT {latest} FROM {quote(Match._meta.db_table)} x WHERE x.{quote('competition_id')} = {competition})",
        f"(SELECT {latest} || '/' || CAST(COUNT(*) AS TEXT) FROM {team} x "
        f"WHERE x.{quote('competition_id')} = {competition})",
    ]
    for model in (RankedResult, JudgeScore):
        parts.append(
            f"(SELECT {latest} || '/' || CAST(COUNT(*) AS TEXT) FROM {quote(model._meta.db_table)} x "
            f"INNER JOIN {team} t ON x.{quote('team_id')} = t.{quote('id')} "
            f"WHERE t.{quote('competition_id')} = {competition})"
        )
    return " || '|' || ".join(parts)


STATE_FIELDS = ("id", "format", "results_published", "entries_per_unit", "updated_at", "activity_updated_at")


def _state_sql() -> str:
    """The competition's state columns, its activity's change time and status, and the version source."""
    quote = connection.ops.quote_name
    competition, activity = quote(Competition._meta.db_table), quote(Activity._meta.db_table)
    columns = ", ".join(f"{competition}.{quote(name)}" for name in STATE_FIELDS[:-1])
    return (
        f"SELECT {columns}, {activity}.{quote('updated_at')}, {activity}.{quote('status')}, ({_version_sql()}) "
        f"FROM {competition} INNER JOIN {activity} ON {competition}.{quote('activity_id')} = {activity}.{quote('id')} "
        f"WHERE {competition}.{quote('id')} = %s"
    )


def competition_state(pk: int, *, user) -> dict | None:
    """What a competition page needs before it knows whether its body is cached: id, format, whether results
    are published, and the parts of its version (`version_source`, see `_version_sql`). None when the
    competition does not exist or belongs
    to a draft and the user is not committee staff.

    One query in plain SQL and no model instances: on a cache hit this is all the page reads, and the ORM
    would spend longer compiling the query than the database spends running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    *fields, status, version_source = row
    if status not in Activity.PUBLIC_STATUSES and not is_committee_staff(user):
        return None
    return {**dict(zip(STATE_FIELDS, fields, strict=True)), "version_source": version_source}


def competition_version(state: dict) -> str:
    """A short key that changes whenever anything a competition page shows changes (no query).

    Built from the competition's own row (including `results_published`, which an admin action may set with a
    bulk update that leaves `updated_at` alone), its activity's row, and `version_source` (see `_version_sql`).
    A change made behind the services' back (a bulk update, a single match deleted in the shell) shows once the
    cached body expires (FRAGMENT_TTL in the views). Takes `competition_state`'s dict.
    """
    parts = [state[name] for name in STATE_FIELDS] + [state["version_source"]]
    return hashlib.sha1("|".join(str(part) for part in parts).encode()).hexdigest()[:16]


def competition_with_activity(pk: int) -> Competition:
    """The competition with its activity, for rendering (after `competition_state` has checked access)."""
    return Competition.objects.select_related("activity").get(pk=pk)


# ---------------------------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class RoundPage:
    """One page of the fixtures: a round of the league/group stage, or a knockout round (final with 3rd place)."""

    number: int
    bucket: str  # "league" or "knockout"
    round_no: int
    match_count: int
    open_count: int
    first_at: datetime | None
    knockout_rounds: int
    has_groups: bool

    @property
    def label(self) -> str:
        if self.bucket == "league":
            if self.has_groups:
                return _("Group stage, round %(round)s") % {"round": self.round_no}
            return _("Round %(round)s") % {"round": self.round_no}
        return knockout_round_label(self.round_no, self.knockout_rounds)


def knockout_round_label(round_no: int, rounds: int) -> str:
    """ "Final", "Semi-finals", "Quarter-finals" or "Round of 16" for round `round_no` of `rounds`."""
    remaining = 2 ** max(rounds - round_no + 1, 1)
    if remaining == 2:
        return _("Final")
    if remaining == 4:
        return _("Semi-finals")
    if remaining == 8:
        return _("Quarter-finals")
    return _("Round of %(count)s") % {"count": remaining}


def fixture_pages(competition: Competition) -> list[RoundPage]:
    """The fixture pages of a competition in order: league/group rounds, then knockout rounds. One query."""
    rows = (
        Match.objects.filter(competition=competition)
        .values("stage", "round_no")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(status=Match.Status.SCHEDULED)),
            first=Min("scheduled_at"),
            grouped=Max("group"),
        )
        .order_by()
    )
    merged: dict[tuple[str, int], dict] = {}
    knockout_rounds = 0
    for row in rows:
        bucket = "league" if row["stage"] in LEAGUE_STAGES else "knockout"
        if row["stage"] == Match.Stage.KNOCKOUT:
            knockout_rounds = max(knockout_rounds, row["round_no"])
        page = merged.setdefault((bucket, row["round_no"]), {"n": 0, "open": 0, "first": None, "grouped": False})
        page["n"] += row["n"]
        page["open"] += row["open"]
        page["grouped"] = page["grouped"] or bool(row["grouped"])
        if row["first"] is not None and (page["first"] is None or row["first"] < page["first"]):
            page["first"] = row["first"]
    ordered = sorted(merged.items(), key=lambda item: (item[0][0] != "league", item[0][1]))
    return [
        RoundPage(
            number=index,
            bucket=bucket,
            round_no=round_no,
            match_count=page["n"],
            open_count=page["open"],
            first_at=page["first"],
            knockout_rounds=knockout_rounds,
            has_groups=page["grouped"],
        )
        for index, ((bucket, round_no), page) in enumerate(ordered, start=1)
    ]


def current_page(pages: list[RoundPage]) -> RoundPage | None:
    """The round to show by default: the first with a match still to play, else the last one."""
    for page in pages:
        if page.open_count:
            return page
    return pages[-1] if pages else None


def page_summary(pages: list[RoundPage]) -> tuple[int, int]:
    """(number of pages, number of the default page); (0, 0) before the draw."""
    page = current_page(pages)
    return len(pages), page.number if page else 0


def mark_decided(matches) -> list[Match]:
    """Set `decided` (played or walkover) on each match, for the templates."""
    matches = list(matches)
    for match in matches:
        match.decided = match.status in DECIDED
    return matches


def round_fixtures(competition: Competition, page: RoundPage) -> list[Match]:
    """The matches of one fixture page with both teams and their units, by stage, group, time, slot. One query."""
    stages = LEAGUE_STAGES if page.bucket == "league" else KNOCKOUT_STAGES
    return mark_decided(
        Match.objects.filter(competition=competition, stage__in=stages, round_no=page.round_no)
        .select_related("home__unit", "away__unit")
        .only(*MATCH_FIELDS)
        .order_by("stage", "group", "scheduled_at", "slot", "id")
    )


# ---------------------------------------------------------------------------------------------------- standings


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


# ---------------------------------------------------------------------------------------------------- bracket


@dataclass
class BracketRound:
    round_no: int
    label: str
    matches: list[Match]


@dataclass
class Bracket:
    rounds: list[BracketRound]
    third_place: list[Match]

    @property
    def is_empty(self) -> bool:
        return not self.rounds


def competition_bracket(competition: Competition) -> Bracket:
    """The knockout stage as columns of rounds (slot order, so each match sits between its feeders). One query."""
    matches = mark_decided(
        Match.objects.filter(competition=competition, stage__in=KNOCKOUT_STAGES)
        .select_related("home__unit", "away__unit")
        .only(*MATCH_FIELDS)
        .order_by("round_no", "slot", "id")
    )
    by_round: dict[int, list[Match]] = defaultdict(list)
    third_place = []
    for match in matches:
        if match.stage == Match.Stage.THIRD_PLACE:
            third_place.append(match)
        else:
            by_round[match.round_no].append(match)
    rounds = max(by_round, default=0)
    return Bracket(
        rounds=[
            BracketRound(round_no=number, label=knockout_round_label(number, rounds), matches=by_round[number])
            for number in sorted(by_round)
        ],
        third_place=third_place,
    )


# ---------------------------------------------------------------------------------------------------- ranking


@dataclass
class RankingLine:
    rank: int | None
    team: Team
    value: Decimal | None
    note: str
    scores: list[Decimal]

    @property
    def display_value(self) -> str:
        """The result without trailing zeros: 13.2, not 13.200."""
        return "" if self.value is None else plain_decimal(self.value)


def plain_decimal(value: Decimal) -> str:
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def competition_ranking(competition: Competition) -> list[RankingLine]:
    """The ranking of a ranked (times, distances) or judged (panel scores) event, best first.

    Ranks come from `tournament.ranking` (equal results share a rank: 1, 2, 2, 4); a stored Placing, when
    staff have recorded one, overrides the computed rank. Entries without a result come last. Three queries.
    """
    teams = list(
        Team.objects.filter(competition=competition, status=Team.Status.ACTIVE)
        .select_related("unit", "ranked_result", "placing")
        .prefetch_related(Prefetch("judge_scores", queryset=JudgeScore.objects.order_by("judge")))
        .order_by("place_no", "id")
    )
    values: dict[int, Decimal | None] = {}
    notes: dict[int, str] = {}
    scores: dict[int, list[Decimal]] = {}
    if competition.format == Competition.Format.JUDGED:
        panels = {team.pk: [score.score for score in team.judge_scores.all()] for team in teams}
        minimum = 3 if competition.drop_extreme_scores else 1
        enough = {pk: panel for pk, panel in panels.items() if len(panel) >= minimum}
        averages = judged_scores(enough, drop_extremes=competition.drop_extreme_scores)
        values = {team.pk: averages.get(team.pk) for team in teams}
        scores = panels
        higher_is_better = True
    else:
        for team in teams:
            result = getattr(team, "ranked_result", None)
            values[team.pk] = result.value if result else None
            notes[team.pk] = result.note if result else ""
        higher_is_better = competition.result_ordering == Competition.Ordering.HIGHER_IS_BETTER
    ranks = rank_values(values, higher_is_better=higher_is_better)
    lines = []
    for team in teams:
        placing = getattr(team, "placing", None)
        rank = placing.place if placing is not None else ranks.get(team.pk)
        lines.append(
            RankingLine(
                rank=rank,
                team=team,
                value=values.get(team.pk),
                note=notes.get(team.pk, ""),
                scores=scores.get(team.pk, []),
            )
        )
    lines.sort(key=lambda line: (line.rank is None, line.rank or 0, line.team.place_no, line.team.pk))
    return lines


# ---------------------------------------------------------------------------------------------------- medals


@dataclass
class MedalLine:
    rank: int
    unit_id: int
    unit_name: str
    unit_short_name: str
    gold: int
    silver: int
    bronze: int
    points: Decimal

    @property
    def total(self) -> int:
        return self.gold + self.silver + self.bronze

    @property
    def unit_display_name(self) -> str:
        return self.unit_short_name or self.unit_name


@dataclass
class MedalTable:
    medals: list[MedalLine]
    points: list[MedalLine]
    awards: list[OrganisationAward]
    competitions: int
    competitions_placed: int


def _shared_ranks(lines: list[MedalLine], key) -> None:
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else None
        line.rank = previous.rank if previous is not None and key(previous) == key(line) else index + 1


def medal_table(activity: Activity, *, include_unpublished: bool = False) -> MedalTable:
    """A meet's medal table, unit team points and organisation awards, summed in SQL from the Placing rows.

    Gold, silver and bronze are places 1, 2 and 3; tied entries hold the same place and so the same medal.
    Units are ranked by golds, then silvers, then bronzes (equal units share a rank); the points table ranks
    units by the sum of their placings' points. Only competitions whose results are published count unless
    `include_unpublished` (committee staff). Three queries.
    """
    placings = Placing.objects.filter(competition__activity=activity)
    competitions = Competition.objects.filter(activity=activity)
    if not include_unpublished:
        placings = placings.filter(competition__results_published=True)
    counts = competitions.aggregate(
        total=Count("id"),
        placed=Count(
            "id",
            filter=Q(placings__isnull=False) & (Q() if include_unpublished else Q(results_published=True)),
            distinct=True,
        ),
    )
    rows = (
        placings.values("unit_id", "unit__name", "unit__short_name", "unit__sort_order")
        .annotate(
            gold=Count("id", filter=Q(place=1)),
            silver=Count("id", filter=Q(place=2)),
            bronze=Count("id", filter=Q(place=3)),
            points=Coalesce(Sum("points"), Value(Decimal(0))),
        )
        .order_by("-gold", "-silver", "-bronze", "-points", "unit__sort_order", "unit_id")
    )
    lines = [
        MedalLine(
            rank=0,
            unit_id=row["unit_id"],
            unit_name=row["unit__name"],
            unit_short_name=row["unit__short_name"],
            gold=row["gold"],
            silver=row["silver"],
            bronze=row["bronze"],
            points=row["points"],
        )
        for row in rows
    ]
    medals = [line for line in lines if line.total]
    _shared_ranks(medals, lambda line: (line.gold, line.silver, line.bronze))
    points = sorted((MedalLine(**{**line.__dict__}) for line in lines if line.points), key=lambda line: -line.points)
    _shared_ranks(points, lambda line: line.points)
    awards = list(
        OrganisationAward.objects.filter(activity=activity)
        .select_related("unit")
        .order_by("kind", "unit__sort_order", "unit_id")
    )
    return MedalTable(
        medals=medals,
        points=points,
        awards=awards,
        competitions=counts["total"],
        competitions_placed=counts["placed"],
    )

"""Reads for a competition's fixtures page: its pages (a league/group round or a knockout round each) and the
matches of one page.

Every function runs a fixed number of queries whatever the number of teams or matches: a 128-team round robin
(8,128 matches) costs the same queries as an 8-team one.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext as _

from ..models import Competition, Match
from .matches import (
    DECIDED,
    KNOCKOUT_STAGES,
    LEAGUE_STAGES,
    MATCH_FIELDS,
    conceal_advanced_entrants,
    knockout_round_label,
)


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


def round_fixtures(competition: Competition, page: RoundPage, *, conceal: bool = False) -> list[Match]:
    """The matches of one fixture page with both teams and their units, by stage, group, time, slot. One query.

    With `conceal` (results unpublished, a viewer who is not staff), teams that advanced by a result are replaced
    by placeholders (see `conceal_advanced_entrants`; one more query on a knockout page).
    """
    stages = LEAGUE_STAGES if page.bucket == "league" else KNOCKOUT_STAGES
    matches = mark_decided(
        Match.objects.filter(competition=competition, stage__in=stages, round_no=page.round_no)
        .select_related("home__unit", "away__unit")
        .only(*MATCH_FIELDS)
        .order_by("stage", "group", "scheduled_at", "slot", "id")
    )
    return conceal_advanced_entrants(matches, hidden_competitions={competition.pk} if conceal else ())

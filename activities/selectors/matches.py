"""What the competition selectors share about matches: the stage and status groups, and a fixture row's fields."""

from django.utils.translation import gettext as _

from ..models import Match

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


def conceal_advanced_entrants(matches, *, hidden_competitions) -> list[Match]:
    """Hide the teams that reached a match through a result the public may not see yet.

    While a competition's results are unpublished, a knockout slot filled by a winner (or, for the third-place
    match, a loser) or by a group place tells who won. For every match of a competition in `hidden_competitions`
    (ids), each such side gets a placeholder ("Winner of Semi-finals match 1", "Group A, place 2") in
    `home_placeholder` / `away_placeholder`, which the templates and the iCalendar feed show instead of the
    team; a slot the draw filled (a bye included) keeps its team. Every match gets both attributes (None when
    nothing is hidden). One query when a hidden competition has knockout matches among `matches`, else none.
    """
    matches = list(matches)
    for match in matches:
        match.home_placeholder = match.away_placeholder = None
    wanted = set(hidden_competitions)
    hidden = {m.competition_id for m in matches if m.competition_id in wanted and m.stage in KNOCKOUT_STAGES}
    if not hidden:
        return matches
    skeleton = list(
        Match.objects.filter(competition_id__in=hidden, stage__in=KNOCKOUT_STAGES).values(
            "id",
            "competition_id",
            "stage",
            "round_no",
            "slot",
            "status",
            "detail",
            "next_match_id",
            "next_side",
            "loser_next_match_id",
            "loser_next_side",
        )
    )
    rows = {row["id"]: row for row in skeleton}
    rounds = {}
    feeders = {}
    for row in skeleton:
        if row["stage"] == Match.Stage.KNOCKOUT:
            rounds[row["competition_id"]] = max(rounds.get(row["competition_id"], 0), row["round_no"])
        if row["next_match_id"]:
            feeders[row["next_match_id"], row["next_side"]] = (row, "winner")
        if row["loser_next_match_id"]:
            feeders[row["loser_next_match_id"], row["loser_next_side"]] = (row, "loser")

    def placeholder(match_id: int, side: str, detail) -> str | None:
        feed = (detail or {}).get("feed", {}).get(side) if isinstance(detail, dict) else None
        if feed:
            return _("Group %(group)s, place %(place)s") % {"group": feed[0], "place": feed[1]}
        if (match_id, side) not in feeders:
            return None  # filled by the draw, which is public
        row, kind = feeders[match_id, side]
        if kind == "winner" and row["status"] == Match.Status.BYE:
            # A bye's one team moves on without a result: hidden only if its own slot is.
            return placeholder(row["id"], "home", row["detail"])
        values = {
            "round": knockout_round_label(row["round_no"], rounds.get(row["competition_id"], row["round_no"])),
            "number": row["slot"] + 1,
        }
        if kind == "winner":
            return _("Winner of %(round)s match %(number)d") % values
        return _("Loser of %(round)s match %(number)d") % values

    for match in matches:
        if match.competition_id in hidden and match.pk in rows:
            detail = rows[match.pk]["detail"]
            match.home_placeholder = placeholder(match.pk, Match.Side.HOME, detail)
            match.away_placeholder = placeholder(match.pk, Match.Side.AWAY, detail)
    return matches

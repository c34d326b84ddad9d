"""What the competition selectors share about matches: the stage and status groups, and a fixture row's fields."""

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

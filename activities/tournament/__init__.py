"""Pure tournament logic (no models, no database): draw plans, league tables, rankings, medals and team points.

Services that persist matches and placings call these with ids and plain values and store what comes back.
"""

from activities.tournament.fixtures import (
    GroupsThenKnockout,
    KnockoutFeed,
    PlannedMatch,
    bracket_order,
    groups_then_knockout,
    knockout,
    round_robin,
    snake_groups,
)
from activities.tournament.medals import (
    MedalRow,
    Placing,
    medal_table,
    placing_points,
    placings_from_knockout,
    team_points,
)
from activities.tournament.ranking import judged_scores, rank_values
from activities.tournament.standings import TIEBREAKERS, MatchOutcome, StandingRow, compute_standings

__all__ = [
    "TIEBREAKERS",
    "GroupsThenKnockout",
    "KnockoutFeed",
    "MatchOutcome",
    "MedalRow",
    "Placing",
    "PlannedMatch",
    "StandingRow",
    "bracket_order",
    "compute_standings",
    "groups_then_knockout",
    "judged_scores",
    "knockout",
    "medal_table",
    "placing_points",
    "placings_from_knockout",
    "rank_values",
    "round_robin",
    "snake_groups",
    "team_points",
]

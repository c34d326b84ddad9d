"""Reads for a competition's bracket page: the knockout stage as columns of rounds, and the third-place match.

One query whatever the number of teams (two while advanced teams are concealed).
"""

from collections import defaultdict
from dataclasses import dataclass

from ..models import Competition, Match
from .fixtures import knockout_round_label, mark_decided
from .matches import KNOCKOUT_STAGES, MATCH_FIELDS, conceal_advanced_entrants


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


def competition_bracket(competition: Competition, *, conceal: bool = False) -> Bracket:
    """The knockout stage as columns of rounds (slot order, so each match sits between its feeders). One query.

    With `conceal` (results unpublished, a viewer who is not staff), teams that advanced by a result are replaced
    by placeholders (see `conceal_advanced_entrants`; one more query).
    """
    matches = mark_decided(
        Match.objects.filter(competition=competition, stage__in=KNOCKOUT_STAGES)
        .select_related("home__unit", "away__unit")
        .only(*MATCH_FIELDS)
        .order_by("round_no", "slot", "id")
    )
    matches = conceal_advanced_entrants(matches, hidden_competitions={competition.pk} if conceal else ())
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

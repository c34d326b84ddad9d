"""Reads for the ranking of a ranked (times, distances) or judged (panel scores) competition.

Runs a fixed number of queries whatever the number of entries. Whether results may be shown is the caller's
decision (published, or the viewer is committee staff); this module only reads.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from ..models import Competition, JudgeScore, Team
from ..tournament.ranking import judged_scores, rank_values


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

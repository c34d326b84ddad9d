"""Reads for a meet's medal table: medals and team points per unit, and the organisation awards.

Runs a fixed number of queries whatever the number of competitions or placings.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Activity, Competition, OrganisationAward, Placing


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
        total=Count("id", distinct=True),
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

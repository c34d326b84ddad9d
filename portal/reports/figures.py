"""The figures of a period across every contribution, as they stood in the period.

Person-times add up across apps; distinct cadres and units do not, so they are counted once over every app's
participation rows together (portal.reports.snapshot materialises them once per build). Rosters, units and the
unit a cadre counts for are those of the period (portal.CadreTenure, portal.UnitActiveSpan), so regenerating a
past period later gives the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import Unit
from .periods import Period
from .registry import MEDAL_KEYS, ReportContribution, contributions
from .snapshot import SnapshotFigures, SourceFigures, snapshot_figures

HEADLINE_KEYS = (
    "activities_held",
    "participations",
    "cadres_reached",
    "active_cadres",
    "reach",
    "units_reached",
    "active_units",
    "coverage",
    "volunteers",
    "cost",
)


@dataclass
class PeriodFigures:
    """Totals of a period plus each contribution's own figures (keyed by contribution key).

    `previous` holds the totals of the period before (the previous quarter or year) when asked for.
    """

    period: Period
    totals: dict
    apps: dict
    contributions: list
    snapshot: SnapshotFigures
    previous: dict | None = None


def _optional_sum(values, start):
    """The sum of the figures apps gave, or None when no app records it (shown as "not yet recorded")."""
    given = [value for value in values if value is not None]
    return sum(given, start) if given else None


def period_figures(
    period: Period, contribs: list[ReportContribution] | None = None, *, with_previous: bool = False
) -> PeriodFigures:
    """Every contribution's figures and the combined totals; a fixed number of queries whatever the data.

    Totals: activities_held (sum over apps), participations, cadres_reached and units_reached (over every app's
    rows, cadres on the period's roster only), active_cadres and active_units (as of the period), coverage and
    reach (None when dividing by 0), cost and volunteers (None when no app records them), by_month.
    """
    contribs = contributions() if contribs is None else contribs
    snapshot = snapshot_figures(period, {c.key: c.participations(period) for c in contribs})
    apps = {c.key: c.figures(period, snapshot.sources.get(c.key, SourceFigures())) for c in contribs}
    totals = _totals(snapshot, apps)
    previous = None
    if with_previous:
        # Only the headline totals of the period before: one lighter pass over its participation.
        earlier = period.previous()
        earlier_snapshot = snapshot_figures(
            earlier, {c.key: c.participations(earlier) for c in contribs}, totals_only=True
        )
        previous = _totals(earlier_snapshot, {c.key: c.figures(earlier, SourceFigures()) for c in contribs})
    return PeriodFigures(
        period=period, totals=totals, apps=apps, contributions=contribs, snapshot=snapshot, previous=previous
    )


def _totals(snapshot: SnapshotFigures, apps: dict) -> dict:
    totals = {
        "activities_held": sum(f.get("activities_held", 0) for f in apps.values()),
        "participations": snapshot.total.participations,
        "cost": _optional_sum((f.get("cost") for f in apps.values()), Decimal(0)),
        "volunteers": _optional_sum((f.get("volunteers") for f in apps.values()), 0),
        "cadres_reached": snapshot.total.cadres_reached,
        "units_reached": snapshot.total.units_reached,
        "active_units": len(snapshot.active_units),
        "active_cadres": snapshot.active_cadres,
        "by_month": snapshot.by_month,
    }
    totals["coverage"] = totals["units_reached"] / totals["active_units"] if totals["active_units"] else None
    totals["reach"] = totals["cadres_reached"] / totals["active_cadres"] if totals["active_cadres"] else None
    return totals


def per_unit_figures(figures: PeriodFigures) -> dict:
    """{unit_id: participations, cadres_reached, active_cadres, medals and points summed over the apps}; no query.

    Every unit active during the period has a row, and so has any unit credited with person-times or medals.
    """
    merged: dict = {}
    for unit_id, values in figures.snapshot.units.items():
        merged[unit_id] = {
            "participations": values.participations,
            "cadres_reached": values.cadres_reached,
            "active_cadres": values.active_cadres,
            **dict.fromkeys(MEDAL_KEYS, 0),
        }
    for app_figures in figures.apps.values():
        for unit_id, values in app_figures.get("units", {}).items():
            row = merged.setdefault(
                unit_id,
                {"participations": 0, "cadres_reached": 0, "active_cadres": 0, **dict.fromkeys(MEDAL_KEYS, 0)},
            )
            for key in MEDAL_KEYS:
                row[key] += values.get(key) or 0
    return merged


@dataclass
class UnitRow:
    unit_id: int
    name: str
    kind: str
    active_cadres: int
    participations: int
    cadres_reached: int
    gold: int
    silver: int
    bronze: int
    points: Decimal
    active_in_period: bool = True

    @property
    def reach(self):
        return self.cadres_reached / self.active_cadres if self.active_cadres else None

    @property
    def medals(self) -> int:
        return self.gold + self.silver + self.bronze


def unit_rows(figures: PeriodFigures):
    """One UnitRow per unit active during the period (and any other unit credited with figures, flagged), in
    display order; their sums equal the Summary's totals. One query (the units' names)."""
    per_unit = per_unit_figures(figures)
    kinds = dict(Unit.Kind.choices)
    units = Unit.objects.filter(pk__in=list(per_unit)).order_by("sort_order", "code").values_list("pk", "name", "kind")
    active_units = figures.snapshot.active_units
    for pk, name, kind in units:
        values = per_unit[pk]
        yield UnitRow(
            unit_id=pk,
            name=name,
            kind=str(kinds.get(kind, kind)),
            active_cadres=values["active_cadres"],
            participations=values["participations"],
            cadres_reached=values["cadres_reached"],
            gold=values["gold"],
            silver=values["silver"],
            bronze=values["bronze"],
            points=Decimal(values["points"] or 0),
            active_in_period=pk in active_units,
        )

"""The figures of a period across every contribution, computed by the database.

Person-times add up across apps; distinct cadres and units do not, so they are counted once over the union of
every app's participants (the OR of their `reached_cadres` filters), in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, Q

from ..models import Cadre, Unit
from .periods import Period
from .registry import STANDARD_UNIT_KEYS, ReportContribution, contributions


@dataclass
class PeriodFigures:
    """Totals of a period plus each contribution's own figures (keyed by contribution key)."""

    period: Period
    totals: dict
    apps: dict
    contributions: list
    reached_q: Q | None


def _reached_q(period: Period, contribs: list[ReportContribution]) -> Q | None:
    filters = [q for q in (c.reached_cadres(period) for c in contribs) if q is not None]
    return reduce(or_, filters) if filters else None


def period_figures(period: Period, contribs: list[ReportContribution] | None = None) -> PeriodFigures:
    """Every contribution's figures and the combined totals; a fixed number of queries whatever the data.

    Totals: activities_held and participations (sums), cost (sum, None when no app reports one), cadres_reached
    and units_reached (distinct over every app; units counted only while active), active_units, active_cadres,
    coverage (units reached / active units) and reach (cadres reached / active cadres), None when dividing by 0.
    """
    contribs = contributions() if contribs is None else contribs
    apps = {c.key: c.figures(period) for c in contribs}
    reached_q = _reached_q(period, contribs)
    reached = {"cadres": 0, "units": 0}
    if reached_q is not None:
        reached = Cadre.objects.filter(reached_q).aggregate(
            cadres=Count("pk"), units=Count("unit", distinct=True, filter=Q(unit__is_active=True))
        )
    base = Unit.objects.filter(is_active=True).aggregate(
        units=Count("pk", distinct=True), cadres=Count("cadres", filter=Q(cadres__is_active=True))
    )
    costs = [f["cost"] for f in apps.values() if f.get("cost") is not None]
    totals = {
        "activities_held": sum(f.get("activities_held", 0) for f in apps.values()),
        "participations": sum(f.get("participations", 0) for f in apps.values()),
        "cost": sum(costs, Decimal(0)) if costs else None,
        "cadres_reached": reached["cadres"],
        "units_reached": reached["units"],
        "active_units": base["units"],
        "active_cadres": base["cadres"],
    }
    totals["coverage"] = totals["units_reached"] / totals["active_units"] if totals["active_units"] else None
    totals["reach"] = totals["cadres_reached"] / totals["active_cadres"] if totals["active_cadres"] else None
    by_month = defaultdict(int)
    for figures in apps.values():
        for month, count in figures.get("by_month", {}).items():
            by_month[month] += count
    totals["by_month"] = dict(by_month)
    return PeriodFigures(period=period, totals=totals, apps=apps, contributions=contribs, reached_q=reached_q)


def per_unit_figures(figures: PeriodFigures) -> dict:
    """{unit_id: participations, medals, points summed over the apps, plus cadres_reached}; two queries at most."""
    merged: dict = defaultdict(lambda: dict.fromkeys(STANDARD_UNIT_KEYS, 0) | {"cadres_reached": 0})
    for app_figures in figures.apps.values():
        for unit_id, values in app_figures.get("units", {}).items():
            row = merged[unit_id]
            for key in STANDARD_UNIT_KEYS:
                row[key] += values.get(key) or 0
    if figures.reached_q is not None:
        reached = (
            Cadre.objects.filter(figures.reached_q)
            .order_by()
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
        for unit_id, count in reached:
            merged[unit_id]["cadres_reached"] = count
    return dict(merged)


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

    @property
    def reach(self):
        return self.cadres_reached / self.active_cadres if self.active_cadres else None

    @property
    def medals(self) -> int:
        return self.gold + self.silver + self.bronze


def unit_rows(figures: PeriodFigures):
    """One UnitRow per active unit in display order, streamed from the database (one query, not one per unit)."""
    per_unit = per_unit_figures(figures)
    empty = dict.fromkeys(STANDARD_UNIT_KEYS, 0) | {"cadres_reached": 0}
    kinds = dict(Unit.Kind.choices)
    units = (
        Unit.objects.filter(is_active=True)
        .annotate(active_cadres=Count("cadres", filter=Q(cadres__is_active=True)))
        .order_by("sort_order", "code")
        .values_list("pk", "name", "kind", "active_cadres")
    )
    for pk, name, kind, active_cadres in units.iterator(chunk_size=500):
        values = per_unit.get(pk, empty)
        yield UnitRow(
            unit_id=pk,
            name=name,
            kind=str(kinds.get(kind, kind)),
            active_cadres=active_cadres,
            participations=values["participations"],
            cadres_reached=values["cadres_reached"],
            gold=values["gold"],
            silver=values["silver"],
            bronze=values["bronze"],
            points=Decimal(values["points"] or 0),
        )

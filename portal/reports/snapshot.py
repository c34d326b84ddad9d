"""A period's participation, roster and units, materialised once per build in temporary tables, then aggregated.

Why temporary tables: reach is "distinct cadres over every app's participants". Written as
`cadre.id IN (sign-ups) OR cadre.id IN (team members) OR ...`, PostgreSQL hashes each subquery only while its
estimate fits `work_mem` and otherwise re-runs it for every cadre: at 1.1x city scale the annual report went from
3 s to 470 s. Here each contribution's rows are inserted on their own (a plain scan each, no OR, no UNION to plan),
the period's roster is computed once, and every figure is a GROUP BY over the two tables joined on the cadre: plans
that grow linearly with the data whatever the planner's estimates. Each new app adds one INSERT, not one more OR.

Figures as of the period: the roster comes from portal.CadreTenure and the units from portal.UnitActiveSpan, so a
cadre deactivated or moved since, or a unit closed since, counts where and while it was (see docs/architecture.md).

The tables live on the build's connection only (TEMPORARY) and are dropped when the `with` block ends. This
needs a session-level connection (not a transaction-pooling proxy such as pgbouncer in transaction mode).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, Value, When, Window
from django.db.models.functions import RowNumber

from ..models import Cadre, CadreTenure, Unit, UnitActiveSpan
from .periods import Period
from .registry import PARTICIPATION_COLUMNS

PARTICIPATION_TABLE = "report_tmp_participation"
ROSTER_TABLE = "report_tmp_roster"
UNITS_TABLE = "report_tmp_units"
PER_CADRE_TABLE = "report_tmp_per_cadre"
TABLES = (PARTICIPATION_TABLE, ROSTER_TABLE, UNITS_TABLE, PER_CADRE_TABLE)
ROSTER_COLUMNS = ("r_cadre", "r_unit", "r_on")


@dataclass
class Reach:
    """Person-times and the distinct cadres and units they reached (cadres on the period's roster only)."""

    participations: int = 0
    cadres_reached: int = 0
    units_reached: int = 0

    def as_dict(self) -> dict:
        return {
            "participations": self.participations,
            "cadres_reached": self.cadres_reached,
            "units_reached": self.units_reached,
        }


@dataclass
class SourceFigures:
    """One contribution's participation, aggregated: overall, per category, per item (activity...), per month."""

    total: Reach = field(default_factory=Reach)
    by_category: dict = field(default_factory=dict)  # category -> Reach
    by_item: dict = field(default_factory=dict)  # item id -> Reach
    by_month: dict = field(default_factory=dict)  # month (1-12) -> person-times


@dataclass
class UnitFigures:
    active_cadres: int = 0
    participations: int = 0
    cadres_reached: int = 0


@dataclass
class SnapshotFigures:
    """Everything the workbook needs from the participation rows, for one period."""

    total: Reach
    sources: dict  # contribution key -> SourceFigures
    units: dict  # unit id -> UnitFigures (units active in the period, and any unit credited with participations)
    active_units: set
    active_cadres: int
    by_month: dict


def _execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _insert_from(table: str, columns: str, queryset) -> None:
    """INSERT INTO table (columns) SELECT ... from a compiled queryset (its parameters adapted by the ORM)."""
    sql, params = queryset.query.sql_with_params()
    _execute(f"INSERT INTO {table} ({columns}) SELECT q.* FROM ({sql}) q", params)


def roster_with_tenure(period: Period):
    """(cadre id, period unit, on the roster) for every cadre with a tenure begun before the period's end.

    The period unit is the unit of the latest such tenure; the cadre is on the roster when that tenure reaches
    into the period (a cadre deactivated during the period counts, one deactivated before it does not).
    """
    begun = CadreTenure.objects.filter(Q(started_at__isnull=True) | Q(started_at__lt=period.end))
    latest = begun.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("cadre_id")],
            order_by=[F("started_at").desc(nulls_last=True), F("pk").desc()],
        )
    ).filter(rank=1)
    reaches_period = Case(
        When(Q(ended_at__isnull=True) | Q(ended_at__gt=period.start), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return (
        latest.order_by()
        .annotate(r_cadre=F("cadre_id"), r_unit=F("unit_id"), r_on=reaches_period)
        .values_list(*ROSTER_COLUMNS)
    )


def roster_without_tenure():
    """Cadres with no recorded tenure: in their current unit since records began, on the roster if active."""
    return (
        Cadre.objects.filter(~Exists(CadreTenure.objects.filter(cadre=OuterRef("pk"))))
        .order_by()
        .annotate(r_cadre=F("pk"), r_unit=F("unit_id"), r_on=F("is_active"))
        .values_list(*ROSTER_COLUMNS)
    )


def roster_joined_later(period: Period):
    """Cadres whose every tenure began after the period: not on its roster, credited to their current unit if
    they took part anyway (recorded late), so that every cadre has a row and no person-time is dropped."""
    tenures = CadreTenure.objects.filter(cadre=OuterRef("pk"))
    begun = tenures.filter(Q(started_at__isnull=True) | Q(started_at__lt=period.end))
    return (
        Cadre.objects.filter(Exists(tenures), ~Exists(begun))
        .order_by()
        .annotate(r_cadre=F("pk"), r_unit=F("unit_id"), r_on=Value(False, output_field=BooleanField()))
        .values_list(*ROSTER_COLUMNS)
    )


def units_active_during(period: Period):
    """Units active at some moment of the period (a span overlapping it; without spans, active now)."""
    spans = UnitActiveSpan.objects.filter(unit=OuterRef("pk"))
    overlapping = spans.filter(
        Q(started_at__isnull=True) | Q(started_at__lt=period.end),
        Q(ended_at__isnull=True) | Q(ended_at__gt=period.start),
    )
    return Unit.objects.filter(Q(Exists(overlapping)) | (Q(is_active=True) & ~Exists(spans))).order_by()


def _create_tables() -> None:
    _drop_tables()
    _execute(f"CREATE TEMPORARY TABLE {UNITS_TABLE} (unit_id bigint PRIMARY KEY)")
    _execute(
        f"CREATE TEMPORARY TABLE {ROSTER_TABLE} (cadre_id bigint PRIMARY KEY, unit_id bigint NOT NULL, "
        "active smallint NOT NULL)"
    )
    # source: the contribution's position in the build (a small integer hashes and sorts faster than its key).
    _execute(
        f"CREATE TEMPORARY TABLE {PARTICIPATION_TABLE} (source smallint NOT NULL, cadre_id bigint NOT NULL, "
        "category varchar(60), month integer, item_id bigint, unit_id bigint, active smallint NOT NULL)"
    )


def _drop_tables() -> None:
    for table in TABLES:
        _execute(f"DROP TABLE IF EXISTS {table}")


def _analyze(*tables: str) -> None:
    if connection.vendor == "postgresql":
        # Fresh temporary tables have no statistics: without them the statements that follow are planned blind.
        _execute(f"ANALYZE {', '.join(tables)}")


def _fill(period: Period, sources: dict) -> list:
    """The units active in the period, the roster (every cadre, with their unit of the period and whether they
    count: on the period's roster in a unit active in it), then each source's rows with the cadre's unit and
    standing attached as they are inserted. Returns the source keys by their code."""
    _insert_from(UNITS_TABLE, "unit_id", units_active_during(period).values_list("pk"))
    for roster in (roster_with_tenure(period), roster_without_tenure(), roster_joined_later(period)):
        sql, params = roster.query.sql_with_params()
        _execute(
            f"INSERT INTO {ROSTER_TABLE} (cadre_id, unit_id, active) SELECT q.r_cadre, q.r_unit, "
            f"CASE WHEN q.r_on AND q.r_unit IN (SELECT unit_id FROM {UNITS_TABLE}) THEN 1 ELSE 0 END "
            f"FROM ({sql}) q",
            params,
        )
    _analyze(ROSTER_TABLE, UNITS_TABLE)
    keys = list(sources)
    for code, key in enumerate(keys):
        for queryset in sources[key]:
            sql, params = queryset.query.sql_with_params()
            # LEFT JOIN: every cadre has a roster row, and a person-time is never dropped even if one had not.
            _execute(
                f"INSERT INTO {PARTICIPATION_TABLE} (source, cadre_id, category, month, item_id, unit_id, active) "
                f"SELECT %s, q.*, r.unit_id, COALESCE(r.active, 0) FROM ({sql}) q "
                f"LEFT JOIN {ROSTER_TABLE} r ON r.cadre_id = q.{PARTICIPATION_COLUMNS[0]}",
                [code, *params],
            )
    _analyze(PARTICIPATION_TABLE)
    # Each cadre's person-times, unit and standing, once: the totals and the Units sheet read it.
    _execute(f"CREATE TEMPORARY TABLE {PER_CADRE_TABLE} AS {_per_cadre()}")
    return keys


def _per_cadre() -> str:
    """The participation rows collapsed to one per cadre: person-times, the cadre's unit and standing (a few
    hundred thousand rows at most, whatever the person-times): the totals and the Units sheet read it."""
    return (
        f"SELECT cadre_id, MAX(unit_id) AS unit_id, MAX(active) AS active, COUNT(*) AS n "
        f"FROM {PARTICIPATION_TABLE} GROUP BY cadre_id"
    )


def _reach_by(keys: str, where: str = "") -> list[tuple]:
    """(*keys, person-times, cadres reached, units reached) per value of `keys`, in one scan of the rows.

    The cadre's unit and standing are columns of the row, so this is a sort by `keys` and small per-group
    distinct counts: measured at 1.2 million rows on PostgreSQL, faster than collapsing to one row per cadre
    first (a hash aggregate of a million groups).
    """
    return _rows(
        f"SELECT {keys}, COUNT(*), COUNT(DISTINCT CASE WHEN active = 1 THEN cadre_id END), "
        f"COUNT(DISTINCT CASE WHEN active = 1 THEN unit_id END) FROM {PARTICIPATION_TABLE} {where} GROUP BY {keys}"
    )


def _reach(row) -> Reach:
    participations, cadres, units = row
    return Reach(int(participations or 0), int(cadres or 0), int(units or 0))


def _aggregate(keys: list, totals_only: bool) -> SnapshotFigures:
    """A fixed number of GROUP BY queries over the materialised tables, whatever the data size."""
    (total,) = _rows(
        f"SELECT SUM(n), SUM(active), COUNT(DISTINCT CASE WHEN active = 1 THEN unit_id END) FROM {PER_CADRE_TABLE}"
    )
    active_units = {unit_id for (unit_id,) in _rows(f"SELECT unit_id FROM {UNITS_TABLE}")}
    units: dict = defaultdict(UnitFigures)
    active_cadres = 0
    for unit_id, count in _rows(f"SELECT unit_id, COUNT(*) FROM {ROSTER_TABLE} WHERE active = 1 GROUP BY unit_id"):
        units[unit_id].active_cadres = count
        active_cadres += count
    sources: dict = defaultdict(SourceFigures)
    by_month: dict = defaultdict(int)
    if not totals_only:
        if len(keys) == 1:  # one source: its rows are all the rows
            sources[keys[0]].total = _reach(total)
        else:
            for code, *reach in _reach_by("source"):
                sources[keys[code]].total = _reach(reach)
        for code, category, *reach in _reach_by("source, category"):
            sources[keys[code]].by_category[category] = _reach(reach)
        for code, item, *reach in _reach_by("source, item_id", "WHERE item_id IS NOT NULL"):
            sources[keys[code]].by_item[item] = _reach(reach)
        for code, month, participations in _rows(
            f"SELECT source, month, COUNT(*) FROM {PARTICIPATION_TABLE} GROUP BY source, month"
        ):
            if month is not None:
                sources[keys[code]].by_month[month] = participations
                by_month[month] += participations
        for unit_id, participations, cadres in _rows(
            f"SELECT unit_id, SUM(n), SUM(active) FROM {PER_CADRE_TABLE} WHERE unit_id IS NOT NULL GROUP BY unit_id"
        ):
            units[unit_id].participations = int(participations or 0)
            units[unit_id].cadres_reached = int(cadres or 0)
    for unit_id in active_units:
        units[unit_id]  # noqa: B018 - an active unit with nothing recorded still gets its (empty) row
    return SnapshotFigures(
        total=_reach(total),
        sources=dict(sources),
        units=dict(units),
        active_units=active_units,
        active_cadres=active_cadres,
        by_month=dict(by_month),
    )


@contextmanager
def _materialised(period: Period, sources: dict):
    _create_tables()
    try:
        yield _fill(period, sources)
    finally:
        if not connection.needs_rollback:
            _drop_tables()


def snapshot_figures(period: Period, sources: dict, *, totals_only: bool = False) -> SnapshotFigures:
    """Materialise the period and aggregate it; `sources` maps a contribution key to its participation querysets.

    Each queryset yields (cadre id, category, month 1-12, item id) per person-time (registry.participation_rows).
    `totals_only` computes the headline totals alone (the previous period the Summary compares with).
    """
    with _materialised(period, sources) as keys:
        return _aggregate(keys, totals_only)

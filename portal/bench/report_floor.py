"""The report's figures computed by hand-written SQL (the benchmark's floor), the same figures read from the
report's own code, and a field-by-field comparison of the two.

The floor follows the definitions the workbook documents, with the roster "as of the period":
- held activity: status published, closed or finished and starts_at in [start, end);
- participation rows: confirmed sign-ups of held activities, plus members of active (not withdrawn) teams of
  their competitions, one row each;
- a cadre's period unit is the unit of their tenure with the latest start (an empty start is the earliest) among
  those started before the end; they are on the roster if that tenure lasts past the start. A cadre without any
  tenure row is in their current unit, on the roster if active;
- a unit is active in the period if one of its active spans overlaps it, or it has no span and is active;
- active cadres are on the roster in a unit active in the period; reached cadres are participants who are active
  cadres; units reached are the period units of the reached cadres;
- per unit (active units plus any unit credited with participations or medals): participations credited to the
  participant's period unit, cadres reached, active cadres, medals and points of placings credited to the
  placing's unit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from portal.models import Cadre, CadreTenure, Unit, UnitActiveSpan

HELD = "('published', 'closed', 'finished')"
TOTAL_KEYS = ("activities_held", "participations", "cadres_reached", "units_reached", "active_units", "active_cadres")
RATIO_KEYS = ("coverage", "reach")
KIND_KEYS = ("activities_held", "participations", "cadres_reached", "units_reached")
FLOOR_TABLES = ("floor_rows", "floor_units", "floor_roster", "floor_cadre_kind")
UNIT_KEYS = ("participations", "cadres_reached", "active_cadres", "gold", "silver", "bronze", "points")


def _t(app_label: str, name: str) -> str:
    return connection.ops.quote_name(apps.get_model(app_label, name)._meta.db_table)


def _kinds() -> list[str]:
    return list(apps.get_model("activities", "Activity").Kind.values)


def floor_figures(period, *, totals_only: bool = False) -> dict:
    """Every figure of the period by plain SQL: participation rows and the period's roster materialised once in
    temporary tables, then one aggregate per table of the workbook. About ten statements whatever the data.
    `totals_only` stops after the headline totals (what the workbook shows of the previous period)."""
    activity, registration = _t("activities", "Activity"), _t("activities", "Registration")
    member, team = _t("activities", "TeamMember"), _t("activities", "Team")
    competition, placing = _t("activities", "Competition"), _t("activities", "Placing")
    unit, cadre = (connection.ops.quote_name(m._meta.db_table) for m in (Unit, Cadre))
    tenure, span = (connection.ops.quote_name(m._meta.db_table) for m in (CadreTenure, UnitActiveSpan))
    bounds = {"s": period.start, "e": period.end, "tz": settings.TIME_ZONE}
    held = f"a.status IN {HELD} AND a.starts_at >= %(s)s AND a.starts_at < %(e)s"
    result: dict = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped by hand, not ON COMMIT: inside an outer transaction (a test) the commit comes much later.
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(FLOOR_TABLES)}")
        cursor.execute(
            f"""
            CREATE TEMP TABLE floor_rows AS
            SELECT r.cadre_id, a.kind, a.starts_at, false AS in_team
              FROM {registration} r JOIN {activity} a ON a.id = r.activity_id
             WHERE r.status = 'confirmed' AND {held}
            UNION ALL
            SELECT m.cadre_id, a.kind, a.starts_at, true
              FROM {member} m JOIN {team} t ON t.id = m.team_id
              JOIN {competition} c ON c.id = m.competition_id JOIN {activity} a ON a.id = c.activity_id
             WHERE t.status = 'active' AND {held}
            """,
            bounds,
        )
        cursor.execute(
            f"""
            CREATE TEMP TABLE floor_units AS
            SELECT u.id AS unit_id FROM {unit} u
             WHERE EXISTS (SELECT 1 FROM {span} s WHERE s.unit_id = u.id
                             AND (s.started_at IS NULL OR s.started_at < %(e)s)
                             AND (s.ended_at IS NULL OR s.ended_at > %(s)s))
                OR (u.is_active AND NOT EXISTS (SELECT 1 FROM {span} s WHERE s.unit_id = u.id))
            """,
            bounds,
        )
        # One sort of the tenure rows: per cadre, the latest tenure begun before the end, or (began = false) any
        # tenure at all, which means the cadre's records start after the period.
        cursor.execute(
            f"""
            CREATE TEMP TABLE floor_roster AS
            WITH latest AS (
                SELECT DISTINCT ON (cadre_id) cadre_id, unit_id, ended_at,
                       (started_at IS NULL OR started_at < %(e)s) AS began
                  FROM {tenure}
                 ORDER BY cadre_id, (started_at IS NULL OR started_at < %(e)s) DESC, started_at DESC NULLS LAST,
                          ended_at DESC NULLS FIRST, id DESC
            ), roster AS (
                SELECT c.id AS cadre_id, CASE WHEN l.began THEN l.unit_id ELSE c.unit_id END AS unit_id,
                       CASE WHEN l.cadre_id IS NULL THEN c.is_active
                            WHEN l.began THEN l.ended_at IS NULL OR l.ended_at > %(s)s
                            ELSE false END AS on_roster
                  FROM {cadre} c LEFT JOIN latest l ON l.cadre_id = c.id
            )
            SELECT r.cadre_id, r.unit_id, r.on_roster AND fu.unit_id IS NOT NULL AS active
              FROM roster r LEFT JOIN floor_units fu ON fu.unit_id = r.unit_id
            """,
            bounds,
        )
        # Person-times per cadre and kind: every later figure is a sum or a count over these few rows, with no
        # DISTINCT over the participation rows.
        cursor.execute(
            """
            CREATE TEMP TABLE floor_cadre_kind AS
            SELECT k.cadre_id, k.kind, k.n, k.n_team, ro.unit_id, ro.active
              FROM (SELECT cadre_id, kind, count(*) AS n, count(*) FILTER (WHERE in_team) AS n_team
                      FROM floor_rows GROUP BY cadre_id, kind) k
              JOIN floor_roster ro ON ro.cadre_id = k.cadre_id
            """
        )
        cursor.execute(
            f"""
            SELECT coalesce(sum(n), 0)::bigint, coalesce(sum(n - n_team), 0)::bigint, coalesce(sum(n_team), 0)::bigint,
                   (SELECT count(DISTINCT cadre_id) FROM floor_cadre_kind WHERE active),
                   (SELECT count(DISTINCT unit_id) FROM floor_cadre_kind WHERE active),
                   (SELECT count(*) FROM floor_units), (SELECT count(*) FROM floor_roster WHERE active),
                   (SELECT count(*) FROM {activity} a WHERE {held})
              FROM floor_cadre_kind
            """,
            bounds,
        )
        (participations, signups, members, cadres_reached, units_reached, active_units, active_cadres, held_n) = (
            cursor.fetchone()
        )
        totals = {
            "activities_held": held_n,
            "participations": participations,
            "cadres_reached": cadres_reached,
            "units_reached": units_reached,
            "active_units": active_units,
            "active_cadres": active_cadres,
            "coverage": units_reached / active_units if active_units else None,
            "reach": cadres_reached / active_cadres if active_cadres else None,
        }
        result["totals"] = totals
        result["signups"], result["team_members"] = signups, members
        if totals_only:
            cursor.execute(f"DROP TABLE {', '.join(FLOOR_TABLES)}")
            return result
        kinds = {kind: dict.fromkeys(KIND_KEYS, 0) for kind in _kinds()}
        cursor.execute(f"SELECT a.kind, count(*) FROM {activity} a WHERE {held} GROUP BY a.kind", bounds)
        for kind, count in cursor.fetchall():
            kinds.setdefault(kind, dict.fromkeys(KIND_KEYS, 0))["activities_held"] = count
        cursor.execute(
            """
            SELECT kind, sum(n)::bigint, count(*) FILTER (WHERE active), count(DISTINCT unit_id) FILTER (WHERE active)
              FROM floor_cadre_kind GROUP BY kind
            """
        )
        for kind, count, reached, units in cursor.fetchall():
            kinds.setdefault(kind, dict.fromkeys(KIND_KEYS, 0)).update(
                participations=count, cadres_reached=reached, units_reached=units
            )
        result["kinds"] = kinds
        # Activities are few: count rows per start time first, convert those to local months after.
        cursor.execute(
            """
            SELECT extract(month FROM starts_at AT TIME ZONE %(tz)s)::int, sum(n)::bigint
              FROM (SELECT starts_at, count(*) AS n FROM floor_rows GROUP BY starts_at) per_start GROUP BY 1
            """,
            bounds,
        )
        result["months"] = dict(cursor.fetchall())
        cursor.execute(
            f"""
            WITH credited AS (
                SELECT unit_id, sum(n)::bigint AS participations,
                       count(DISTINCT cadre_id) FILTER (WHERE active) AS reached
                  FROM floor_cadre_kind GROUP BY unit_id
            ), staff AS (
                SELECT unit_id, count(*) AS active_cadres FROM floor_roster WHERE active GROUP BY unit_id
            ), medals AS (
                SELECT p.unit_id, count(*) FILTER (WHERE p.place = 1) AS gold,
                       count(*) FILTER (WHERE p.place = 2) AS silver, count(*) FILTER (WHERE p.place = 3) AS bronze,
                       sum(p.points) AS points
                  FROM {placing} p JOIN {competition} c ON c.id = p.competition_id
                  JOIN {activity} a ON a.id = c.activity_id
                 WHERE {held} GROUP BY p.unit_id
            ), listed AS (
                SELECT unit_id FROM floor_units UNION SELECT unit_id FROM credited UNION SELECT unit_id FROM medals
            )
            SELECT l.unit_id, coalesce(cr.participations, 0), coalesce(cr.reached, 0),
                   coalesce(st.active_cadres, 0), coalesce(m.gold, 0), coalesce(m.silver, 0), coalesce(m.bronze, 0),
                   coalesce(m.points, 0)
              FROM listed l LEFT JOIN credited cr ON cr.unit_id = l.unit_id
              LEFT JOIN staff st ON st.unit_id = l.unit_id LEFT JOIN medals m ON m.unit_id = l.unit_id
            """,
            bounds,
        )
        result["units"] = {row[0]: dict(zip(UNIT_KEYS, row[1:], strict=True)) for row in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {', '.join(FLOOR_TABLES)}")
    return result


def report_side(period) -> dict:
    """The same figures from the report's code (portal.reports.figures), in the floor's shape."""
    from portal.reports.figures import period_figures, unit_rows

    figures = period_figures(period)
    totals = figures.totals
    app = figures.apps.get("activities", {})
    kinds = {}
    for row in (app.get("breakdown") or {}).get("rows", []):
        kinds[row["key"]] = {key: row.get(key) for key in KIND_KEYS}
    units = {}
    for row in unit_rows(figures):
        units[row.unit_id] = {key: getattr(row, key, None) for key in UNIT_KEYS}
    return {
        "totals": {key: totals.get(key) for key in (*TOTAL_KEYS, *RATIO_KEYS)},
        "kinds": kinds,
        "months": {int(month): count for month, count in (totals.get("by_month") or {}).items() if count},
        "units": units,
    }


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def _examples(pairs: Iterable[tuple], limit: int = 3) -> str:
    shown = [f"{key}: report {mine} floor {theirs}" for key, mine, theirs in list(pairs)[:limit]]
    return "; ".join(shown)


def compare(report: dict, floor: dict) -> list[tuple[str, bool, str]]:
    """(figure, matched, detail) for every total, the per-month and per-kind tables and each per-unit column."""
    lines = []
    for key in (*TOTAL_KEYS, *RATIO_KEYS):
        mine, theirs = report["totals"].get(key), floor["totals"].get(key)
        shown = (
            f"{mine:.4f} vs {theirs:.4f}" if isinstance(theirs, float) and mine is not None else f"{mine} vs {theirs}"
        )
        lines.append((key, _same(mine, theirs), shown))
    months = sorted(set(report["months"]) | set(floor["months"]))
    diff = [(m, report["months"].get(m, 0), floor["months"].get(m, 0)) for m in months]
    diff = [d for d in diff if d[1] != d[2]]
    lines.append(("by month: participations", not diff, _examples(diff) or f"{len(months)} months"))
    for key in KIND_KEYS:
        kinds = sorted(set(report["kinds"]) | set(floor["kinds"]))
        diff = [(k, report["kinds"].get(k, {}).get(key), floor["kinds"].get(k, {}).get(key, 0)) for k in kinds]
        diff = [d for d in diff if not _same(d[1], d[2])]
        lines.append((f"by kind: {key}", not diff, _examples(diff) or f"{len(kinds)} kinds"))
    missing = sorted(set(floor["units"]) - set(report["units"]))
    extra = sorted(set(report["units"]) - set(floor["units"]))
    lines.append(
        (
            "units listed",
            not missing and not extra,
            f"report {len(report['units'])}, floor {len(floor['units'])}"
            + (f"; missing from the report: {missing[:5]}" if missing else "")
            + (f"; only in the report: {extra[:5]}" if extra else ""),
        )
    )
    shared = sorted(set(report["units"]) & set(floor["units"]))
    for key in UNIT_KEYS:
        diff = [(f"unit {u}", report["units"][u].get(key), floor["units"][u].get(key)) for u in shared]
        diff = [d for d in diff if not _same(d[1], d[2])]
        lines.append(
            (f"by unit: {key}", not diff, f"{len(diff)} units differ; " + _examples(diff) if diff else f"{len(shared)}")
        )
    return lines

"""Read-side queries on the shared model, shaped so a page runs a bounded number of queries."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet

from .models import Cadre, Unit


def unit_cadres(*, unit: Unit, search: str = "", active: bool | None = None) -> QuerySet:
    """The cadres of one unit, optionally filtered by a name/employee-number search and the active flag."""
    cadres = Cadre.objects.filter(unit=unit).select_related("unit").order_by("-is_liaison", "employee_no")
    search = search.strip()
    if search:
        cadres = cadres.filter(Q(name__icontains=search) | Q(employee_no__icontains=search))
    if active is not None:
        cadres = cadres.filter(is_active=active)
    return cadres


def unit_with_counts(*, unit_id: int) -> Unit:
    """A unit with its cadre counts annotated (total and active), in one query."""
    return Unit.objects.annotate(
        cadre_count=Count("cadres"),
        active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True)),
    ).get(pk=unit_id)


def units_for_liaison_listing() -> QuerySet:
    """Active units in display order with their active cadre counts (one query)."""
    return Unit.objects.filter(is_active=True).annotate(
        active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True))
    )


def home_figures() -> dict:
    """Headline figures for the home page: active units and active cadres."""
    return {
        "unit_count": Unit.objects.filter(is_active=True).count(),
        "cadre_count": Cadre.objects.filter(is_active=True, unit__is_active=True).count(),
    }


# ---------------------------------------------------------------------------------------------- versioned fragments
# Rendered page parts kept in the cache under a key that includes a version read from the database on every
# request (one light query), so a change shows at once, in every worker, whatever the cache backend. The TTL is a
# safety net for writes that bypass what the version reads (a raw UPDATE in the shell).
FRAGMENT_TTL = 300


def templates_fingerprint(*names: str) -> str:
    """A short digest of the named templates' sources: a deploy that changes them must not be served parts rendered
    by the old ones from a shared cache (CACHE_URL=redis://...)."""
    digest = hashlib.sha1()
    root = Path(settings.BASE_DIR) / "templates"
    for name in names:
        digest.update(name.encode())
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:8]


def cached_fragment(namespace: str, parts, build, timeout: int = FRAGMENT_TTL):
    """The value cached for `parts` (which must include a data version and everything the value depends on: the
    language, the filters, the viewer's relevant permission), built by `build()` and stored on a miss."""
    raw = "|".join(str(part) for part in parts)
    key = f"{namespace}:{hashlib.sha1(raw.encode()).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value


def unit_page_state(unit_id: int) -> Unit | None:
    """The unit for its page, with `cadres_version`: a text that changes whenever the list of its cadres may have
    changed. None when there is no such unit.

    Reading the unit's 2,000 cadre rows to see whether any changed cost as much as showing them, so the version
    comes from stamps the writers set instead: the unit's `updated_at`, which `services.units_roster_changed`
    moves whenever one of its cadres is saved, deleted, moved, (de)activated or made liaison, and the roster
    imports' start and end times (an import writes thousands of cadres in bulk, without signals). One query in
    plain SQL, by primary key: the ORM would take longer to compile it than the database to run it. A write that
    bypasses both (a raw UPDATE in the shell) shows once the cached list expires (FRAGMENT_TTL).
    """
    from .imports.models import RosterImport

    quote = connection.ops.quote_name
    fields = ("id", "name", "short_name", "code", "kind", "is_active", "updated_at")
    columns = ", ".join(f"u.{quote(name)}" for name in fields)
    imports = " || '/' || ".join(
        f"COALESCE(CAST({expression} AS TEXT), '')"
        for expression in ("COUNT(*)", f"MAX(r.{quote('started_at')})", f"MAX(r.{quote('finished_at')})")
    )
    sql = (
        f"SELECT {columns}, (SELECT {imports} FROM {quote(RosterImport._meta.db_table)} r) "
        f"FROM {quote(Unit._meta.db_table)} u WHERE u.{quote('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id])
        row = cursor.fetchone()
    if row is None:
        return None
    unit = Unit.from_db(connection.alias, list(fields), row[: len(fields)])
    unit.cadres_version = f"{unit.updated_at.isoformat()}|{row[-1]}"
    return unit

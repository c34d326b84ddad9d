"""The light reads that let a competition's public pages be served from the cache.

`competition_state` reads, in one plain-SQL query, what a page needs before it knows whether its body is cached
(and whether the viewer may see it); `competition_version` turns that into the cache key without a query; and
`competition_with_activity` loads the competition for rendering on a cache miss.
"""

import hashlib

from django.db import connection

from portal.permissions import is_committee_staff

from ..models import Activity, Competition, JudgeScore, Match, RankedResult, Team


def _version_sql() -> str:
    """SQL for one text column summing up what a competition page shows has last changed.

    For matches: the latest `updated_at`, answered from the index (competition, updated_at) without reading
    the 8,128 rows of a 128-team round robin. An edit or an insert moves it; matches are only ever deleted all
    at once (`fixtures_reset`; the admin cannot delete one), which takes it to NULL. For teams, ranked results
    and judges' scores (small tables) also the row count, so that a deleted row shows at once.
    """
    quote = connection.ops.quote_name
    competition = f"{quote(Competition._meta.db_table)}.{quote('id')}"
    team = quote(Team._meta.db_table)
    latest = f"COALESCE(CAST(MAX(x.{quote('updated_at')}) AS TEXT), '')"
    parts = [
        f"(SELECT {latest} FROM {quote(Match._meta.db_table)} x WHERE x.{quote('competition_id')} = {competition})",
        f"(SELECT {latest} || '/' || CAST(COUNT(*) AS TEXT) FROM {team} x "
        f"WHERE x.{quote('competition_id')} = {competition})",
    ]
    for model in (RankedResult, JudgeScore):
        parts.append(
            f"(SELECT {latest} || '/' || CAST(COUNT(*) AS TEXT) FROM {quote(model._meta.db_table)} x "
            f"INNER JOIN {team} t ON x.{quote('team_id')} = t.{quote('id')} "
            f"WHERE t.{quote('competition_id')} = {competition})"
        )
    return " || '|' || ".join(parts)


STATE_FIELDS = ("id", "format", "results_published", "entries_per_unit", "updated_at", "activity_updated_at")


def _state_sql() -> str:
    """The competition's state columns, its activity's change time and status, and the version source."""
    quote = connection.ops.quote_name
    competition, activity = quote(Competition._meta.db_table), quote(Activity._meta.db_table)
    columns = ", ".join(f"{competition}.{quote(name)}" for name in STATE_FIELDS[:-1])
    return (
        f"SELECT {columns}, {activity}.{quote('updated_at')}, {activity}.{quote('status')}, ({_version_sql()}) "
        f"FROM {competition} INNER JOIN {activity} ON {competition}.{quote('activity_id')} = {activity}.{quote('id')} "
        f"WHERE {competition}.{quote('id')} = %s"
    )


def competition_state(pk: int, *, user) -> dict | None:
    """What a competition page needs before it knows whether its body is cached: id, format, whether results
    are published, and the parts of its version (`version_source`, see `_version_sql`). None when the
    competition does not exist or belongs
    to a draft and the user is not committee staff.

    One query in plain SQL and no model instances: on a cache hit this is all the page reads, and the ORM
    would spend longer compiling the query than the database spends running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    *fields, status, version_source = row
    if status not in Activity.PUBLIC_STATUSES and not is_committee_staff(user):
        return None
    return {**dict(zip(STATE_FIELDS, fields, strict=True)), "version_source": version_source}


def competition_version(state: dict) -> str:
    """A short key that changes whenever anything a competition page shows changes (no query).

    Built from the competition's own row (including `results_published`, which an admin action may set with a
    bulk update that leaves `updated_at` alone), its activity's row, and `version_source` (see `_version_sql`).
    A change made behind the services' back (a bulk update, a single match deleted in the shell) shows once the
    cached body expires (FRAGMENT_TTL in the views). Takes `competition_state`'s dict.
    """
    parts = [state[name] for name in STATE_FIELDS] + [state["version_source"]]
    return hashlib.sha1("|".join(str(part) for part in parts).encode()).hexdigest()[:16]


def competition_with_activity(pk: int) -> Competition:
    """The competition with its activity, for rendering (after `competition_state` has checked access)."""
    return Competition.objects.select_related("activity").get(pk=pk)

"""The one row-locking helper every service uses: inside a transaction, in a stable order, never hanging.

A service locks the row that guards a rule (a competition's capacity, an activity's places, a report's status)
before it reads what the rule counts, so two requests racing for the last place queue up instead of both
winning. Three things go wrong with a bare `select_for_update()`, and this module is where they are handled once:

- Outside a transaction the lock is released as soon as the SELECT ends and protects nothing; Django only
  complains on some backends. `lock_rows` refuses with a RuntimeError (a programming error, not a user's).
- Two services locking the same rows in different orders can deadlock. Rows are locked in primary-key order
  (ORDER BY pk under FOR UPDATE: PostgreSQL takes the row locks in the order it returns the rows). Services that
  lock several kinds of row keep one order between kinds too: activity, competition, team, substitution.
- A lock held by a slow or stuck transaction would hang every request behind it until gunicorn kills the
  worker. On PostgreSQL the wait is bounded by `lock_timeout` (setting PORTAL_LOCK_TIMEOUT_MS, default 5000;
  0 waits for ever), set for the rest of the transaction just before the SELECT ... FOR UPDATE; a timeout
  (SQLSTATE 55P03, lock_not_available) becomes `portal.errors.Busy`, a translated "try again" message.

On SQLite (the embedded mode and the unit tests) `select_for_update` is a no-op: SQLite locks the whole database
for the first write of a transaction and serialises writers itself, so there is no row lock and no timeout to
set (Django's own `timeout` database option governs how long a writer waits there). The ordering and the
transaction check still apply, so a service that forgets its transaction fails in the unit tests too.
"""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import OperationalError, models, transaction

from .errors import Busy

DEFAULT_LOCK_TIMEOUT_MS = 5000
LOCK_NOT_AVAILABLE = "55P03"


def lock_timeout_ms() -> int:
    """How long a service waits for a row lock before giving up with Busy, in milliseconds (0: no limit)."""
    return int(getattr(settings, "PORTAL_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS))


def lock_rows(
    model_or_queryset,
    ids: Iterable | None = None,
    *,
    of: Sequence[str] = ("self",),
    select_related: Sequence[str] = (),
    timeout_ms: int | None = None,
) -> list:
    """Lock rows for the rest of the current transaction and return them fresh from the database, in pk order.

    `model_or_queryset` is a model, a manager or a queryset (its filters narrow what is locked, e.g.
    `Cadre.objects.exclude(is_active=True)`); `ids` are the primary keys to lock, or None for every row the
    queryset matches (a bare model needs ids: locking a whole table is never what a service means).
    `of` names the tables to lock, as select_for_update's `of`: ("self",) locks only this model's rows even with
    `select_related` (which loads related rows without locking them); () locks every joined row.
    `timeout_ms` overrides PORTAL_LOCK_TIMEOUT_MS for this call. Rows that do not exist are simply missing from
    the result. Raises RuntimeError outside a transaction, Busy when the lock is not granted within the timeout.
    """
    queryset = _queryset(model_or_queryset)
    if ids is None and not isinstance(model_or_queryset, models.QuerySet):
        raise TypeError("lock_rows() needs the ids to lock, or a filtered queryset.")
    connection = transaction.get_connection(queryset.db)
    if not connection.in_atomic_block:
        raise RuntimeError(
            "Row locks only hold inside a transaction: call lock_rows()/lock_one() inside transaction.atomic "
            "(decorate the service with @transaction.atomic)."
        )
    if ids is not None:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        queryset = queryset.filter(pk__in=ids)
    if select_related:
        queryset = queryset.select_related(*select_related)
    queryset = queryset.select_for_update(of=tuple(of)).order_by("pk")
    if connection.vendor == "postgresql":
        _set_lock_timeout(connection, lock_timeout_ms() if timeout_ms is None else timeout_ms)
    try:
        return list(queryset)
    except OperationalError as error:
        if _sqlstate(error) != LOCK_NOT_AVAILABLE:
            raise
        # PostgreSQL has aborted the transaction: make Django refuse further queries in it with a clear error
        # rather than "current transaction is aborted", should a caller catch Busy inside the atomic block.
        transaction.set_rollback(True, using=queryset.db)
        raise Busy() from error


def lock_one(
    model_or_queryset,
    pk=None,
    *,
    of: Sequence[str] = ("self",),
    select_related: Sequence[str] = (),
    timeout_ms: int | None = None,
    missing_ok: bool = False,
):
    """Lock one row and return it fresh from the database, like `.get()` under a lock.

    With `pk` None the queryset itself must match at most one row (e.g. `CalendarToken.objects.filter(cadre=c)`).
    A missing row raises the model's DoesNotExist, or returns None with `missing_ok`. More than one match raises
    MultipleObjectsReturned. Otherwise as `lock_rows`: RuntimeError outside a transaction, Busy on a timeout.
    """
    if pk is None and not isinstance(model_or_queryset, models.QuerySet):
        raise TypeError("lock_one() needs the pk to lock, or a queryset matching one row.")
    queryset = _queryset(model_or_queryset)
    rows = lock_rows(
        queryset,
        None if pk is None else [pk],
        of=of,
        select_related=select_related,
        timeout_ms=timeout_ms,
    )
    if len(rows) > 1:
        raise queryset.model.MultipleObjectsReturned(
            f"lock_one() found {len(rows)} {queryset.model._meta.object_name} rows; it locks one."
        )
    if not rows:
        if missing_ok:
            return None
        raise queryset.model.DoesNotExist(f"{queryset.model._meta.object_name} matching query does not exist.")
    return rows[0]


def _queryset(model_or_queryset) -> models.QuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        return model_or_queryset
    if isinstance(model_or_queryset, type) and issubclass(model_or_queryset, models.Model):
        return model_or_queryset._default_manager.all()
    if isinstance(model_or_queryset, models.Manager):
        return model_or_queryset.all()
    raise TypeError(f"lock_rows() locks rows of a model, manager or queryset, not {model_or_queryset!r}.")


def _set_lock_timeout(connection, timeout_ms: int) -> None:
    # set_config(..., true) is SET LOCAL, and unlike SET it takes a bound parameter. It lasts until the end of the
    # transaction, so a later wait on the same rows in this transaction cannot hang either.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{max(int(timeout_ms), 0)}ms"])


def _sqlstate(error: OperationalError) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)

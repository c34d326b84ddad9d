"""Celery tasks of the summary reports: build one, the quarterly schedule, the sweeper for dead workers."""

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, connections
from django.db import OperationalError as DatabaseOperationalError
from django.utils import translation
from django.utils.translation import gettext as _

from ..queueing import QueueUnavailable
from . import services
from .models import Report

logger = logging.getLogger(__name__)

# Errors worth a retry: the database restarted, a connection dropped, SQLite was locked for a moment.
TRANSIENT_DB_ERRORS = (DatabaseOperationalError, InterfaceError)
MAX_RETRIES = 3
EAGER_RETRY_DELAYS = (0.2, 0.5, 1.0)
GAVE_UP = object()


def _language_of(report_id: int) -> str | None:
    return Report.objects.filter(pk=report_id).values_list("language", flat=True).first()


def _fail(report_id: int, message_in_language) -> None:
    try:
        with translation.override(_language_of(report_id)):
            services.report_fail(report_id=report_id, message=message_in_language())
    except TRANSIENT_DB_ERRORS:
        # Nothing more can be recorded now; the sweeper marks the report failed once the database is back.
        logger.exception("Could not record the failure of report %s", report_id)


class BuildTooSlow(Exception):
    """The database cancelled a statement of the build at services.REPORT_STATEMENT_TIMEOUT."""


def _abandon_connection() -> None:
    """Give up the build's connection after a time limit interrupted it, possibly mid-statement: cancel what
    runs on the server and close it, so the failure is recorded on a fresh connection."""
    connection = connections["default"]
    if connection.in_atomic_block:  # an enclosing transaction (a test's) must survive
        return
    raw = connection.connection
    if raw is not None and hasattr(raw, "cancel"):
        try:
            raw.cancel()
        except Exception:  # noqa: BLE001 - the connection may already be gone: closing it is all that matters
            logger.warning("Could not cancel the report's statement", exc_info=True)
    connection.close()


def _too_slow(report_id: int, seconds: int) -> None:
    def reason() -> str:
        return _("Building the report took longer than %(seconds)s seconds and was stopped.") % {"seconds": seconds}

    services.report_fail_and_notify(report_id=report_id, reason=reason)


def _drop_broken_connections() -> None:
    """Close a database connection the error broke, so the next attempt opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:  # an enclosing transaction (a test's) must survive
            connection.close_if_unusable_or_obsolete()


def _generate(task, report_id: int):
    """report_generate with the retry policy for transient database errors.

    On a worker, a transient error goes back through the broker (autoretry_for, with backoff) and the report is
    "queued" meanwhile. In eager mode there is no queue to go back through, so the attempts run here in turn.
    """
    for attempt in range(MAX_RETRIES + 1):
        try:
            return services.report_generate(report_id=report_id)
        except TRANSIENT_DB_ERRORS as exc:
            if services.is_statement_timeout(exc):
                raise BuildTooSlow() from exc
            _drop_broken_connections()
            if task.request.retries + attempt >= MAX_RETRIES:
                _fail(
                    report_id,
                    lambda exc=exc: (
                        _("The database was unavailable while building the report (%(error)s). Generate it again.")
                        % {"error": exc}
                    ),
                )
                if task.request.is_eager:
                    return GAVE_UP
                raise  # autoretry_for finds no retry left and records the task as failed
            try:
                services.report_requeue(report_id=report_id, note=f"retrying after: {exc}")
            except TRANSIENT_DB_ERRORS:
                logger.warning("Report %s: could not mark it queued before the retry", report_id)
            if not task.request.is_eager:
                raise
            time.sleep(EAGER_RETRY_DELAYS[attempt])
    return None


@shared_task(
    bind=True,
    name="portal.reports.generate_report",
    acks_late=True,
    soft_time_limit=services.REPORT_SOFT_TIME_LIMIT,
    time_limit=services.REPORT_TIME_LIMIT,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=5,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def generate_report(self, report_id: int) -> dict:
    """Build the report's workbook (services.report_generate); safe to run twice: a finished report is skipped.

    Transient database errors are retried (up to 3 times, with backoff) and the report goes back to "queued"
    meanwhile; any other error or the last failed retry marks the report failed with a readable message. A build
    too slow for its limits (a statement cancelled by PostgreSQL's statement_timeout, or the soft time limit of 5
    minutes) is not retried: the report is failed on a fresh connection with that reason and the staff are told.
    A worker killed at the hard limit leaves the report "running" until the sweeper
    (fail_stuck_reports) marks it failed.
    """
    try:
        report = _generate(self, report_id)
    except BuildTooSlow:
        _too_slow(report_id, services.REPORT_STATEMENT_TIMEOUT)
        return {"report": report_id, "status": Report.Status.FAILED}
    except SoftTimeLimitExceeded:
        _abandon_connection()
        _too_slow(report_id, services.REPORT_SOFT_TIME_LIMIT)
        return {"report": report_id, "status": Report.Status.FAILED}
    except TRANSIENT_DB_ERRORS:
        raise  # _generate recorded the failure when no retry is left; autoretry_for sends the others back
    except Exception as exc:  # any failure must end in a readable "failed", not "running" for ever
        logger.exception("Report %s failed", report_id)
        error = f"{type(exc).__name__}: {exc}"
        _fail(report_id, lambda: _("The report could not be built: %(error)s") % {"error": error})
        return {"report": report_id, "status": Report.Status.FAILED}
    if report is GAVE_UP:
        return {"report": report_id, "status": Report.Status.FAILED}
    return {"report": report_id, "status": report.status if report else "skipped"}


@shared_task(name="portal.reports.generate_last_quarter_report", soft_time_limit=60, time_limit=90)
def generate_last_quarter_report() -> int | None:
    """Beat, 02:00 on the first day of each quarter: request last quarter's report in the default language (zh-hans)
    unless one in that language is done, queued or running (services.report_schedule_last_quarter)."""
    try:
        report = services.report_schedule_last_quarter()
    except QueueUnavailable:
        logger.error("Last quarter's report could not be queued: the broker is unavailable")
        return None
    return report.pk if report else None


@shared_task(name="portal.reports.fail_stuck_reports", soft_time_limit=60, time_limit=90, ignore_result=True)
def fail_stuck_reports() -> int:
    """Beat, every ten minutes: mark failed the reports whose worker died (services.reports_fail_stuck)."""
    return services.reports_fail_stuck()

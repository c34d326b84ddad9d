"""Writes on summary reports: request one (queued for Celery), build it (the task's body), record failures.

State machine of a Report: queued -> running -> done | failed. A request always creates a new version; the old
versions stay. Versions are numbered per period across languages; each language has its own current version
(the newest in that language), so the Chinese and English workbooks of a period live side by side. The Celery
task may run twice (a redelivered message, a retry): it only builds a report that is queued or running, and only
the latest claim may write the result.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..errors import PortalError
from ..locking import lock_one
from ..permissions import COMMITTEE_STAFF_GROUP
from ..queueing import enqueue_job
from .builder import BuildContext, build_workbook
from .models import Report, requester_label
from .periods import Period

logger = logging.getLogger(__name__)
User = get_user_model()

# Celery limits of the generate_report task; a report running longer than the hard limit has lost its worker.
REPORT_SOFT_TIME_LIMIT = 300
REPORT_TIME_LIMIT = 330
# PostgreSQL cancels any one statement of a build after this long, before Celery's limits fire: a cancelled
# statement leaves the connection usable, so the failure can be recorded with its true reason.
REPORT_STATEMENT_TIMEOUT = REPORT_SOFT_TIME_LIMIT - 20
STUCK_GRACE = timedelta(seconds=60)
# A queued report whose message never reached a worker (e.g. Redis lost it) is given up after this long.
QUEUED_TIMEOUT = timedelta(hours=24)


class ReportError(PortalError):
    """A report cannot be requested or built as asked."""


def check_reportable(period: Period, now=None) -> None:
    """Raise ReportError unless the period is over: a report covers a finished quarter or year."""
    now = now or timezone.now()
    if period.is_future(now):
        if period.is_annual:
            raise ReportError(
                _("%(period)s is a future year; reports cover finished periods.") % {"period": period.label}
            )
        raise ReportError(
            _("%(period)s is a future quarter; reports cover finished periods.") % {"period": period.label}
        )
    if not period.is_over(now):
        raise ReportError(
            _("%(period)s is not over yet; reports cover finished periods (it can be generated from %(day)s).")
            % {"period": period.label, "day": f"{timezone.localtime(period.natural_end).date():%Y-%m-%d}"}
        )
    if period.year < 2000:
        raise ReportError(_("Reports start with the year 2000."))


def _next_version(period: Period) -> int:
    same_period = Report.objects.filter(year=period.year, quarter=period.quarter)
    if period.quarter is None:
        same_period = Report.objects.filter(year=period.year, quarter__isnull=True)
    return (same_period.aggregate(latest=Max("version"))["latest"] or 0) + 1


def report_request(*, actor, year: int, quarter: int | None, language: str) -> Report:
    """Record a new version of the period's report and queue its Celery task once the record is committed.

    Raises ReportError for a future or unfinished period, an unknown language or quarter; QueueUnavailable when
    the broker is down (the record is then marked failed with that message, and a later request works). In
    eager mode (no broker) the report is built before this returns.
    """
    if language not in dict(settings.LANGUAGES):
        raise ReportError(_("Unknown language: %(language)s") % {"language": language})
    try:
        period = Period(int(year), None if quarter in (None, "") else int(quarter))
    except (TypeError, ValueError) as exc:
        raise ReportError(_("Choose a quarter from 1 to 4, or the whole year.")) from exc
    check_reportable(period)
    for attempt in range(3):
        try:
            with transaction.atomic():
                report = Report(
                    year=period.year,
                    quarter=period.quarter,
                    version=_next_version(period),
                    language=language,
                    requested_by=actor if actor is not None and actor.is_authenticated else None,
                    task_id=str(uuid.uuid4()),
                )
                report.full_clean(exclude=["file"])
                report.save()
                audit_record(
                    actor=actor,
                    action="report.request",
                    obj=report,
                    changes={"period": period.slug, "version": report.version, "language": language},
                )
                transaction.on_commit(partial(report_enqueue, report_id=report.pk))
            break
        except (IntegrityError, ValidationError):
            # Two requests for the same period took the same version number; the loser takes the next one.
            if attempt == 2:
                raise
    report.refresh_from_db()
    return report


def report_regenerate(*, actor, report: Report) -> Report:
    """A new version of the same period and language (the old one stays)."""
    return report_request(actor=actor, year=report.year, quarter=report.quarter, language=report.language)


def report_enqueue(*, report_id: int) -> None:
    """Send the report's task to the broker; if the broker is down, mark the report failed and raise.

    Runs on commit of the request. Raises QueueUnavailable with a message fit for the page.
    """
    from .tasks import generate_report

    report = Report.objects.get(pk=report_id)
    enqueue_job(
        generate_report,
        job_id=report_id,
        task_id=report.task_id,
        fail=partial(report_fail, report_id=report_id, from_statuses=(Report.Status.QUEUED,)),
    )


def report_fail(*, report_id: int, message: str, from_statuses=(Report.Status.QUEUED, Report.Status.RUNNING)) -> bool:
    """Mark the report failed with a readable message, unless it already finished; returns whether it changed."""
    now = timezone.now()
    with transaction.atomic():
        report = lock_one(Report.objects.filter(status__in=from_statuses), report_id, missing_ok=True)
        if report is None:
            return False
        old_status = report.status
        report.status = Report.Status.FAILED
        report.error = message
        report.finished_at = now
        if report.started_at:
            report.duration = now - report.started_at
        report.save(update_fields=["status", "error", "finished_at", "duration"])
        audit_record(
            actor=None, action="report.fail", obj=report, changes={"status": [old_status, "failed"], "error": message}
        )
    return True


def report_fail_and_notify(
    *, report_id: int, reason: Callable[[], str], from_statuses=(Report.Status.QUEUED, Report.Status.RUNNING)
) -> bool:
    """Mark the report failed for a reason generating it again would not cure (too slow, a worker lost) and
    tell the staff; the message says whether they were told, instead of inviting the leader to retry blindly.

    `reason()` gives the reason in the active language: it is called in the report's language for its message
    and in the portal's default language for the staff's e-mail.
    """
    report = Report.objects.filter(pk=report_id).first()
    if report is None or report.status not in from_statuses:
        return False
    notified = staff_notified_of(report, reason)
    with translation.override(report.language):
        if notified:
            message = _("%(reason)s Committee staff have been notified and will look into it.") % {"reason": reason()}
        else:
            message = _(
                "%(reason)s Please tell the committee staff; generating it again would likely fail the same way."
            ) % {"reason": reason()}
    return report_fail(report_id=report_id, message=message, from_statuses=from_statuses)


def report_requeue(*, report_id: int, note: str) -> None:
    """Put a running report back in the queue before a retry, so the sweeper does not take it for dead."""
    Report.objects.filter(pk=report_id, status=Report.Status.RUNNING).update(
        status=Report.Status.QUEUED, error=note, progress=0
    )


def report_generate(*, report_id: int) -> Report | None:
    """Build the report's workbook and store it; the body of the Celery task. Safe to run twice.

    Claims the report (queued or running -> running), builds the workbook in the report's language into a
    temporary file, stores it under REPORTS_ROOT with its SHA-256 and marks the report done. Does nothing (returns
    None) for a report that is done, failed or gone, or when a later claim took it over. Exceptions propagate to
    the task, which decides between a retry and report_fail.
    """
    claimed_at = timezone.now()
    active = (Report.Status.QUEUED, Report.Status.RUNNING)
    claimed = Report.objects.filter(pk=report_id, status__in=active).update(
        status=Report.Status.RUNNING, started_at=claimed_at, progress=5, error=""
    )
    if not claimed:
        return None
    report = Report.objects.select_related("requested_by").get(pk=report_id)
    mine = Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, started_at=claimed_at)

    def progress(percent: int) -> None:
        mine.update(progress=percent)

    with translation.override(report.language), tempfile.TemporaryDirectory(prefix="report-") as workdir:
        path = Path(workdir) / "report.xlsx"
        context = BuildContext(
            requested_by=requester_label(report.requested_by),
            generated_at=claimed_at,
            data_as_of=claimed_at,
            version=report.version,
        )
        with statement_timeout(REPORT_STATEMENT_TIMEOUT):
            headline = build_workbook(path=path, period=report.period, context=context, progress=progress)
        checksum, size = _sha256(path), path.stat().st_size
        with path.open("rb") as handle:
            report.file.save(download_name(report), File(handle), save=False)
    finished_at = timezone.now()
    done = mine.update(
        status=Report.Status.DONE,
        progress=100,
        file=report.file.name,
        file_size=size,
        checksum=checksum,
        finished_at=finished_at,
        duration=finished_at - claimed_at,
        headline=headline,
    )
    if not done:
        # The sweeper gave up on this run or a later run claimed the report: its result wins, this file goes.
        report.file.storage.delete(report.file.name)
        return None
    report.refresh_from_db()
    audit_record(
        actor=None,
        action="report.done",
        obj=report,
        changes={
            "status": ["running", "done"],
            "checksum": checksum,
            "seconds": round(report.duration.total_seconds(), 2),
        },
    )
    return report


@contextmanager
def statement_timeout(seconds: int):
    """Cancel any statement of the block that runs longer than `seconds` (PostgreSQL; elsewhere a no-op)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{int(seconds * 1000)}"])
    try:
        yield
    finally:
        if connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")


def is_statement_timeout(error: BaseException) -> bool:
    """Whether a database error is PostgreSQL cancelling a statement (statement_timeout, SQLSTATE 57014)."""
    cause = error.__cause__ or error
    return getattr(cause, "sqlstate", None) == "57014" or getattr(cause, "pgcode", None) == "57014"


def staff_notified_of(report: Report, reason: Callable[[], str]) -> bool:
    """E-mail the committee staff (and settings.ADMINS) that a report failed; returns whether anyone was told.

    The failure is logged at ERROR level whatever happens, for whoever watches the logs.
    """
    with translation.override("en"):
        logger.error("Report %s (%s v%s) failed: %s", report.pk, report.period.slug, report.version, reason())
    recipients = sorted(
        set(
            User.objects.filter(is_active=True, groups__name=COMMITTEE_STAFF_GROUP)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        | {email for _name, email in settings.ADMINS}
    )
    if not recipients:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Summary report %(report)s failed") % {"report": str(report)}
        body = _(
            "The summary report %(report)s (requested by %(requester)s) could not be built: %(reason)s\n\n"
            "Building it again will most likely fail the same way until the cause is looked into."
        ) % {"report": str(report), "requester": report.requested_by_label, "reason": reason()}
    try:
        send_mail(subject, body, None, recipients)
    except (OSError, SMTPException):
        logger.exception("Could not e-mail the staff about report %s", report.pk)
        return False
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_name(report: Report) -> str:
    """The file name leadership sees: e.g. summary-2026-Q1-v2.xlsx (in the report's language)."""
    with translation.override(report.language):
        return f"{_('summary')}-{report.period.slug}-v{report.version}.xlsx"


def reports_fail_stuck(*, now=None) -> int:
    """Mark failed the reports whose worker died: running past the hard time limit, or queued for a day.

    Runs from beat every ten minutes and whenever the reports page loads; one query when nothing is stuck.
    Returns how many reports it marked failed.
    """
    now = now or timezone.now()
    running_limit = now - timedelta(seconds=REPORT_TIME_LIMIT) - STUCK_GRACE
    queued_limit = now - QUEUED_TIMEOUT
    stuck = list(
        Report.objects.filter(status=Report.Status.RUNNING, started_at__lt=running_limit).values_list("pk", flat=True)
    )
    lost = list(
        Report.objects.filter(status=Report.Status.QUEUED, created_at__lt=queued_limit).values_list("pk", "language")
    )
    minutes = round((REPORT_TIME_LIMIT + STUCK_GRACE.total_seconds()) / 60)
    changed = 0

    def worker_lost() -> str:
        return _("The worker stopped while building this report (no result after %(minutes)s minutes).") % {
            "minutes": minutes
        }

    for report_id in stuck:
        changed += report_fail_and_notify(
            report_id=report_id, reason=worker_lost, from_statuses=(Report.Status.RUNNING,)
        )
    for report_id, language in lost:
        with translation.override(language):
            message = _("No worker picked this report up within a day. Generate it again.")
        changed += report_fail(report_id=report_id, message=message, from_statuses=(Report.Status.QUEUED,))
    return changed


def report_schedule_last_quarter(*, now=None) -> Report | None:
    """Request last quarter's report in the default language (the beat job on the first day of each quarter),
    unless one exists.

    A report of that quarter in that language (settings.LANGUAGE_CODE) that is done, queued or running counts as
    existing, so running this twice creates one report; a failed one does not (the schedule tries again), nor does
    one in another language (an English version does not stand in for the Chinese one). Returns the new report
    or None.
    """
    now = now or timezone.now()
    period = Period.containing(now).previous_quarter()
    language = settings.LANGUAGE_CODE
    exists = Report.objects.filter(
        year=period.year,
        quarter=period.quarter,
        language=language,
        status__in=(Report.Status.DONE, Report.Status.QUEUED, Report.Status.RUNNING),
    ).exists()
    if exists:
        return None
    return report_request(actor=None, year=period.year, quarter=period.quarter, language=language)

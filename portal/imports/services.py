"""Writes on roster import jobs: request one (the upload, queued for Celery), run it (the task's body), fail it.

State machine of a RosterImport: queued -> running -> done | failed. The task may run twice (a redelivered
message, a worker lost after acks_late): it only runs a job that is queued or running, and the job's result is
recorded in the import's own transaction, so a run whose claim was taken over saves nothing.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import timedelta
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..locking import lock_one
from ..queueing import QueueUnavailable, enqueue_job
from .errors import RosterImportError, RowError
from .importer import ImportSummary, roster_import
from .models import RosterImport
from .workbook import _OLE2_MAGIC, _XLSX_MAGIC, _file_error, _not_xlsx, _read_upload

logger = logging.getLogger(__name__)

# Celery limits of the run_roster_import task; a job running longer than the hard limit has lost its worker.
IMPORT_SOFT_TIME_LIMIT = 600
IMPORT_TIME_LIMIT = 630
STUCK_GRACE = timedelta(seconds=60)
# A queued job whose message never reached a worker (e.g. Redis lost it) is given up after this long.
QUEUED_TIMEOUT = timedelta(hours=6)
# The job keeps this many row errors for its page; the count says how many there were.
MAX_STORED_ROW_ERRORS = 2_000


class _Superseded(Exception):
    """A later claim took the job over: this run's writes are rolled back."""


def roster_import_request(*, actor, uploaded_file, create_missing_units: bool) -> RosterImport:
    """Store the uploaded roster privately, record a queued import job and queue its task once committed.

    The size and the kind of file are checked here, so a file that is plainly not a roster is refused at once
    (RosterImportError, nothing recorded); everything else is checked by the task. When the broker is down the
    job is recorded as failed with that reason (its page says so). In eager mode (no broker) the import has run
    when this returns.
    """
    data = _read_upload(uploaded_file)
    if data.startswith(_OLE2_MAGIC):
        raise _file_error(
            _(
                "This is an old-format Excel file (.xls) or a password-protected workbook. Open it in Excel, "
                "remove any password and save it as .xlsx."
            )
        )
    if not data.startswith(_XLSX_MAGIC):
        raise _not_xlsx()
    name = str(getattr(uploaded_file, "name", "") or "")[-255:]
    with transaction.atomic():
        job = RosterImport(
            original_name=name,
            file_size=len(data),
            create_missing_units=create_missing_units,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            task_id=str(uuid.uuid4()),
        )
        job.file.save("roster.xlsx", ContentFile(data), save=False)
        job.save()
        audit_record(
            actor=actor,
            action="roster.import_request",
            obj=job,
            changes={"file": name, "size": len(data), "create_missing_units": create_missing_units},
        )
        transaction.on_commit(partial(_enqueue_recorded, job_id=job.pk))
    job.refresh_from_db()
    return job


def _enqueue_recorded(*, job_id: int) -> None:
    # The uploader is sent to the job's page either way: a broker failure is on the job's record, shown there.
    with contextlib.suppress(QueueUnavailable):
        roster_import_enqueue(job_id=job_id)


def roster_import_enqueue(*, job_id: int) -> None:
    """Send the job's task to the broker; if the broker is down, mark the job failed and raise QueueUnavailable."""
    from .tasks import run_roster_import

    job = RosterImport.objects.get(pk=job_id)
    enqueue_job(
        run_roster_import,
        job_id=job_id,
        task_id=job.task_id,
        fail=partial(roster_import_fail, job_id=job_id, from_statuses=(RosterImport.Status.QUEUED,)),
    )


def roster_import_run(*, job_id: int) -> RosterImport | None:
    """Import the job's file (importer.roster_import); the body of the Celery task. Safe to run twice.

    Claims the job (queued or running -> running), imports with progress, and records the result in the
    import's transaction: done with the counts, or failed with every row error (nothing saved). Does nothing
    (returns None) for a job that is finished or gone, or when a later claim took it over. Other exceptions
    propagate to the task, which marks the job failed.
    """
    claimed_at = timezone.now()
    active = (RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)
    claimed = RosterImport.objects.filter(pk=job_id, status__in=active).update(
        status=RosterImport.Status.RUNNING, started_at=claimed_at, progress=1, error=""
    )
    if not claimed:
        return None
    job = RosterImport.objects.select_related("requested_by").get(pk=job_id)
    mine = RosterImport.objects.filter(pk=job_id, status=RosterImport.Status.RUNNING, started_at=claimed_at)

    def progress(percent: int) -> None:
        mine.update(progress=min(max(percent, 1), 99))

    def record_done(summary: ImportSummary) -> None:
        finished_at = timezone.now()
        done = mine.update(
            status=RosterImport.Status.DONE,
            progress=100,
            created_count=summary.created,
            updated_count=summary.updated,
            unchanged_count=summary.unchanged,
            units_created=summary.units_created,
            finished_at=finished_at,
            duration=finished_at - claimed_at,
            file="",
        )
        if not done:
            raise _Superseded

    try:
        with job.file.open("rb") as handle:
            upload = ContentFile(handle.read(), name=job.display_name)
    except (FileNotFoundError, ValueError):  # ValueError: the job has no file any more
        message = _("The uploaded file is no longer there; upload it again.")
        roster_import_fail(job_id=job_id, message=message, from_statuses=(RosterImport.Status.RUNNING,))
        return RosterImport.objects.get(pk=job_id)
    try:
        roster_import(
            actor=job.requested_by,
            uploaded_file=upload,
            create_missing_units=job.create_missing_units,
            progress=progress,
            before_commit=record_done,
        )
    except _Superseded:
        return None
    except RosterImportError as error:
        _record_refusal(mine, claimed_at, error)
    _delete_file(job)
    job.refresh_from_db()
    return job


def _record_refusal(mine, claimed_at, error: RosterImportError) -> None:
    finished_at = timezone.now()
    mine.update(
        status=RosterImport.Status.FAILED,
        error=str(error),
        row_errors=[_row_error_json(item) for item in error.errors[:MAX_STORED_ROW_ERRORS]],
        row_error_count=len(error.errors),
        finished_at=finished_at,
        duration=finished_at - claimed_at,
        file="",
    )


def _row_error_json(error: RowError) -> dict:
    return {"row": error.row, "column": error.column, "message": error.message}


def _delete_file(job: RosterImport) -> None:
    """The roster holds personal data: once the import has finished, the upload goes."""
    if job.file.name:
        try:
            job.file.storage.delete(job.file.name)
        except OSError:
            logger.warning("Roster import %s: could not delete %s", job.pk, job.file.name)


def roster_import_fail(
    *, job_id: int, message: str, from_statuses=(RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)
) -> bool:
    """Mark the job failed with a readable message (nothing was imported), unless it already finished.

    Deletes the uploaded file. Returns whether the job changed.
    """
    now = timezone.now()
    with transaction.atomic():
        job = lock_one(RosterImport.objects.filter(pk=job_id, status__in=from_statuses), missing_ok=True)
        if job is None:
            return False
        old_status = job.status
        stored = job.file.name
        job.status = RosterImport.Status.FAILED
        job.error = message
        job.finished_at = now
        job.file = ""
        if job.started_at:
            job.duration = now - job.started_at
        job.save(update_fields=["status", "error", "finished_at", "duration", "file"])
        audit_record(
            actor=None,
            action="roster.import_fail",
            obj=job,
            changes={"status": [old_status, "failed"], "error": message},
        )
    if stored:
        job.file.name = stored
        _delete_file(job)
    return True


def roster_imports_fail_stuck(*, now=None) -> int:
    """Mark failed the jobs whose worker died: running past the hard time limit, or queued for hours.

    Runs whenever a job's page is polled; one query when nothing is stuck. Returns how many it marked failed.
    """
    now = now or timezone.now()
    running_limit = now - timedelta(seconds=IMPORT_TIME_LIMIT) - STUCK_GRACE
    stuck = list(
        RosterImport.objects.filter(status=RosterImport.Status.RUNNING, started_at__lt=running_limit).values_list(
            "pk", flat=True
        )
    )
    lost = list(
        RosterImport.objects.filter(status=RosterImport.Status.QUEUED, created_at__lt=now - QUEUED_TIMEOUT).values_list(
            "pk", flat=True
        )
    )
    changed = 0
    for job_id in stuck:
        message = _("The worker stopped during the import; nothing was imported. Upload the file again.")
        changed += roster_import_fail(job_id=job_id, message=message, from_statuses=(RosterImport.Status.RUNNING,))
    for job_id in lost:
        message = _("No worker picked this import up; nothing was imported. Upload the file again.")
        changed += roster_import_fail(job_id=job_id, message=message, from_statuses=(RosterImport.Status.QUEUED,))
    return changed


def summary_message(job: RosterImport) -> str:
    """The result of a finished import in one sentence, as the admin message and the job page say it."""
    summary = ImportSummary(
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        units_created=list(job.units_created or []),
    )
    return str(summary)

"""Celery task of the roster import: run one uploaded roster's import job."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from . import services
from .models import RosterImport

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="portal.imports.run_roster_import",
    acks_late=True,
    soft_time_limit=services.IMPORT_SOFT_TIME_LIMIT,
    time_limit=services.IMPORT_TIME_LIMIT,
)
def run_roster_import(self, job_id: int) -> dict:
    """Import the job's roster (services.roster_import_run); safe to run twice: a finished job is skipped.

    The soft time limit (10 minutes) or any unexpected error marks the job failed with a readable message; the
    import's transaction has then rolled back, so nothing was saved. A worker killed at the hard limit leaves
    the job "running" until its page, polled, marks it failed (services.roster_imports_fail_stuck).
    """
    try:
        job = services.roster_import_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        services.roster_import_fail(
            job_id=job_id,
            message=_("The import took longer than %(seconds)s seconds and was stopped; nothing was imported.")
            % {"seconds": services.IMPORT_SOFT_TIME_LIMIT},
        )
        return {"job": job_id, "status": RosterImport.Status.FAILED}
    except Exception as exc:  # any failure must end in a readable "failed", not "running" for ever
        logger.exception("Roster import %s failed", job_id)
        services.roster_import_fail(
            job_id=job_id,
            message=_("The import failed (%(error)s); nothing was imported.") % {"error": f"{type(exc).__name__}"},
        )
        return {"job": job_id, "status": RosterImport.Status.FAILED}
    return {"job": job_id, "status": job.status if job else "skipped"}

"""Queueing a long job's Celery task: run at once in the embedded mode, or fail the job when the broker is down.

Long jobs (summary workbooks, roster imports) are rows with a status that a page polls. Whatever the job, the
request that asks for it must not hang or crash when Redis is down: the job is recorded as failed with a message
fit for the page, and the request can be made again later.
"""

import logging
from collections.abc import Callable

from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from .errors import PortalError

logger = logging.getLogger(__name__)

# Publishing retries briefly: a broker that does not answer within about a second is reported as down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class QueueUnavailable(PortalError):
    """The Celery broker did not accept the task; the job is recorded as failed and can be requested again."""


def enqueue_job(task, *, job_id: int, task_id: str, fail: Callable[..., object]) -> None:
    """Run `task(job_id)` now in eager mode, else send it to the broker under `task_id`.

    In eager mode (embedded mode, tests) a failure stays on the job's record (the task writes it) rather than
    becoming an exception in the request. When the broker refuses the message, `fail(message=...)` records the
    failure on the job and QueueUnavailable is raised with the same translated message.
    """
    if task.app.conf.task_always_eager:
        task.apply(args=[job_id], task_id=task_id, throw=False)
        return
    try:
        task.apply_async(args=[job_id], task_id=task_id, retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Task %s for job %s not queued, the broker is unavailable: %s", task.name, job_id, exc)
        message = _("The task queue is unavailable, try again later.")
        fail(message=message)
        raise QueueUnavailable(message) from exc

"""Background work of the shared model."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "portal:celery-heartbeat"


@shared_task(name="portal.tasks.record_heartbeat", soft_time_limit=20, time_limit=30, ignore_result=True)
def record_heartbeat() -> str:
    """Record when a worker last ran a scheduled task, so staff can see that beat and the worker are alive.

    Side effect: writes the time to the cache. Safe to run any number of times.
    """
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="portal.tasks.echo", soft_time_limit=20, time_limit=30)
def echo(payload: dict) -> dict:
    """Return the payload with the worker's time: a round trip through the broker and result backend."""
    return {"payload": payload, "worker_time": timezone.now().isoformat()}

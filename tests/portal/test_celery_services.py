"""Round trips through the real Redis broker and PostgreSQL (the `services` suite)."""

import time

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.services


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_celery_round_trip_through_redis(transactional_db):
    from celery.contrib.testing.worker import start_worker
    from django_celery_results.models import TaskResult

    from portal.celery import app
    from portal.tasks import echo

    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = echo.delay({"unit": "市教育局"})
        value = result.get(timeout=30)
    assert value["payload"] == {"unit": "市教育局"}
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "portal.tasks.echo"


def test_heartbeat_task_runs_on_a_worker(transactional_db):
    from celery.contrib.testing.worker import start_worker
    from django.core.cache import cache

    from portal.celery import app
    from portal.tasks import HEARTBEAT_CACHE_KEY, record_heartbeat

    cache.delete(HEARTBEAT_CACHE_KEY)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        record_heartbeat.delay()
        deadline = time.monotonic() + 30
        while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get(HEARTBEAT_CACHE_KEY) is not None


def test_employee_numbers_are_unique_in_postgresql(db):
    unit = UnitFactory()
    CadreFactory(unit=unit, employee_no="P0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        from portal.models import Cadre

        other = CadreFactory.build(unit=unit, employee_no="P0002")
        other.user = CadreFactory(unit=unit).user
        other.employee_no = "P0001"
        Cadre.objects.bulk_create([other])

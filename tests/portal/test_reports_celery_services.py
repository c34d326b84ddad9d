"""Reports through the real Redis broker and PostgreSQL (the `services` suite): a worker builds the workbook,
retries a transient database error, and an unreachable broker is reported clearly."""

import time
from datetime import datetime
from unittest import mock

import pytest
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone, translation
from openpyxl import load_workbook

from activities.models import Activity, Registration
from portal.models import Report
from portal.queueing import QueueUnavailable
from portal.reports import services
from tests.activities.factories import ActivityFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.services


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def wait_for(report, statuses=("done", "failed"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in statuses:
            return report
        time.sleep(0.2)
    raise AssertionError(f"report stayed {report.status}")


def test_a_worker_builds_the_report_through_redis(transactional_db, leader):
    from celery.contrib.testing.worker import start_worker
    from django_celery_results.models import TaskResult

    from portal.celery import app

    unit = UnitFactory(name="市教育局")
    activity = ActivityFactory(
        status=Activity.Status.FINISHED, starts_at=timezone.make_aware(datetime(2025, 5, 5, 9)), kind="reading"
    )
    for cadre in CadreFactory.create_batch(3, unit=unit):
        Registration.objects.create(activity=activity, cadre=cadre, status=Registration.Status.CONFIRMED)
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        report = services.report_request(actor=leader, year=2025, quarter=2, language="zh-hans")
        wait_for(report)
        deadline = time.monotonic() + 10
        while not TaskResult.objects.filter(task_id=report.task_id).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert report.status == Report.Status.DONE, report.error
    assert report.progress == 100 and report.checksum
    workbook = load_workbook(report.file.path)
    summary = {row[0]: row[1] for row in workbook[workbook.sheetnames[0]].iter_rows(values_only=True)}
    assert 3 in summary.values()  # three person-times
    assert TaskResult.objects.get(task_id=report.task_id).status == "SUCCESS"


def test_a_transient_database_error_is_retried_by_the_worker(transactional_db, leader):
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    real_build = services.build_workbook
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseOperationalError("server closed the connection unexpectedly")
        return real_build(**kwargs)

    with (
        mock.patch("portal.reports.services.build_workbook", side_effect=flaky),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20),
    ):
        report = services.report_request(actor=leader, year=2025, quarter=1, language="en")
        wait_for(report)
    assert len(calls) == 2
    assert report.status == Report.Status.DONE


def test_an_unreachable_broker_is_reported_and_a_later_try_works(transactional_db, leader):
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    def use_broker(url):
        # kombu keeps one connection pool and one producer pool per broker URL; the app caches both.
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    good_url = app.conf.broker_url
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        started = time.monotonic()
        with pytest.raises(QueueUnavailable, match="task queue is unavailable"):
            services.report_request(actor=leader, year=2025, quarter=3, language="en")
        assert time.monotonic() - started < 10  # the page answers quickly, it does not hang
    finally:
        use_broker(good_url)
    failed = Report.objects.get(year=2025, quarter=3)
    assert failed.status == Report.Status.FAILED
    assert failed.error == "The task queue is unavailable, try again later."
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        later = services.report_request(actor=leader, year=2025, quarter=3, language="en")
        wait_for(later)
    assert later.status == Report.Status.DONE and later.version == 2

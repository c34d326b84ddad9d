"""A report too slow for its limits ends "failed" with that reason, recorded on a usable connection, and the staff
are told; the leader is not invited to try again blindly."""

from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection

from portal.models import Report
from portal.reports import services, tasks
from tests.factories import make_staff


def _request(leader):
    with mock.patch.object(services, "report_enqueue"):
        return services.report_request(actor=leader, year=2025, quarter=2, language="en")


@pytest.mark.django_db
def test_the_soft_time_limit_fails_the_report_and_notifies_the_staff(leader, mailoutbox):
    staff = make_staff("staff-with-mail")
    staff.email = "staff@example.org"
    staff.save()
    report = _request(leader)
    with mock.patch("portal.reports.services.build_workbook", side_effect=SoftTimeLimitExceeded()):
        tasks.generate_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "longer than 300 seconds" in report.error
    assert "staff have been notified" in report.error and "again" not in report.error.split(".")[-2]
    assert [message.to for message in mailoutbox] == [["staff@example.org"]]
    # Written in the portal's default language for the staff, naming the report and the reason.
    assert "2025" in mailoutbox[0].subject and "300 秒" in mailoutbox[0].body


@pytest.mark.django_db
def test_without_anyone_to_notify_the_message_says_so(leader, mailoutbox):
    report = _request(leader)
    with mock.patch("portal.reports.services.build_workbook", side_effect=SoftTimeLimitExceeded()):
        tasks.generate_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert "Please tell the committee staff" in report.error
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_sweeper_reports_a_lost_worker_to_the_staff(leader, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    staff = make_staff("staff-with-mail")
    staff.email = "staff@example.org"
    staff.save()
    report = _request(leader)
    Report.objects.filter(pk=report.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=10))
    assert services.reports_fail_stuck() == 1
    report.refresh_from_db()
    assert "worker stopped" in report.error and "notified" in report.error
    assert len(mailoutbox) == 1


@pytest.mark.services
def test_postgresql_cancels_a_statement_past_the_timeout_and_the_failure_is_recorded(transactional_db, leader):
    """On a real worker and database: the statement is cancelled by statement_timeout, not left to Celery."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    report = _request(leader)

    def slow_build(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")

    with (
        mock.patch.object(services, "REPORT_STATEMENT_TIMEOUT", 0.3),
        mock.patch("portal.reports.services.build_workbook", side_effect=slow_build),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20),
    ):
        outcome = tasks.generate_report.delay(report.pk).get(timeout=30)
    assert outcome["status"] == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "longer than 0.3 seconds" in report.error
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"

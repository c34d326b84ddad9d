"""Requesting and building reports: periods refused, versions, the task (idempotent, retries, failures),
the sweeper for dead workers, the broker being down, the quarterly schedule."""

import hashlib
from datetime import datetime, timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from portal.errors import PortalError
from portal.models import AuditEntry, Report
from portal.queueing import QueueUnavailable
from portal.reports import services, tasks
from portal.reports.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; outside a request Django would speak the default language, Chinese.
    with translation.override("en"):
        yield


def at(*args):
    return timezone.make_aware(datetime(*args))


def request(actor, year=2025, quarter=2, language="en"):
    return services.report_request(actor=actor, year=year, quarter=quarter, language=language)


# Periods -------------------------------------------------------------------------------------------------------


def test_period_boundaries_are_local_midnight():
    q2 = Period(2025, 2)
    assert timezone.localtime(q2.start) == at(2025, 4, 1)
    assert timezone.localtime(q2.end) == at(2025, 7, 1)
    assert Period(2025, 4).end == at(2026, 1, 1)
    assert Period(2025).start == at(2025, 1, 1) and Period(2025).end == at(2026, 1, 1)
    assert Period.from_slug("2025-Q3") == Period(2025, 3)
    assert Period.from_slug("2024") == Period(2024)
    assert Period(2025, 1).previous_quarter() == Period(2024, 4)
    assert Period.containing(at(2025, 4, 1, 0, 10)) == Period(2025, 2)
    with pytest.raises(ValueError):
        Period.from_slug("2025-Q5")
    with pytest.raises(ValueError):
        Period(2025, 0)


def test_a_future_quarter_is_refused(leader):
    next_year = timezone.localtime().year + 1
    with pytest.raises(PortalError, match="future quarter"):
        request(leader, year=next_year, quarter=1)
    with pytest.raises(PortalError, match="future year"):
        request(leader, year=next_year, quarter=None)
    assert not Report.objects.exists()


def test_the_current_quarter_and_year_are_refused_until_they_end(leader):
    current = Period.containing(timezone.now())
    with pytest.raises(PortalError, match="not over yet"):
        request(leader, year=current.year, quarter=current.quarter)
    with pytest.raises(PortalError, match="not over yet"):
        request(leader, year=current.year, quarter=None)
    assert not Report.objects.exists()


@pytest.mark.parametrize("quarter", [0, 5, "x"])
def test_a_bad_quarter_or_language_is_refused(leader, quarter):
    with pytest.raises(PortalError):
        request(leader, quarter=quarter)
    with pytest.raises(PortalError):
        request(leader, language="fr")


# Requesting and building ---------------------------------------------------------------------------------------


def test_request_queues_after_commit_and_builds_in_eager_mode(leader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = request(leader)
    assert len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert report.progress == 100
    assert (report.year, report.quarter, report.version, report.language) == (2025, 2, 1, "en")
    assert report.requested_by == leader
    assert report.started_at and report.finished_at and report.duration is not None
    assert report.task_id
    assert report.file.name == "2025/summary-2025-Q2-v1.xlsx"
    data = report.file.read()
    assert hashlib.sha256(data).hexdigest() == report.checksum
    assert report.file_size == len(data)
    assert report.headline["participations"] == 0
    actions = list(AuditEntry.objects.filter(object_type="portal.report").values_list("action", flat=True))
    assert sorted(actions) == ["report.done", "report.request"]


def test_the_file_is_private(leader, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        report = request(leader)
    report.refresh_from_db()
    path = report.file.path
    assert path.startswith(str(settings.REPORTS_ROOT.resolve()))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        report.file.url  # noqa: B018 - no public URL exists for a report file


def test_regenerating_makes_a_new_version_and_keeps_the_old(leader, staff_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = request(leader)
        second = services.report_regenerate(actor=staff_user, report=first)
        annual = request(leader, quarter=None)
        other_quarter = request(leader, quarter=1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.version, second.version, annual.version, other_quarter.version) == (1, 2, 1, 1)
    assert first.status == second.status == Report.Status.DONE
    assert first.file.name != second.file.name
    assert first.file.storage.exists(first.file.name) and second.file.storage.exists(second.file.name)
    assert second.requested_by == staff_user and second.language == first.language


def test_the_task_is_idempotent(leader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = request(leader)
    report.refresh_from_db()
    done = (report.file.name, report.checksum, report.finished_at)
    audits = AuditEntry.objects.count()
    result = tasks.generate_report.apply(args=[report.pk]).get()
    assert result == {"report": report.pk, "status": "skipped"}
    report.refresh_from_db()
    assert (report.file.name, report.checksum, report.finished_at) == done
    assert AuditEntry.objects.count() == audits
    assert tasks.generate_report.apply(args=[999999]).get()["status"] == "skipped"


def test_a_failure_is_recorded_with_a_readable_message(leader):
    report = request(leader)  # not committed in this test: the task has not run yet
    with mock.patch("portal.reports.services.build_workbook", side_effect=ValueError("sheet exploded")):
        result = tasks.generate_report.apply(args=[report.pk]).get()
    assert result["status"] == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == "The report could not be built: ValueError: sheet exploded"
    assert report.finished_at is not None and not report.file
    assert AuditEntry.objects.filter(action="report.fail", object_id=str(report.pk)).exists()


def test_the_soft_time_limit_fails_the_report(leader):
    report = request(leader)
    with mock.patch("portal.reports.services.build_workbook", side_effect=SoftTimeLimitExceeded()):
        tasks.generate_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "longer than 300 seconds" in report.error


def test_a_transient_database_error_is_retried(leader):
    report = request(leader)
    real_build = services.build_workbook
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseOperationalError("database is locked")
        return real_build(**kwargs)

    with (
        mock.patch("portal.reports.services.build_workbook", side_effect=flaky),
        mock.patch.object(tasks.time, "sleep"),
    ):
        tasks.generate_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert len(calls) == 2
    assert report.status == Report.Status.DONE


def test_retries_are_limited_then_the_report_fails(leader):
    report = request(leader)
    with (
        mock.patch("portal.reports.services.build_workbook", side_effect=DatabaseOperationalError("gone")) as build,
        mock.patch.object(tasks.time, "sleep") as sleep,
    ):
        outcome = tasks.generate_report.apply(args=[report.pk]).get()
    assert build.call_count == tasks.MAX_RETRIES + 1
    assert sleep.call_count == tasks.MAX_RETRIES
    assert outcome["status"] == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "database was unavailable" in report.error


def test_task_options():
    task = tasks.generate_report
    assert task.name == "portal.reports.generate_report"
    assert task.acks_late is True
    assert (task.soft_time_limit, task.time_limit) == (300, 330)
    assert task.max_retries == 3
    assert DatabaseOperationalError in task.autoretry_for


# A worker that dies ---------------------------------------------------------------------------------------------


def test_the_sweeper_fails_a_report_left_running_by_a_dead_worker(leader):
    dead = request(leader)
    alive = request(leader, quarter=1)
    Report.objects.filter(pk=dead.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=10))
    Report.objects.filter(pk=alive.pk).update(status="running", started_at=timezone.now() - timedelta(minutes=2))
    assert services.reports_fail_stuck() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Report.Status.FAILED
    assert "worker stopped" in dead.error
    assert alive.status == Report.Status.RUNNING
    assert services.reports_fail_stuck() == 0
    # A worker that comes back late cannot overwrite the verdict: the task skips a failed report.
    assert tasks.generate_report.apply(args=[dead.pk]).get()["status"] == "skipped"


def test_the_sweeper_gives_up_on_a_report_queued_for_a_day(leader):
    lost = request(leader)
    Report.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert tasks.fail_stuck_reports.apply().get() == 1
    lost.refresh_from_db()
    assert lost.status == Report.Status.FAILED and "within a day" in lost.error


def test_a_run_taken_over_by_a_later_claim_discards_its_file(leader):
    report = request(leader)
    real_build = services.build_workbook

    def build_then_lose_the_claim(**kwargs):
        result = real_build(**kwargs)
        # Meanwhile the sweeper decided this run was dead.
        Report.objects.filter(pk=report.pk).update(status="failed", error="swept")
        return result

    with mock.patch("portal.reports.services.build_workbook", side_effect=build_then_lose_the_claim):
        assert services.report_generate(report_id=report.pk) is None
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and not report.file
    assert not list((django_settings.REPORTS_ROOT / "2025").glob("*.xlsx"))


# The broker is down ---------------------------------------------------------------------------------------------


@pytest.fixture
def not_eager():
    """The production shape: tasks go through the broker (which these tests make unavailable)."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def test_broker_down_says_so_keeps_the_record_and_a_later_try_works(
    leader, django_capture_on_commit_callbacks, not_eager
):
    unavailable = BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with (
        mock.patch.object(tasks.generate_report, "apply_async", side_effect=unavailable),
        pytest.raises(PortalError, match="task queue is unavailable, try again later"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request(leader)
    failed = Report.objects.get()
    assert failed.status == Report.Status.FAILED
    assert failed.error == "The task queue is unavailable, try again later."
    assert failed.requested_by == leader
    with (
        mock.patch.object(tasks.generate_report, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        retried = request(leader)
    queued.assert_called_once()
    # The broker took it this time; a worker builds it (here: directly).
    tasks.generate_report.apply(args=[retried.pk])
    retried.refresh_from_db()
    assert retried.status == Report.Status.DONE and retried.version == 2
    assert Report.objects.count() == 2


def test_a_refused_connection_counts_as_broker_down(leader, django_capture_on_commit_callbacks, not_eager):
    with (
        mock.patch.object(tasks.generate_report, "apply_async", side_effect=ConnectionRefusedError(111, "refused")),
        pytest.raises(QueueUnavailable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request(leader)
    assert Report.objects.get().status == Report.Status.FAILED


# The quarterly schedule -----------------------------------------------------------------------------------------


def test_beat_schedule_has_the_quarterly_report_and_the_sweeper():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    quarterly = next(e for e in schedule.values() if e["task"] == "portal.reports.generate_last_quarter_report")
    assert quarterly["schedule"] == crontab(minute=0, hour=2, day_of_month=1, month_of_year="1,4,7,10")
    sweeper = next(e for e in schedule.values() if e["task"] == "portal.reports.fail_stuck_reports")
    assert sweeper["schedule"] == crontab(minute="*/10")
    from portal.celery import app

    assert {"portal.reports.generate_last_quarter_report", "portal.reports.fail_stuck_reports"} <= set(app.tasks)


def test_on_the_first_of_april_the_schedule_asks_for_the_first_quarter():
    report = services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 0))
    assert report.period == Period(2025, 1)
    assert services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 5)) is None


def test_the_quarterly_task_twice_does_not_duplicate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.generate_last_quarter_report.apply().get()
        second = tasks.generate_last_quarter_report.apply().get()
    last_quarter = Period.containing(timezone.now()).previous_quarter()
    assert first is not None and second is None
    report = Report.objects.get(year=last_quarter.year, quarter=last_quarter.quarter)
    assert report.status == Report.Status.DONE
    assert report.requested_by is None and report.requested_by_label == "Scheduled (automatic)"
    assert report.language == django_settings.LANGUAGE_CODE


def test_the_quarterly_task_tries_again_after_a_failure(django_capture_on_commit_callbacks):
    last_quarter = Period.containing(timezone.now()).previous_quarter()
    Report.objects.create(year=last_quarter.year, quarter=last_quarter.quarter, status="failed", error="boom")
    with django_capture_on_commit_callbacks(execute=True):
        new_id = tasks.generate_last_quarter_report.apply().get()
    assert Report.objects.get(pk=new_id).version == 2


def test_a_version_taken_meanwhile_moves_to_the_next_one(leader):
    Report.objects.create(year=2025, quarter=2, version=1)
    with mock.patch("portal.reports.services._next_version", side_effect=[1, 2]):
        report = request(leader)
    assert report.version == 2

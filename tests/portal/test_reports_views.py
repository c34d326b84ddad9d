"""The reports pages: who may see them, generate now (with htmx), live status, downloads, the dashboard."""

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from activities.models import Activity, Registration
from portal.models import Report
from portal.reports import tasks
from portal.reports.periods import Period
from tests.activities.factories import ActivityFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "cadre", "liaison", "staff", "leader"]


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Pages and messages are asserted in English (the default language is Chinese).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(cadre, liaison, staff_user, leader):
    return {"anonymous": None, "cadre": cadre.user, "liaison": liaison.user, "staff": staff_user, "leader": leader}


@pytest.fixture
def done_report(leader, django_capture_on_commit_callbacks):
    from portal.reports import services

    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=leader, year=2025, quarter=2, language="en")
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    return report


def last_finished_quarter() -> Period:
    return Period.containing(timezone.now()).previous_quarter()


# Who may GET each page: tests/test_permission_matrix.py.


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_for_generation(client, people, role, django_capture_on_commit_callbacks):
    if people[role] is not None:
        client.force_login(people[role])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:generate"), {"period": last_finished_quarter().slug, "language": "en"})
    expected = {"anonymous": 302, "cadre": 404, "liaison": 404, "staff": 302, "leader": 302}[role]
    assert response.status_code == expected
    assert Report.objects.exists() == (role in ("staff", "leader"))


def test_generate_is_post_only(client, leader):
    client.force_login(leader)
    assert client.get(reverse("reports:generate")).status_code == 405


# Transactional: the task is queued on commit, which happens inside the request as in production.
@pytest.mark.django_db(transaction=True)
def test_generate_now_with_htmx_answers_the_live_status(client, leader):
    client.force_login(leader)
    response = client.post(
        reverse("reports:generate"), {"period": "2025-Q2", "language": "en"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    report = Report.objects.get()
    html = response.content.decode()
    assert f'id="report-{report.pk}"' in html
    assert 'data-status="done"' in html  # eager mode: done at once
    assert reverse("reports:download", args=[report.pk]) in html
    assert "hx-trigger" not in html  # finished: no more polling


def test_status_fragment_polls_while_running_and_stops_when_finished(client, leader):
    client.force_login(leader)
    report = Report.objects.create(year=2025, quarter=2, status="running", progress=40, requested_by=leader)
    html = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="{reverse("reports:status", args=[report.pk])}"' in html
    assert 'aria-valuenow="40"' in html
    Report.objects.filter(pk=report.pk).update(status="failed", error="The task queue is unavailable, try again later.")
    html = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert "hx-trigger" not in html
    assert "The task queue is unavailable, try again later." in html
    assert client.get(reverse("reports:status", args=[999999])).status_code == 404


def test_polling_a_report_whose_worker_died_shows_it_failed(client, leader):
    client.force_login(leader)
    report = Report.objects.create(
        year=2025,
        quarter=2,
        language="en",  # the failure is recorded in the report's language
        status="running",
        progress=40,
        started_at=timezone.now() - timedelta(minutes=20),
    )
    html = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert 'data-status="failed"' in html and "worker stopped" in html
    assert "hx-trigger" not in html


def test_a_forged_future_quarter_is_refused_with_the_clear_message(client, leader):
    client.force_login(leader)
    future = f"{timezone.localtime().year + 1}-Q2"
    response = client.post(reverse("reports:generate"), {"period": future, "language": "en"}, follow=True)
    assert "is a future quarter" in response.content.decode()
    response = client.post(
        reverse("reports:generate"), {"period": future, "language": "en"}, headers={"HX-Request": "true"}
    )
    assert "is a future quarter" in response.content.decode()
    response = client.post(reverse("reports:generate"), {"period": "2025-Q9", "language": "en"}, follow=True)
    assert "Choose a quarter or a year." in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_broker_down_is_said_clearly_on_the_page(client, leader):
    from portal.celery import app

    client.force_login(leader)
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(tasks.generate_report, "apply_async", side_effect=BrokerError("connection refused")):
            response = client.post(
                reverse("reports:generate"), {"period": "2025-Q2", "language": "en"}, headers={"HX-Request": "true"}
            )
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 200
    assert "The task queue is unavailable, try again later." in response.content.decode()
    assert Report.objects.get().status == Report.Status.FAILED
    # Nothing lost: the failed request is listed with its reason.
    page = client.get(reverse("reports:list")).content.decode()
    assert "The task queue is unavailable, try again later." in page


def test_download_serves_the_file_through_the_permission_checking_view(client, leader, done_report):
    client.force_login(leader)
    response = client.get(reverse("reports:download", args=[done_report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="summary-2025-Q2-v1.xlsx"'
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == done_report.checksum


def test_no_public_url_reaches_a_report_file(client, leader, done_report, settings):
    client.force_login(leader)
    assert client.get(f"{settings.MEDIA_URL}{done_report.file.name}").status_code == 404
    assert client.get(f"/private/reports/{done_report.file.name}").status_code == 404
    assert not str(settings.REPORTS_ROOT).startswith(str(settings.MEDIA_ROOT))


def test_download_of_an_unfinished_or_missing_report_is_404(client, leader, done_report):
    client.force_login(leader)
    queued = Report.objects.create(year=2025, quarter=1)
    assert client.get(reverse("reports:download", args=[queued.pk])).status_code == 404
    done_report.file.storage.delete(done_report.file.name)
    assert client.get(reverse("reports:download", args=[done_report.pk])).status_code == 404


def test_list_shows_periods_versions_and_download_links(
    client, leader, done_report, django_capture_on_commit_callbacks
):
    from portal.reports import services

    with django_capture_on_commit_callbacks(execute=True):
        second = services.report_regenerate(actor=leader, report=done_report)
    client.force_login(leader)
    html = client.get(reverse("reports:list")).content.decode()
    assert 'data-testid="period-2025-Q2"' in html
    assert reverse("reports:download", args=[second.pk]) in html
    assert reverse("reports:download", args=[done_report.pk]) in html  # the earlier version stays downloadable
    assert "1 earlier version" in html
    assert 'data-testid="generate-form"' in html


def test_list_page_runs_the_sweeper(client, leader):
    client.force_login(leader)
    stuck = Report.objects.create(
        year=2025, quarter=2, language="en", status="running", started_at=timezone.now() - timedelta(minutes=30)
    )
    html = client.get(reverse("reports:list")).content.decode()
    stuck.refresh_from_db()
    assert stuck.status == Report.Status.FAILED
    assert "worker stopped" in html


def test_list_page_queries_do_not_grow_with_reports(client, leader, staff_user, django_assert_max_num_queries):
    client.force_login(leader)
    for quarter in (1, 2):
        Report.objects.create(year=2024, quarter=quarter, status="done", requested_by=leader)

    def count():
        from django.db import connection

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reports:list")).status_code == 200
        return len(queries)

    few = count()
    for year in range(2015, 2024):
        for quarter in (None, 1, 2, 3, 4):
            Report.objects.create(year=year, quarter=quarter, status="failed", requested_by=staff_user, error="x")
    assert count() == few
    with django_assert_max_num_queries(12):
        client.get(reverse("reports:list"))


def _participations(units: int, per_unit: int):
    now = timezone.now()
    activity = ActivityFactory(status=Activity.Status.FINISHED, starts_at=now - timedelta(hours=1))
    for _ in range(units):
        unit = UnitFactory()
        for cadre in CadreFactory.create_batch(per_unit, unit=unit):
            Registration.objects.create(activity=activity, cadre=cadre, status=Registration.Status.CONFIRMED)


def test_dashboard_shows_this_years_figures_with_svg_charts(client, leader):
    _participations(units=3, per_unit=2)
    client.force_login(leader)
    response = client.get(reverse("reports:dashboard"), headers={"Accept-Language": "en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="figure-participations">6<' in html
    assert 'data-testid="figure-activities">1<' in html
    assert html.count("<svg") >= 3
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # charts without JavaScript


def test_dashboard_queries_do_not_grow_with_the_data(client, leader):
    from django.db import connection

    client.force_login(leader)
    _participations(units=2, per_unit=1)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("reports:dashboard"))
    _participations(units=20, per_unit=5)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("reports:dashboard"))
    assert len(small) == len(large) <= 35


def test_navbar_links_to_reports_for_leadership_and_staff_only(client, leader, cadre, staff_user):
    url = reverse("reports:list")
    client.force_login(leader)
    assert f'href="{url}"' in client.get(reverse("portal:my_page")).content.decode()
    client.force_login(staff_user)
    assert f'href="{url}"' in client.get(reverse("portal:my_page")).content.decode()
    client.force_login(cadre.user)
    assert f'href="{url}"' not in client.get(reverse("portal:my_page")).content.decode()


def test_period_choices_offer_only_finished_periods(client, leader):
    client.force_login(leader)
    html = client.get(reverse("reports:list")).content.decode()
    current = Period.containing(timezone.now())
    assert f'value="{current.slug}"' not in html
    assert f'value="{current.previous_quarter().slug}" selected' in html
    assert f'value="{current.year - 1}"' in html

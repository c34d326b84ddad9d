"""A leader on a phone opens the reports, generates last quarter's workbook, watches it finish, downloads it."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from activities.models import Activity, Registration
from portal.models import Report
from portal.reports import services
from portal.reports.periods import Period
from tests.activities.factories import ActivityFactory
from tests.browser.conftest import log_in
from tests.factories import CadreFactory, UnitFactory, make_leader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


def _participations(count: int, starts_at) -> None:
    unit = UnitFactory(name="市教育局", short_name="教育局")
    activity = ActivityFactory(
        title="读书分享会", kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=starts_at
    )
    for cadre in CadreFactory.create_batch(count, unit=unit):
        Registration.objects.create(activity=activity, cadre=cadre, status=Registration.Status.CONFIRMED)


def test_leader_generates_watches_and_downloads_a_report(live_server, phone_page, artifacts_dir, tmp_path):
    period = Period.containing(timezone.now()).previous_quarter()
    _participations(4, period.start + timedelta(days=10))
    leader = make_leader()
    # A report already being built by a worker: the page must follow it live until it is done.
    earlier = period.previous_quarter()
    running = Report.objects.create(
        year=earlier.year,
        quarter=earlier.quarter,
        language="zh-hans",
        status="running",
        progress=30,
        requested_by=leader,
    )
    page = phone_page
    log_in(page, live_server.url, leader.username)
    page.wait_for_url("**/me/")
    page.get_by_role("button", name="切换导航").click()
    page.locator('#portal-nav a[href="/reports/"]').click()
    page.wait_for_url("**/reports/")

    # Live progress: the running report polls its status; when the worker finishes, the link appears by itself.
    status = page.get_by_test_id(f"report-status-{running.pk}")
    assert status.get_attribute("data-status") == "running"
    assert page.get_by_role("progressbar").first.get_attribute("aria-valuenow") == "30"
    services.report_generate(report_id=running.pk)
    page.get_by_test_id(f"download-{running.pk}").wait_for(timeout=10_000)

    # Generate now: last quarter is preselected; in eager mode the report is done when the answer arrives.
    assert page.locator("#id_period").input_value() == period.slug
    page.get_by_test_id("generate-report").click()
    done = page.locator('#generate-result [data-status="done"]')
    done.wait_for(timeout=30_000)
    report = Report.objects.get(year=period.year, quarter=period.quarter)
    assert report.status == Report.Status.DONE and report.requested_by == leader
    page.screenshot(path=str(artifacts_dir / "leader-reports-phone.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id(f"download-{report.pk}").click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"{period.slug}-v1.xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = load_workbook(saved)
    with translation.override("zh-hans"):
        participations = gettext("Participations (person-times)")
        summary_title = gettext("Summary")
    summary = workbook[workbook.sheetnames[0]]
    assert summary.title == summary_title
    figures = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert figures[participations] == 4


def test_leader_sees_the_dashboard_on_a_phone(live_server, phone_page, artifacts_dir):
    _participations(3, timezone.now() - timedelta(hours=1))
    leader = make_leader()
    page = phone_page
    log_in(page, live_server.url, leader.username)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/reports/dashboard/")
    assert page.get_by_test_id("headline").is_visible()
    assert page.locator("svg").count() >= 3
    # Nothing wider than the phone: the charts scale with the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "leader-dashboard-phone.png"), full_page=True)

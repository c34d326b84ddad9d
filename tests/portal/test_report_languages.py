"""Report versions per language: the English workbook of a period does not hide the Chinese one (nor stop the
schedule from building it); each language keeps its current version, earlier versions stay downloadable."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import Report
from portal.reports import selectors, services
from portal.reports.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Pages are asserted in English (the default language is Chinese).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def generate(actor, language, *, capture, year=2025, quarter=2) -> Report:
    with capture(execute=True):
        report = services.report_request(actor=actor, year=year, quarter=quarter, language=language)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    return report


def test_each_language_keeps_its_current_version(leader, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    chinese_v1 = generate(leader, "zh-hans", capture=capture)
    english_v2 = generate(leader, "en", capture=capture)
    chinese_v3 = generate(leader, "zh-hans", capture=capture)
    # Version numbers count the period's workbooks whatever their language: one number names one file.
    assert [chinese_v1.version, english_v2.version, chinese_v3.version] == [1, 2, 3]

    (group,) = selectors.reports_by_period()
    assert group.current == [chinese_v3, english_v2]  # Chinese first, as in settings.LANGUAGES
    assert group.earlier == [chinese_v1]


def test_the_list_shows_the_current_version_per_language_and_the_earlier_ones(
    client, leader, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    chinese_v1 = generate(leader, "zh-hans", capture=capture)
    chinese_v2 = generate(leader, "zh-hans", capture=capture)
    english_v3 = generate(leader, "en", capture=capture)
    client.force_login(leader)
    html = client.get(reverse("reports:list")).content.decode()

    current, _, earlier = html.partition('data-testid="earlier-')
    # Both current versions are shown with their download, outside the "earlier versions" fold.
    for report in (chinese_v2, english_v3):
        assert f'data-testid="report-status-{report.pk}"' in current
        assert reverse("reports:download", args=[report.pk]) in current
    assert "Simplified Chinese v2" in current and "English v3" in current
    assert current.index("Simplified Chinese v2") < current.index("English v3")
    # The Chinese v1 is still there to download, among the earlier versions.
    assert f'data-testid="report-status-{chinese_v1.pk}"' not in current
    assert reverse("reports:download", args=[chinese_v1.pk]) in earlier
    assert "1 earlier version" in html


def test_a_period_with_one_language_shows_only_that_one(client, leader, django_capture_on_commit_callbacks):
    english = generate(leader, "en", capture=django_capture_on_commit_callbacks, quarter=None)
    client.force_login(leader)
    html = client.get(reverse("reports:list")).content.decode()
    assert 'data-testid="current-2025"' in html and "English v1" in html
    assert "Simplified Chinese v" not in html
    assert reverse("reports:download", args=[english.pk]) in html
    assert "earlier version" not in html


def at(*args):
    return timezone.make_aware(datetime(*args))


def test_an_english_report_does_not_stop_the_schedule_building_the_chinese_one(django_capture_on_commit_callbacks):
    Report.objects.create(year=2025, quarter=1, language="en", status="done")
    Report.objects.create(year=2025, quarter=1, language="en", status="running", version=2, started_at=at(2025, 4, 1))
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 0))
    assert scheduled is not None
    assert (scheduled.period, scheduled.language, scheduled.version) == (Period(2025, 1), "zh-hans", 3)
    assert scheduled.language == django_settings.LANGUAGE_CODE
    # A Chinese one exists now (done, queued or running): the job does not add another.
    assert services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 5)) is None


def test_a_queued_chinese_report_counts_and_a_failed_one_does_not():
    failed = Report.objects.create(year=2025, quarter=1, language="zh-hans", status="failed", error="boom")
    queued = services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 0))
    assert queued is not None and queued.pk != failed.pk
    Report.objects.filter(pk=queued.pk).update(status="queued")
    assert services.report_schedule_last_quarter(now=at(2025, 4, 1, 2, 10)) is None


def test_the_sweeper_fails_a_stuck_english_report_and_leaves_the_chinese_current_one(leader):
    chinese = Report.objects.create(year=2025, quarter=2, language="zh-hans", status="done")
    stuck = Report.objects.create(
        year=2025,
        quarter=2,
        language="en",
        version=2,
        status="running",
        started_at=timezone.now() - timedelta(minutes=30),
    )
    assert services.reports_fail_stuck() == 1
    chinese.refresh_from_db()
    stuck.refresh_from_db()
    assert (chinese.status, stuck.status) == (Report.Status.DONE, Report.Status.FAILED)
    (group,) = selectors.reports_by_period()
    assert group.current == [chinese, stuck]


def test_the_admin_marks_the_current_version_of_each_language(client, staff_user):
    rows = [
        Report.objects.create(year=2025, quarter=2, language="zh-hans", version=1),
        Report.objects.create(year=2025, quarter=2, language="en", version=2),
        Report.objects.create(year=2025, quarter=2, language="zh-hans", version=3),
        Report.objects.create(year=2025, quarter=None, language="zh-hans", version=1),
        Report.objects.create(year=2025, quarter=None, language="zh-hans", version=2),
        Report.objects.create(year=2025, quarter=3, language="zh-hans", version=1),
    ]
    flags = dict(selectors.with_current_flag(Report.objects.all()).values_list("pk", "is_current"))
    assert [flags[r.pk] for r in rows] == [False, True, True, False, True, True]
    client.force_login(staff_user)
    response = client.get(reverse("admin:portal_report_changelist"))
    assert response.status_code == 200
    assert "current in its language" in response.content.decode().lower()


def test_the_list_runs_the_same_queries_for_few_and_many_versions(client, leader):
    def add(count):
        for year in range(2001, 2001 + count):
            for version, language in enumerate(("zh-hans", "en", "zh-hans"), start=1):
                Report.objects.create(
                    year=year, quarter=1, language=language, version=version, status=Report.Status.FAILED
                )

    client.force_login(leader)
    counts = []
    for count in (1, 10):
        Report.objects.all().delete()
        add(count)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reports:list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

"""Committee staff's admin for the reports: the list with errors, the regenerate action, read-only records."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Pages and messages are asserted in English (the default language is Chinese).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def test_changelist_shows_status_and_errors(client, staff_user, leader):
    Report.objects.create(
        year=2025, quarter=2, status="failed", error="The task queue is unavailable, try again later."
    )
    Report.objects.create(year=2025, quarter=None, status="done", requested_by=leader)
    client.force_login(staff_user)
    response = client.get(reverse("admin:portal_report_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The task queue is unavailable, try again later." in html
    assert "regenerate" in html  # the action is offered


def test_change_page_is_read_only_and_links_the_download_view(
    client, staff_user, leader, django_capture_on_commit_callbacks
):
    from portal.reports import services

    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=leader, year=2025, quarter=2, language="en")
    client.force_login(staff_user)
    response = client.get(reverse("admin:portal_report_change", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("reports:download", args=[report.pk]) in html
    assert "/media/" not in html
    assert client.get(reverse("admin:portal_report_add")).status_code == 403
    assert client.get(reverse("admin:portal_report_delete", args=[report.pk])).status_code == 403  # versions stay


def test_regenerate_action_makes_new_versions(client, staff_user, django_capture_on_commit_callbacks):
    old = Report.objects.create(year=2025, quarter=2, status="failed", error="boom", language="en")
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_report_changelist"),
            {"action": "regenerate", "_selected_action": [old.pk]},
            follow=True,
        )
    assert response.status_code == 200
    new = Report.objects.exclude(pk=old.pk).get()
    assert (new.year, new.quarter, new.version, new.language, new.requested_by) == (2025, 2, 2, "en", staff_user)
    new.refresh_from_db()
    assert new.status == "done"
    old.refresh_from_db()
    assert old.status == "failed"  # the old version stays as it was


def test_leadership_without_staff_status_has_no_admin(client, leader):
    client.force_login(leader)
    assert client.get(reverse("admin:portal_report_changelist")).status_code == 302

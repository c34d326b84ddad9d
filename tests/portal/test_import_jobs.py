"""Roster imports as Celery jobs: the upload, the job page and its htmx polling, the result, failures, access."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from openpyxl import Workbook

from portal.imports import roster_import
from portal.imports import services as import_services
from portal.imports import tasks as import_tasks
from portal.imports.models import RosterImport
from portal.models import AuditEntry, Cadre
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "姓名", "性别", "单位", "手机号"]


def upload(rows, name="名册.xlsx"):
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for values in rows:
        workbook.active.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


GOOD = [["W001", "甲", "男", "市水务局", "13800000001"], ["W002", "乙", "女", "市水务局", None]]
BAD = [["W001", "甲", "男", "市水务局", "13800000001"], ["W002", "乙", "X", "不存在局", "123"]]


@pytest.fixture
def water(db):
    return UnitFactory(name="市水务局")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def not_eager():
    """The production shape: tasks go through the broker."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def post(client, rows, capture, **data):
    client.cookies["django_language"] = "en"
    with capture(execute=True):
        response = client.post(reverse("admin:portal_cadre_import"), {"file": upload(rows), **data})
    assert response.status_code == 302
    return response


def test_upload_creates_a_job_that_imports_and_shows_the_counts(
    staff_client, staff_user, water, django_capture_on_commit_callbacks, settings
):
    response = post(staff_client, GOOD, django_capture_on_commit_callbacks)
    job = RosterImport.objects.get()
    assert response.url == reverse("admin:portal_cadre_import_job", args=[job.pk])
    assert (job.status, job.progress, job.created_count, job.requested_by) == ("done", 100, 2, staff_user)
    assert job.original_name == "名册.xlsx"
    assert Cadre.objects.filter(unit=water).count() == 2
    page = staff_client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 rows imported: 2 new, 0 updated, 0 unchanged." in html
    assert "hx-get" not in html  # finished: no more polling
    # The upload held personal data: it is gone once the import has finished.
    assert not job.file
    assert not list((settings.IMPORTS_ROOT).glob("*"))
    assert AuditEntry.objects.filter(action="roster.import_request").exists()
    assert AuditEntry.objects.filter(action="roster.import", actor=staff_user).exists()


def test_bad_rows_fail_the_job_with_every_error_and_save_nothing(
    staff_client, water, django_capture_on_commit_callbacks
):
    response = post(staff_client, BAD, django_capture_on_commit_callbacks)
    job = RosterImport.objects.get()
    assert job.status == "failed" and job.row_error_count >= 3
    assert not Cadre.objects.exists()
    assert {"row", "column", "message"} == set(job.row_errors[0])
    assert {error["row"] for error in job.row_errors} == {3}
    html = staff_client.get(response.url).content.decode()
    assert 'id="import-errors"' in html and "不存在局" in html
    assert "Nothing was saved" in html


def test_create_missing_units_option_reaches_the_job(staff_client, django_capture_on_commit_callbacks):
    rows = [["W001", "甲", "男", "新设局", None]]
    post(staff_client, rows, django_capture_on_commit_callbacks, create_missing_units="on")
    job = RosterImport.objects.get()
    assert job.create_missing_units and job.status == "done" and job.units_created == ["新设局"]


def test_a_file_that_is_no_workbook_is_refused_at_once_without_a_job(staff_client):
    response = staff_client.post(
        reverse("admin:portal_cadre_import"), {"file": SimpleUploadedFile("r.xlsx", b"%PDF-1.4 no")}
    )
    assert response.status_code == 200
    assert "xlsx" in response.context["error_summary"]
    assert not RosterImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_at_once_without_a_job(staff_client, settings):
    file = upload(GOOD)
    settings.ROSTER_IMPORT_MAX_BYTES = file.size - 1
    response = staff_client.post(reverse("admin:portal_cadre_import"), {"file": file})
    assert response.status_code == 200 and response.context["error_summary"]
    assert not RosterImport.objects.exists()


def test_a_queued_job_polls_and_a_finished_one_stops(staff_client, staff_user, water, not_eager, settings):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    url = reverse("admin:portal_cadre_import_job", args=[job.pk])
    # The stored file waits privately, outside MEDIA_ROOT.
    assert job.file and (settings.IMPORTS_ROOT / job.file.name).exists()
    assert not str(settings.IMPORTS_ROOT).startswith(str(settings.MEDIA_ROOT))
    fragment = staff_client.get(url, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and f'hx-get="{url}"' in html and "<progress" in html
    assert "<html" not in html  # the fragment only, for htmx to swap in
    import_tasks.run_roster_import.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done"
    assert "hx-get" not in staff_client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_the_task_is_safe_to_run_twice(staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    first = import_tasks.run_roster_import.apply(args=[job.pk]).get()
    second = import_tasks.run_roster_import.apply(args=[job.pk]).get()
    assert first["status"] == "done" and second["status"] == "skipped"
    job.refresh_from_db()
    assert job.created_count == 2 and Cadre.objects.count() == 2


def test_a_run_whose_claim_was_taken_over_saves_nothing(staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    real_import = import_services.roster_import

    def claimed_meanwhile(**kwargs):
        # A redelivered message claims the job while this run is still importing.
        RosterImport.objects.filter(pk=job.pk).update(started_at=timezone.now() + dt.timedelta(seconds=5))
        return real_import(**kwargs)

    with mock.patch.object(import_services, "roster_import", side_effect=claimed_meanwhile):
        assert import_services.roster_import_run(job_id=job.pk) is None
    assert not Cadre.objects.exists()
    assert RosterImport.objects.get(pk=job.pk).status == "running"


def test_broker_down_marks_the_job_failed_with_a_clear_message(
    staff_client, water, django_capture_on_commit_callbacks, not_eager
):
    unavailable = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(import_tasks.run_roster_import, "apply_async", side_effect=unavailable):
        response = post(staff_client, GOOD, django_capture_on_commit_callbacks)
    html = staff_client.get(response.url).content.decode()
    job = RosterImport.objects.get()
    assert job.status == "failed"
    assert job.error == "The task queue is unavailable, try again later."
    assert "The task queue is unavailable, try again later." in html
    assert not job.file and not Cadre.objects.exists()


def test_an_unexpected_error_fails_the_job_readably(staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    with mock.patch.object(import_services, "roster_import", side_effect=RuntimeError("boom")):
        result = import_tasks.run_roster_import.apply(args=[job.pk]).get()
    job.refresh_from_db()
    assert result["status"] == "failed" and job.status == "failed" and "RuntimeError" in job.error
    assert not Cadre.objects.exists()


def test_a_job_whose_worker_died_is_failed_when_its_page_is_polled(staff_client, staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    RosterImport.objects.filter(pk=job.pk).update(status="running", started_at=long_ago)
    staff_client.get(reverse("admin:portal_cadre_import_job", args=[job.pk]), headers={"HX-Request": "true"})
    job.refresh_from_db()
    assert job.status == "failed" and job.error


def test_progress_is_reported_in_increasing_steps_up_to_the_write(water):
    seen = []
    rows = [[f"P{n:04d}", "甲", "男", "市水务局", None] for n in range(5000)]
    roster_import(actor=None, uploaded_file=upload(rows), create_missing_units=False, progress=seen.append)
    assert seen == sorted(seen) and seen[0] >= 1 and seen[-1] <= 99
    assert len(set(seen)) >= 4


@pytest.mark.parametrize("role", ["anonymous", "cadre", "liaison", "other_liaison", "leader"])
def test_only_committee_staff_reach_a_job(client, role_users, role, staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    if role_users[role] is not None:
        client.force_login(role_users[role])
    for url in (
        reverse("admin:portal_cadre_import_job", args=[job.pk]),
        reverse("admin:portal_rosterimport_changelist"),
        reverse("admin:portal_rosterimport_change", args=[job.pk]),
    ):
        assert client.get(url).status_code == 302
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 302


def test_staff_see_the_history_read_only(staff_client, staff_user, water, not_eager):
    with mock.patch.object(import_tasks.run_roster_import, "apply_async"):
        job = import_services.roster_import_request(
            actor=staff_user, uploaded_file=upload(GOOD), create_missing_units=False
        )
    assert staff_client.get(reverse("admin:portal_rosterimport_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:portal_rosterimport_change", args=[job.pk])).status_code == 200
    assert staff_client.get(reverse("admin:portal_rosterimport_add")).status_code == 403
    assert staff_client.get(reverse("admin:portal_rosterimport_delete", args=[job.pk])).status_code == 403
    assert staff_client.get(reverse("admin:portal_cadre_import_job", args=[job.pk + 1])).status_code == 404

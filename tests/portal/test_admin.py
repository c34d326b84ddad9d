"""Committee staff's admin for units and cadres."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import AuditEntry, Cadre
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_changelist_masks_phones_and_searches(staff_client, unit):
    CadreFactory(unit=unit, name="孙悟空", phone="13800138000", employee_no="A1001")
    CadreFactory(unit=unit, name="猪八戒", phone="13900139000", employee_no="A1002")
    url = reverse("admin:portal_cadre_changelist")
    html = staff_client.get(url).content.decode()
    assert "138****8000" in html
    assert "13800138000" not in html
    for term in ("孙悟空", "A1001", "13800138000"):
        result = staff_client.get(url, {"q": term}).content.decode()
        assert "孙悟空" in result and "猪八戒" not in result, term


def test_changelist_filters_and_query_budget(staff_client, unit, other_unit, django_assert_max_num_queries):
    CadreFactory.create_batch(30, unit=unit)
    CadreFactory.create_batch(5, unit=other_unit, political_status=Cadre.PoliticalStatus.CYL_MEMBER)
    url = reverse("admin:portal_cadre_changelist")
    with django_assert_max_num_queries(20):
        response = staff_client.get(url, {"unit__id__exact": other_unit.pk})
    assert response.context["cl"].result_count == 5
    response = staff_client.get(url, {"political_status__exact": "cyl"})
    assert response.context["cl"].result_count == 5


def test_adding_a_cadre_creates_the_login_account(staff_client, unit):
    response = staff_client.post(
        reverse("admin:portal_cadre_add"),
        {
            "employee_no": "N0001",
            "name": "新同志",
            "gender": "F",
            "unit": unit.pk,
            "political_status": "cpc",
            "phone": "13712345678",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    cadre = Cadre.objects.get(employee_no="N0001")
    assert cadre.user.username == "N0001"
    assert cadre.must_change_password
    # No shared initial password: nobody can log in until a liaison or staff issue this account its own.
    assert not cadre.user.has_usable_password()
    assert AuditEntry.objects.filter(action="cadre.create", object_id=str(cadre.pk)).exists()


def test_adding_a_cadre_with_a_taken_employee_number_is_refused(staff_client, unit, staff_user):
    response = staff_client.post(
        reverse("admin:portal_cadre_add"),
        {"employee_no": staff_user.username, "name": "重名", "gender": "M", "unit": unit.pk, "political_status": "cpc"},
    )
    assert response.status_code == 200
    assert "employee_no" in response.context["adminform"].form.errors
    assert not Cadre.objects.filter(name="重名").exists()


def test_bad_phone_is_rejected_in_the_admin(staff_client, unit):
    response = staff_client.post(
        reverse("admin:portal_cadre_add"),
        {
            "employee_no": "N0002",
            "name": "错号",
            "gender": "M",
            "unit": unit.pk,
            "political_status": "cpc",
            "phone": "12345",
        },
    )
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="N0002").exists()


def test_deactivate_and_activate_actions_switch_the_login_too(staff_client, unit):
    cadres = CadreFactory.create_batch(3, unit=unit)
    url = reverse("admin:portal_cadre_changelist")
    staff_client.post(url, {"action": "deactivate", "_selected_action": [c.pk for c in cadres[:2]]})
    assert list(Cadre.objects.filter(is_active=False).order_by("pk")) == cadres[:2]
    assert User.objects.filter(cadre__in=cadres[:2], is_active=False).count() == 2
    assert AuditEntry.objects.filter(action="cadre.deactivate").count() == 2
    staff_client.post(url, {"action": "activate", "_selected_action": [cadres[0].pk]})
    cadres[0].refresh_from_db()
    assert cadres[0].is_active and cadres[0].user.is_active


def test_make_liaison_action(staff_client, unit):
    cadre = CadreFactory(unit=unit)
    url = reverse("admin:portal_cadre_changelist")
    staff_client.post(url, {"action": "make_liaison", "_selected_action": [cadre.pk]})
    cadre.refresh_from_db()
    assert cadre.is_liaison
    staff_client.post(url, {"action": "revoke_liaison", "_selected_action": [cadre.pk]})
    cadre.refresh_from_db()
    assert not cadre.is_liaison


def test_inactive_cadre_cannot_become_liaison(staff_client, unit):
    cadre = CadreFactory(unit=unit, is_active=False)
    response = staff_client.post(
        reverse("admin:portal_cadre_changelist"),
        {"action": "make_liaison", "_selected_action": [cadre.pk]},
        follow=True,
    )
    cadre.refresh_from_db()
    assert not cadre.is_liaison
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_unit_admin_lists_active_cadre_counts(staff_client):
    unit = UnitFactory(name="市统计局")
    CadreFactory.create_batch(3, unit=unit)
    CadreFactory(unit=unit, is_active=False)
    response = staff_client.get(reverse("admin:portal_unit_changelist"), {"q": "统计"})
    assert response.context["cl"].result_list[0].active_cadre_count == 3


def test_admin_speaks_chinese(staff_client):
    html = staff_client.get(reverse("admin:portal_cadre_changelist")).content.decode()
    assert "机关工委工作门户" in html
    assert "从 Excel 导入" in html


def _roster_upload(rows, name="roster.xlsx"):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "姓名", "性别", "单位", "手机号"])
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_import_template_downloads_as_xlsx(staff_client):
    from io import BytesIO

    from openpyxl import load_workbook

    response = staff_client.get(reverse("admin:portal_cadre_import_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    headers = [cell.value for cell in next(load_workbook(BytesIO(response.content)).active.iter_rows(max_row=1))]
    assert "工号" in headers and "姓名" in headers


def test_import_through_the_admin_creates_cadres(staff_client, django_capture_on_commit_callbacks):
    # The upload becomes an import job (tests/portal/test_import_jobs.py); in eager mode it has run on commit.
    unit = UnitFactory(name="市水务局")
    upload = _roster_upload([["W001", "甲", "男", "市水务局", "13800000001"], ["W002", "乙", "女", "市水务局", None]])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:portal_cadre_import"), {"file": upload})
    response = staff_client.get(response.url)
    job = response.context["job"]
    assert response.request["PATH_INFO"] == reverse("admin:portal_cadre_import_job", args=[job.pk])
    assert Cadre.objects.filter(unit=unit).count() == 2
    assert job.created_count == 2 and "2" in response.context["summary"]


def test_import_with_a_bad_row_lists_errors_and_saves_nothing(staff_client, django_capture_on_commit_callbacks):
    UnitFactory(name="市水务局")
    upload = _roster_upload([["W001", "甲", "男", "市水务局", "13800000001"], ["W002", "乙", "X", "不存在局", "123"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:portal_cadre_import"), {"file": upload})
    response = staff_client.get(response.url)
    assert response.status_code == 200
    assert response.context["job"].row_error_count >= 3
    html = response.content.decode()
    assert 'id="import-errors"' in html
    assert "不存在局" in html
    assert not Cadre.objects.exists()
    assert not User.objects.filter(username__in=["W001", "W002"]).exists()


def test_import_of_a_non_excel_file_is_refused(staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.xlsx", b"%PDF-1.4 not a workbook")
    response = staff_client.post(reverse("admin:portal_cadre_import"), {"file": upload})
    assert response.status_code == 200
    assert "xlsx" in response.context["error_summary"]
    assert not Cadre.objects.exists()


def test_import_without_a_file_is_a_form_error(staff_client):
    response = staff_client.post(reverse("admin:portal_cadre_import"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_import_is_for_committee_staff_only(client, leader, liaison):
    for user in (leader, liaison.user):
        client.force_login(user)
        upload = _roster_upload([["W009", "丙", "男", "任意", None]])
        response = client.post(reverse("admin:portal_cadre_import"), {"file": upload})
        assert response.status_code == 302
    assert not Cadre.objects.filter(employee_no="W009").exists()


def test_reset_password_action_issues_a_random_password_and_unlocks(staff_client, unit, client, settings):
    import io

    from django.test import Client
    from openpyxl import load_workbook

    cadre = CadreFactory(unit=unit)
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("login"), {"username": cadre.employee_no, "password": "wrong"})
    assert browser.post(reverse("login"), {"username": cadre.employee_no, "password": "wrong"}).status_code == 429
    response = staff_client.post(
        reverse("admin:portal_cadre_changelist"), {"action": "reset_password", "_selected_action": [cadre.pk]}
    )
    # The new password is handed out once, in the printable workbook.
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in rows] == [cadre.employee_no]
    password = rows[0][3]
    cadre.refresh_from_db()
    assert cadre.must_change_password
    assert cadre.user.check_password(password)
    response = browser.post(reverse("login"), {"username": cadre.employee_no, "password": password})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="cadre.password_reset", object_id=str(cadre.pk)).exists()

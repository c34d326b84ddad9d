"""Per-account initial passwords instead of one shared secret: issued by the unit's liaison (site) or staff (admin),
printed from a workbook, cheap to hash, and replaced by the person's own password at first login."""

import io

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from portal import credentials, services
from portal.credentials import PASSWORD_ALPHABET, PASSWORD_LENGTH, credentials_issue
from portal.errors import PortalError
from portal.hashers import InitialPasswordHasher, initial_password_hasher
from portal.models import AuditEntry, Cadre
from tests.factories import TEST_PASSWORD, CadreFactory, LiaisonFactory, UnitFactory

pytestmark = pytest.mark.django_db


def newcomer(unit, **kwargs):
    """A cadre as the roster import creates them: no usable password, must choose one at first login."""
    cadre = CadreFactory(unit=unit, must_change_password=True, **kwargs)
    cadre.user.password = services.initial_password_hash()
    cadre.user.save()
    return cadre


def rows(workbook_bytes, sheet=None):
    book = load_workbook(io.BytesIO(workbook_bytes))
    worksheet = book[sheet] if sheet else book.active
    return [row for row in worksheet.iter_rows(min_row=4, values_only=True)]


# New accounts -------------------------------------------------------------------------------------------------


def test_new_accounts_have_no_usable_password(unit, staff_user):
    assert not check_password("Portal@2026", services.initial_password_hash())
    cadre = services.cadre_save(actor=staff_user, cadre=Cadre(employee_no="N1", name="新人", gender="F", unit=unit))
    assert cadre.must_change_password
    assert not cadre.user.has_usable_password()
    assert Client().post(reverse("login"), {"username": "N1", "password": ""}).status_code == 200


# Issuing ------------------------------------------------------------------------------------------------------


def test_issue_gives_each_waiting_cadre_its_own_password(unit, liaison, other_unit):
    waiting = [newcomer(unit) for _ in range(3)]
    settled = CadreFactory(unit=unit, must_change_password=False)  # chose their own password already
    gone = newcomer(unit, is_active=False)
    elsewhere = newcomer(other_unit)
    before = {c.pk: c.user.password for c in (settled, gone, elsewhere)}

    issued = credentials_issue(actor=liaison.user, unit=unit)

    assert [item.employee_no for item in issued] == sorted(c.employee_no for c in waiting)
    passwords = [item.password for item in issued]
    assert len(set(passwords)) == 3
    for item in issued:
        assert len(item.password) == PASSWORD_LENGTH and set(item.password) <= set(PASSWORD_ALPHABET)
        cadre = Cadre.objects.select_related("user").get(employee_no=item.employee_no)
        assert cadre.user.check_password(item.password)
        assert cadre.must_change_password
    after = dict(Cadre.objects.filter(pk__in=before).values_list("pk", "user__password"))
    assert after == before  # a colleague's own password is never replaced; inactive and other units untouched
    settled.user.refresh_from_db()
    assert settled.user.check_password(TEST_PASSWORD)

    entry = AuditEntry.objects.get(action="unit.credentials_issue")
    assert entry.actor == liaison.user and entry.object_id == str(unit.pk)
    assert entry.changes["employee_nos"] == [item.employee_no for item in issued]
    assert not any(password in str(entry.changes) for password in passwords)  # never the passwords


def test_issuing_again_voids_the_earlier_printout(unit, liaison):
    cadre = newcomer(unit)
    first = credentials_issue(actor=liaison.user, unit=unit)[0].password
    second = credentials_issue(actor=liaison.user, unit=unit)[0].password
    cadre.user.refresh_from_db()
    assert not cadre.user.check_password(first)
    assert cadre.user.check_password(second)


def test_nothing_to_issue_is_a_clear_refusal(unit, liaison):
    with pytest.raises(PortalError):
        credentials_issue(actor=liaison.user, unit=unit)
    assert not AuditEntry.objects.filter(action="unit.credentials_issue").exists()


def test_initial_passwords_use_the_cheap_hasher_when_configured(unit, liaison, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "portal.hashers.InitialPasswordHasher",
    ]
    cadre = newcomer(unit)
    issued = credentials_issue(actor=liaison.user, unit=unit)[0]
    cadre.user.refresh_from_db()
    assert cadre.user.password.startswith(f"{InitialPasswordHasher.algorithm}${InitialPasswordHasher.iterations}$")
    assert isinstance(identify_hasher(cadre.user.password), InitialPasswordHasher)
    assert cadre.user.check_password(issued.password)


def test_without_the_cheap_hasher_the_default_one_is_used(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert initial_password_hasher().algorithm == "md5"


def test_production_settings_keep_django_default_hasher_first():
    from django.conf import global_settings

    from portal import settings as portal_settings

    assert portal_settings.PASSWORD_HASHERS[0] == global_settings.PASSWORD_HASHERS[0]
    assert "portal.hashers.InitialPasswordHasher" in portal_settings.PASSWORD_HASHERS
    assert not hasattr(portal_settings, "PORTAL_INITIAL_PASSWORD")


# The liaison's page -------------------------------------------------------------------------------------------


def test_liaison_confirms_then_downloads_a_printable_workbook(client, unit, liaison):
    cadres = [newcomer(unit, name=name) for name in ("张三", '=HYPERLINK("http://x")')]
    client.force_login(liaison.user)
    url = reverse("portal:unit_credentials", kwargs={"pk": unit.pk})
    page = client.get(reverse("portal:unit_detail", kwargs={"pk": unit.pk})).content.decode()
    assert url in page
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert confirm.context["pending"] == 2
    assert not AuditEntry.objects.filter(action="unit.credentials_issue").exists()  # GET changes nothing

    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == credentials.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.print_title_rows.replace("$", "") == "1:3"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    body = rows(response.content)
    assert [row[:3] for row in body] == [(unit.name, c.employee_no, c.name) for c in cadres]
    # A name that looks like a formula stays text.
    formula_cell = sheet.cell(row=5, column=3)
    assert formula_cell.data_type == "s" and formula_cell.value.startswith("=")
    for (_unit, _employee_no, _name, password), cadre in zip(body, cadres, strict=True):
        cadre.user.refresh_from_db()
        assert cadre.user.check_password(password)


def test_nothing_waiting_on_the_liaison_page(client, unit, liaison):
    client.force_login(liaison.user)
    url = reverse("portal:unit_credentials", kwargs={"pk": unit.pk})
    assert client.get(url).context["pending"] == 0
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url


@pytest.mark.parametrize("who", ["anonymous", "cadre", "other_liaison", "staff", "leader"])
def test_only_the_units_liaison_may_issue(client, unit, cadre, other_liaison, staff_user, leader, who):
    waiting = newcomer(unit)
    before = waiting.user.password
    user = {"cadre": cadre.user, "other_liaison": other_liaison.user, "staff": staff_user, "leader": leader}.get(who)
    if user is not None:
        client.force_login(user)
    url = reverse("portal:unit_credentials", kwargs={"pk": unit.pk})
    expected = 302 if who == "anonymous" else 404
    assert client.get(url).status_code == expected
    assert client.post(url).status_code == expected
    waiting.user.refresh_from_db()
    assert waiting.user.password == before


# The admin --------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_issues_for_several_units_one_sheet_each(staff_client, unit, other_unit):
    quiet = UnitFactory()  # nobody waiting: no sheet
    mine = [newcomer(unit) for _ in range(2)]
    theirs = newcomer(other_unit)
    response = staff_client.post(
        reverse("admin:portal_unit_changelist"),
        {"action": "issue_initial_passwords", "_selected_action": [unit.pk, other_unit.pk, quiet.pk]},
    )
    assert response["Content-Type"] == credentials.XLSX_CONTENT_TYPE
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [unit.name, other_unit.name]
    assert [row[1] for row in rows(response.content, unit.name)] == [c.employee_no for c in mine]
    (row,) = rows(response.content, other_unit.name)
    theirs.user.refresh_from_db()
    assert theirs.user.check_password(row[3])
    assert AuditEntry.objects.filter(action="unit.credentials_issue").count() == 2


def test_admin_issue_with_nobody_waiting_says_so(staff_client, unit):
    response = staff_client.post(
        reverse("admin:portal_unit_changelist"),
        {"action": "issue_initial_passwords", "_selected_action": [unit.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(response.context["messages"])


def test_admin_issue_is_all_or_nothing(unit, other_unit, staff_user, monkeypatch):
    first, second = newcomer(unit), newcomer(other_unit)
    monkeypatch.setattr(credentials, "MAX_PER_REQUEST", 1)
    with pytest.raises(PortalError):
        credentials.credentials_issue_units(actor=staff_user, units=[unit, other_unit])
    for cadre in (first, second):
        assert not Cadre.objects.get(pk=cadre.pk).user.has_usable_password()


def test_reset_skips_inactive_cadres_and_refuses_when_none_is_active(unit, staff_user):
    active = CadreFactory(unit=unit)
    inactive = CadreFactory(unit=unit, is_active=False)
    issued = credentials.credentials_reset(actor=staff_user, cadres=[active, inactive])
    assert [item.employee_no for item in issued] == [active.employee_no]
    with pytest.raises(PortalError):
        credentials.credentials_reset(actor=staff_user, cadres=[inactive])


# First login ------------------------------------------------------------------------------------------------


def test_first_login_with_the_issued_password_then_a_new_one_that_differs(client, unit, liaison):
    cadre = newcomer(unit)
    initial = credentials_issue(actor=liaison.user, unit=unit)[0].password
    client.cookies["django_language"] = "en"
    assert client.post(reverse("login"), {"username": cadre.employee_no, "password": initial}).status_code == 302
    assert client.get(reverse("portal:my_page"))["Location"].startswith(reverse("password_change"))

    same = client.post(
        reverse("password_change"), {"old_password": initial, "new_password1": initial, "new_password2": initial}
    )
    assert same.status_code == 200
    assert "must differ from your current one" in str(same.context["form"].errors["new_password1"])
    weak = client.post(
        reverse("password_change"), {"old_password": initial, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors  # Django's validators still apply
    cadre.refresh_from_db()
    assert cadre.must_change_password

    chosen = "Qiming-2026-xyz"
    response = client.post(
        reverse("password_change"), {"old_password": initial, "new_password1": chosen, "new_password2": chosen}
    )
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert not cadre.must_change_password
    assert cadre.user.check_password(chosen)
    assert client.get(reverse("portal:my_page")).status_code == 200  # still logged in
    # Once chosen, the liaison can no longer replace it.
    with pytest.raises(PortalError):
        credentials_issue(actor=liaison.user, unit=unit)


def test_the_cadres_filter_cannot_reach_outside_the_unit(unit, other_unit):
    other = LiaisonFactory(unit=other_unit)
    mine = newcomer(unit)
    before = mine.user.password
    with pytest.raises(PortalError):
        credentials_issue(actor=other.user, unit=other_unit, cadres=[mine])
    mine.user.refresh_from_db()
    assert mine.user.password == before


def test_confirmation_page_queries_do_not_grow_with_the_unit(client, unit, liaison):
    # The page counts the waiting cadres; it never lists them.
    url = reverse("portal:unit_credentials", args=[unit.pk])
    client.force_login(liaison.user)
    counts = []
    for size in (2, 60):
        while Cadre.objects.filter(unit=unit, must_change_password=True).count() < size:
            newcomer(unit)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

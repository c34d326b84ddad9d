"""Hostile names, phones and employee numbers: invisible and direction-override characters removed from names,
phones in other scripts' digits normalised, employee numbers differing only in letter case refused."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from portal import services
from portal.errors import PortalError
from portal.imports import RosterImportError, roster_import
from portal.models import Cadre, Unit
from portal.phones import normalize_phone
from portal.text import clean_display_text, has_hidden_characters
from tests.factories import CadreFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

ZWSP, RLO, LRI, PDI, BOM, SHY, ZWJ = "\u200b", "\u202e", "\u2066", "\u2069", "\ufeff", "\u00ad", "\u200d"


# The normaliser ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"张{ZWSP}三", "张三"),
        (f"{BOM}市财政局", "市财政局"),
        (f"{RLO}gnp.exe{PDI}", "gnp.exe"),
        (f"李{LRI}四{PDI}{ZWJ}{SHY}", "李四"),
        ("\u200e王\u200f五\u2060\u2061", "王五"),
        ("Zhang\u3000\u2028San\t\n", "Zhang San"),
        ("\x00赵\x1b六\x7f", "赵六"),
        ("\ue000𠀀", "\ue000𠀀"),  # private use and CJK extension characters (rare names) stay
        (None, ""),
    ],
)
def test_clean_display_text(raw, clean):
    assert clean_display_text(raw) == clean
    assert not has_hidden_characters(clean)


def test_every_format_character_is_removed():
    import sys
    import unicodedata

    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_chars) > 100
    assert clean_display_text("a" + "".join(format_chars) + "b") == "ab"


# Cadres and units through the model, the service and the admin ---------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_cadre_names_are_cleaned_by_the_service(unit, staff_user):
    cadre = services.cadre_save(
        actor=staff_user,
        cadre=Cadre(employee_no="H1", name=f"{RLO}张{ZWSP}三", gender="M", unit=unit, position=f"科员{BOM}"),
    )
    cadre.refresh_from_db()
    assert (cadre.name, cadre.position) == ("张三", "科员")


def test_a_name_of_invisible_characters_only_is_refused(unit, staff_user):
    with pytest.raises(ValidationError) as caught:
        services.cadre_save(actor=staff_user, cadre=Cadre(employee_no="H2", name=ZWSP * 3, gender="M", unit=unit))
    assert "name" in caught.value.message_dict


def test_admin_cadre_form_cleans_names_and_normalises_phones(staff_client, unit):
    response = staff_client.post(
        reverse("admin:portal_cadre_add"),
        {
            "employee_no": "H3",
            "name": f"李{ZWSP}四{RLO}",
            "gender": "F",
            "unit": unit.pk,
            "political_status": "cpc",
            "phone": "١٣٨ ١٢٣٤ ٥٦٧٨",  # Arabic-Indic digits
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    cadre = Cadre.objects.get(employee_no="H3")
    assert (cadre.name, cadre.phone) == ("李四", "13812345678")


def test_a_look_alike_unit_name_is_a_duplicate(staff_client):
    UnitFactory(name="市财政局", code="CZJ")
    response = staff_client.post(
        reverse("admin:portal_unit_add"),
        {"name": f"市财政局{ZWSP}", "short_name": "", "code": "CZJ2", "kind": "government", "sort_order": 1},
    )
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Unit.objects.count() == 1


def test_unit_names_are_cleaned(staff_client):
    response = staff_client.post(
        reverse("admin:portal_unit_add"),
        {"name": f"{RLO}市教育局", "short_name": f"教育{ZWSP}局", "code": "JYJ", "kind": "government", "sort_order": 1},
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="JYJ")
    assert (unit.name, unit.short_name) == ("市教育局", "教育局")


# Phones --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("１３８１２３４５６７８", "13812345678"),  # full-width
        ("١٣٨١٢٣٤٥٦٧٨", "13812345678"),  # Arabic-Indic
        ("۱۳۸۱۲۳۴۵۶۷۸", "13812345678"),  # extended Arabic-Indic (Persian)
        ("१३८१२३४५६७८", "13812345678"),  # Devanagari
        (f"138{ZWSP}1234{RLO}5678", "13812345678"),
        ("＋８６ １３８-１２３４-５６７８", "13812345678"),
        ("（０４２７）２８１２３４５", "0427-2812345"),
        ("13812345678\n", "13812345678"),
    ],
)
def test_phones_in_any_digits_are_stored_in_ascii(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["1381234567x", "138-1234-567８９", "phone", "²³⁴"])
def test_not_a_phone(raw):
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "13٨00000000"), ("phone", "13800000000\n"), ("employee_no", "A001\n"), ("employee_no", "Ａ001")],
)
def test_the_model_refuses_non_ascii_digits_and_trailing_newlines(unit, field, value):
    cadre = CadreFactory.build(unit=unit, user=UserFactory(), **{field: value})
    with pytest.raises(ValidationError) as caught:
        cadre.full_clean()
    assert field in caught.value.message_dict


# Employee numbers differing only in letter case --------------------------------------------------------------------


def test_service_refuses_an_employee_number_differing_only_in_case(unit, staff_user):
    CadreFactory(unit=unit, employee_no="A001")
    with translation.override("en"), pytest.raises(PortalError, match="differs only in letter case"):
        services.cadre_save(actor=staff_user, cadre=Cadre(employee_no="a001", name="甲", gender="M", unit=unit))
    # Against a staff account's login name too (no cadre, so no database constraint would catch it).
    with translation.override("en"), pytest.raises(PortalError, match="differs only in letter case"):
        services.cadre_save(
            actor=staff_user, cadre=Cadre(employee_no=staff_user.username.upper(), name="乙", gender="M", unit=unit)
        )
    assert Cadre.objects.count() == 1


def test_renaming_to_another_case_of_ones_own_number_is_allowed(unit, staff_user):
    cadre = CadreFactory(unit=unit, employee_no="B001")
    cadre.employee_no = "b001"
    services.cadre_save(actor=staff_user, cadre=cadre)
    cadre.user.refresh_from_db()
    assert cadre.user.username == "b001"


def test_admin_form_refuses_an_employee_number_differing_only_in_case(staff_client, unit):
    CadreFactory(unit=unit, employee_no="C001")
    staff_client.cookies["django_language"] = "en"
    response = staff_client.post(
        reverse("admin:portal_cadre_add"),
        {"employee_no": "c001", "name": "丙", "gender": "M", "unit": unit.pk, "political_status": "cpc"},
    )
    assert response.status_code == 200
    assert "differs only in letter case" in str(response.context["adminform"].form.errors["employee_no"])


def _roster(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "姓名", "性别", "单位", "职务", "手机号"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def test_import_refuses_employee_numbers_differing_only_in_case(unit, staff_user):
    CadreFactory(unit=unit, employee_no="D001")
    upload = _roster(
        [
            ["d001", "甲", "男", unit.name, "", ""],  # an existing cadre in another case
            [staff_user.username.upper(), "乙", "男", unit.name, "", ""],  # a staff login in another case
            ["E001", "丙", "男", unit.name, "", ""],
            ["e001", "丁", "男", unit.name, "", ""],  # the row above in another case
            ["D001", "戊", "男", unit.name, "", ""],  # the existing cadre itself: an update
        ]
    )
    with translation.override("en"), pytest.raises(RosterImportError) as caught:
        roster_import(actor=staff_user, uploaded_file=upload, create_missing_units=False)
    errors = {error.row: error.message for error in caught.value.errors}
    assert sorted(errors) == [2, 3, 5]
    assert all("differs only in letter case" in message for message in errors.values())
    assert Cadre.objects.count() == 1


def test_import_cleans_names_and_phones(unit, staff_user):
    upload = _roster(
        [
            ["F001", f"张{ZWSP}三{RLO}", "男", f"{BOM}{unit.name}", f"科员{LRI}", "١٣٨١٢٣٤٥٦٧٨"],
            ["F002", "李四", "女", unit.name, "", "１３９ １２３４ ５６７８"],
        ]
    )
    roster_import(actor=staff_user, uploaded_file=upload, create_missing_units=False)
    zhang, li = Cadre.objects.filter(employee_no__in=["F001", "F002"]).order_by("employee_no")
    assert (zhang.name, zhang.position, zhang.phone, zhang.unit) == ("张三", "科员", "13812345678", unit)
    assert li.phone == "13912345678"


def test_import_refuses_a_name_of_invisible_characters(unit, staff_user):
    upload = _roster([["G001", ZWSP + RLO, "男", unit.name, "", ""]])
    with pytest.raises(RosterImportError) as caught:
        roster_import(actor=staff_user, uploaded_file=upload, create_missing_units=False)
    assert [error.row for error in caught.value.errors] == [2]

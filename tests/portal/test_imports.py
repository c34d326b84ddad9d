"""The roster import: formats real sheets contain, all-or-nothing validation, re-import, limits, the template."""

import datetime as dt
import io
import math
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from portal.imports import ROSTER_COLUMNS, ImportSummary, RosterImportError, roster_import, roster_template_bytes
from portal.models import AuditEntry, Cadre, CadreTenure, Unit
from tests.factories import CadreFactory, UnitFactory, UserFactory

User = get_user_model()

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "姓名", "性别", "出生日期", "单位", "职务", "政治面貌", "手机号", "特长", "车牌号"]
EN_HEADERS = [
    "Employee number",
    "Name",
    "Gender",
    "Birth date",
    "Unit",
    "Position",
    "Political status",
    "Phone",
    "Talents",
    "Car plate",
]


def xlsx(rows, headers=HEADERS, name="roster.xlsx", before=()):
    """An uploaded .xlsx with `headers` in the first row (after any `before` rows) and `rows` below."""
    workbook = Workbook()
    sheet = workbook.active
    for row in before:
        sheet.append(list(row))
    if headers is not None:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def row(no="1001", name="张三", gender="男", birth="1985-03-07", unit="市财政局", **extra):
    """One roster row in HEADERS order; keyword arguments set the optional columns."""
    return [
        no,
        name,
        gender,
        birth,
        unit,
        extra.get("position", ""),
        extra.get("political", ""),
        extra.get("phone", ""),
        extra.get("talents", ""),
        extra.get("plate", ""),
    ]


def col(key):
    """A column's header in the active language, as error messages name it."""
    return next(str(column.label) for column in ROSTER_COLUMNS if column.key == key)


def counts():
    return Unit.objects.count(), Cadre.objects.count(), User.objects.count()


def import_file(upload, actor=None, create_missing_units=False):
    return roster_import(actor=actor, uploaded_file=upload, create_missing_units=create_missing_units)


def import_error(upload, create_missing_units=False) -> RosterImportError:
    """Import a file that must fail; check that nothing was saved and return the error."""
    before = counts()
    with pytest.raises(RosterImportError) as caught:
        import_file(upload, create_missing_units=create_missing_units)
    assert counts() == before
    assert str(caught.value)
    assert caught.value.errors
    for error in caught.value.errors:
        assert isinstance(error.message, str) and error.message
    return caught.value


@pytest.fixture
def finance(db):
    return UnitFactory(name="市财政局", short_name="财政局", code="CZJ")


@pytest.fixture
def education(db):
    return UnitFactory(name="市教育局", short_name="教育局", code="JYJ")


# A good file ----------------------------------------------------------------------------------------


def test_good_file_creates_cadres_with_every_field(finance, education, staff_user, settings):
    upload = xlsx(
        [
            row(
                " 1001 ",
                " 张三 ",
                "男",
                "1985-03-07",
                " 市财政局 ",
                position="科员",
                political="中共党员",
                phone="138 1234 5678",
                talents="书法、摄影",
                plate="辽A·12345",
            ),
            row(1002, "李四", "F", dt.date(1990, 12, 1), "教育局", political="共青团员", phone=13912345678),
            row(1003.0, "王五", "female", 31113, "JYJ", political="cpc_probationary", phone="0427-2812345"),
            row("E-1004", "Zhao Liu", "Male", "", "市财政局", political="Non-partisan", talents="first aid, Video"),
        ]
    )

    summary = import_file(upload, actor=staff_user)

    assert summary == ImportSummary(created=4, updated=0, unchanged=0, units_created=[])
    assert summary.total == 4
    zhang = Cadre.objects.get(employee_no="1001")
    assert zhang.name == "张三"
    assert zhang.gender == Cadre.Gender.MALE
    assert zhang.birth_date == dt.date(1985, 3, 7)
    assert zhang.unit == finance
    assert zhang.position == "科员"
    assert zhang.political_status == Cadre.PoliticalStatus.CPC_MEMBER
    assert zhang.phone == "13812345678"
    assert zhang.talents == [Cadre.Talent.CALLIGRAPHY, Cadre.Talent.PHOTOGRAPHY]
    assert zhang.car_plate == "辽A12345"
    assert zhang.is_active
    li = Cadre.objects.get(employee_no="1002")
    assert (li.gender, li.birth_date, li.unit, li.political_status, li.phone) == (
        Cadre.Gender.FEMALE,
        dt.date(1990, 12, 1),
        education,
        Cadre.PoliticalStatus.CYL_MEMBER,
        "13912345678",
    )
    wang = Cadre.objects.get(employee_no="1003")
    assert wang.birth_date == dt.date(1985, 3, 7)  # Excel serial number 31113
    assert wang.unit == education  # matched by code
    assert wang.political_status == Cadre.PoliticalStatus.CPC_PROBATIONARY
    assert wang.phone == "0427-2812345"
    zhao = Cadre.objects.get(employee_no="E-1004")
    assert zhao.birth_date is None
    assert zhao.political_status == Cadre.PoliticalStatus.NON_PARTISAN
    assert zhao.talents == [Cadre.Talent.VIDEO, Cadre.Talent.FIRST_AID]
    assert zhao.phone == ""

    for cadre in Cadre.objects.select_related("user"):
        assert cadre.must_change_password
        assert cadre.user.username == cadre.employee_no
        assert cadre.user.is_active
        # No shared initial password: nobody logs in until a liaison or staff issue the account its own.
        assert not cadre.user.has_usable_password()

    entry = AuditEntry.objects.get(action="roster.import")
    assert entry.actor == staff_user
    assert entry.object_type == "portal.cadre"
    assert entry.changes == {"created": 4, "updated": 0, "unchanged": 0, "units_created": [], "file": "roster.xlsx"}


def test_political_status_defaults_to_the_masses(finance):
    import_file(xlsx([row()]))
    assert Cadre.objects.get().political_status == Cadre.PoliticalStatus.MASSES


@pytest.mark.parametrize(
    "cell, expected",
    [
        (dt.date(1985, 3, 7), dt.date(1985, 3, 7)),
        (dt.datetime(1985, 3, 7, 0, 0), dt.date(1985, 3, 7)),
        (31113, dt.date(1985, 3, 7)),
        (31113.0, dt.date(1985, 3, 7)),
        ("1985-03-07", dt.date(1985, 3, 7)),
        ("1985/3/7", dt.date(1985, 3, 7)),
        ("1985.3.7", dt.date(1985, 3, 7)),
        ("19850307", dt.date(1985, 3, 7)),
        (19850307, dt.date(1985, 3, 7)),
        ("1985年3月7日", dt.date(1985, 3, 7)),
        ("1985-3-7 00:00:00", dt.date(1985, 3, 7)),
        (" 1985-03-07 ", dt.date(1985, 3, 7)),
        ("1985.03", dt.date(1985, 3, 1)),
        ("1985年3月", dt.date(1985, 3, 1)),
    ],
)
def test_birth_date_formats(finance, cell, expected):
    import_file(xlsx([row(birth=cell)]))
    assert Cadre.objects.get().birth_date == expected


@pytest.mark.parametrize(
    "cell, expected",
    [
        (13812345678, "13812345678"),
        (1.3812345678e10, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("0427-2812345", "0427-2812345"),
        ("", ""),
    ],
)
def test_phone_formats(finance, cell, expected):
    import_file(xlsx([row(phone=cell)]))
    assert Cadre.objects.get().phone == expected


@pytest.mark.parametrize("cell", ["1001", 1001, 1001.0, " 1001 "])
def test_employee_number_formats(finance, cell):
    import_file(xlsx([row(no=cell)]))
    assert Cadre.objects.get().employee_no == "1001"
    assert User.objects.filter(username="1001").exists()


def test_padded_chinese_names_lose_their_alignment_spaces(finance):
    import_file(xlsx([row(no="1", name="张  三"), row(no="2", name="Anna  Maria")]))
    assert Cadre.objects.get(employee_no="1").name == "张三"
    assert Cadre.objects.get(employee_no="2").name == "Anna Maria"


def test_english_headers_any_order_extra_columns_and_a_title_row(finance):
    headers = ["No.", "Unit", "Name", "Employee number", "Gender", "Remarks", "PHONE ", "political status"]
    upload = xlsx(
        [[1, "市财政局", "张三", "1001", "M", "note", "13812345678", "CPC member"]],
        headers=headers,
        before=[["2026年市直机关干部名册"]],
    )
    assert import_file(upload).created == 1
    cadre = Cadre.objects.get()
    assert (cadre.employee_no, cadre.name, cadre.phone, cadre.political_status) == (
        "1001",
        "张三",
        "13812345678",
        Cadre.PoliticalStatus.CPC_MEMBER,
    )


def test_english_headers_in_the_chinese_interface(finance):
    with translation.override("zh-hans"):
        assert import_file(xlsx([row(phone="13812345678")], headers=EN_HEADERS)).created == 1
    assert Cadre.objects.get().phone == "13812345678"


def test_header_aliases(finance):
    headers = ["员工编号", "姓名", "性别", "工作单位", "联系电话"]
    import_file(xlsx([["1001", "张三", "男", "市财政局", "13812345678"]], headers=headers))
    assert Cadre.objects.get().phone == "13812345678"


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(finance):
    upload = xlsx([row(no="1"), [None] * 10, ["", "  ", None], row(no="2", gender="?")])
    error = import_error(upload)
    assert [(e.row, e.column) for e in error.errors] == [(5, col("gender"))]


def test_rows_with_only_a_serial_number_are_blank(finance):
    upload = xlsx([[1, *row(no="1")], [2], [3]], headers=["序号", *HEADERS])
    assert import_file(upload).created == 1


def test_plain_binary_file_objects_are_accepted(finance):
    upload = xlsx([row()])
    assert import_file(io.BytesIO(upload.read())).created == 1
    assert AuditEntry.objects.get(action="roster.import").changes["file"] == ""


# Re-import ------------------------------------------------------------------------------------------


def test_reimport_updates_by_employee_number(finance, education):
    rows = [row(no="1001", name="张三"), row(no="1002", name="李四"), row(no="1003", name="王五")]
    import_file(xlsx(rows))
    first_ids = dict(Cadre.objects.values_list("employee_no", "pk"))

    rows[0] = row(no="1001", name="张三丰", unit="市教育局")
    summary = import_file(xlsx(rows))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    assert Cadre.objects.count() == 3
    assert User.objects.count() == 3
    assert dict(Cadre.objects.values_list("employee_no", "pk")) == first_ids
    zhang = Cadre.objects.select_related("user").get(employee_no="1001")
    assert (zhang.name, zhang.unit) == ("张三丰", education)
    assert zhang.user.username == "1001"

    assert import_file(xlsx(rows)) == ImportSummary(created=0, updated=0, unchanged=3, units_created=[])


def test_reimport_with_empty_optional_cells_keeps_stored_values(finance):
    import_file(xlsx([row(phone="13812345678", political="中共党员", talents="书法")]))
    summary = import_file(xlsx([row()]))
    cadre = Cadre.objects.get()
    assert summary.unchanged == 1
    assert (cadre.phone, cadre.political_status, cadre.talents) == ("13812345678", "cpc", ["calligraphy"])


def test_reimport_of_existing_cadre_keeps_its_account_and_password_state(finance):
    cadre = CadreFactory(employee_no="1001", unit=finance, must_change_password=False)
    password = cadre.user.password
    summary = import_file(xlsx([row(no="1001", name="新名字")]))
    cadre.refresh_from_db()
    cadre.user.refresh_from_db()
    assert summary.updated == 1
    assert cadre.name == "新名字"
    assert not cadre.must_change_password
    assert cadre.user.password == password


def test_update_leaves_the_fields_the_import_does_not_own(finance, education):
    cadre = CadreFactory(employee_no="1001", unit=finance, is_liaison=True, is_active=False)
    Cadre.objects.filter(pk=cadre.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))
    cadre.refresh_from_db()
    summary = import_file(xlsx([row(no="1001", name=cadre.name, unit="市教育局", phone=cadre.phone)]))
    updated = Cadre.objects.get(pk=cadre.pk)
    assert summary.updated == 1
    assert updated.unit == education
    assert (updated.is_liaison, updated.is_active, updated.must_change_password) == (True, False, False)
    assert (updated.user_id, updated.created_at, updated.position) == (cadre.user_id, cadre.created_at, "科员")
    assert updated.updated_at > cadre.updated_at


def test_update_without_upsert_support(finance, education, monkeypatch):
    import_file(xlsx([row(no="1001"), row(no="1002")]))
    monkeypatch.setattr(connection.features, "supports_update_conflicts_with_target", False)
    summary = import_file(xlsx([row(no="1001", unit="市教育局", political="群众"), row(no="1002")]))
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert Cadre.objects.get(employee_no="1001").unit == education
    assert Cadre.objects.get(employee_no="1002").unit == finance


def test_mixed_new_and_existing_rows(finance):
    CadreFactory(employee_no="1001", unit=finance, name="张三", gender="M")
    summary = import_file(xlsx([row(no="1001", birth=""), row(no="1002")]))
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 1)


# Units ----------------------------------------------------------------------------------------------


def test_missing_unit_is_an_error_without_create_missing_units(finance):
    error = import_error(xlsx([row(no="1"), row(no="2", unit="市不存在局")]))
    assert [(e.row, e.column) for e in error.errors] == [(3, col("unit"))]
    assert "市不存在局" in error.errors[0].message


def test_missing_units_are_created_on_request(finance):
    UnitFactory(name="Existing", code="AUTO-0001")
    rows = [row(no="1", unit="市新设局"), row(no="2", unit=" 市新设局 "), row(no="3", unit="市另一局")]
    summary = import_file(xlsx(rows), create_missing_units=True)
    assert summary.units_created == ["市新设局", "市另一局"]
    new = Unit.objects.get(name="市新设局")
    assert new.kind == Unit.Kind.OTHER
    assert new.code == "AUTO-0002"
    assert Unit.objects.get(name="市另一局").code == "AUTO-0003"
    assert set(Cadre.objects.filter(employee_no__in=["1", "2"]).values_list("unit", flat=True)) == {new.pk}
    assert AuditEntry.objects.get(action="roster.import").changes["units_created"] == ["市新设局", "市另一局"]


def test_no_unit_is_created_when_any_row_is_bad(finance):
    rows = [row(no="1", unit="市新设局"), row(no="2", gender="unknown")]
    error = import_error(xlsx(rows), create_missing_units=True)
    assert [(e.row, e.column) for e in error.errors] == [(3, col("gender"))]
    assert not Unit.objects.filter(name="市新设局").exists()


def test_ambiguous_short_name_is_an_error(db):
    UnitFactory(name="市财政局", short_name="财政", code="A1")
    UnitFactory(name="区财政局", short_name="财政", code="A2")
    error = import_error(xlsx([row(unit="财政")]), create_missing_units=True)
    assert error.errors[0].column == col("unit")


# Bad rows -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"no": "10 01"}, "employee_no"),
        ({"no": "x" * 33}, "employee_no"),
        ({"no": ""}, "employee_no"),
        ({"name": ""}, "name"),
        ({"name": "张" * 51}, "name"),
        ({"gender": "X"}, "gender"),
        ({"gender": ""}, "gender"),
        ({"birth": "1985-02-30"}, "birth_date"),
        ({"birth": "1929-12-31"}, "birth_date"),
        ({"birth": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "birth_date"),
        ({"birth": "yesterday"}, "birth_date"),
        ({"birth": 1985.03}, "birth_date"),
        ({"birth": True}, "birth_date"),
        ({"unit": ""}, "unit"),
        ({"position": "长" * 61}, "position"),
        ({"political": "党外人士"}, "political_status"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "138123456789"}, "phone"),
        ({"talents": "书法、跳舞"}, "talents"),
        ({"plate": "辽A123456789012"}, "car_plate"),
    ],
)
def test_bad_cell_is_reported_with_row_and_column_and_nothing_is_saved(finance, changes, column):
    error = import_error(xlsx([row(no="1"), row(no="2"), row(**{"no": "3", **changes})]))
    assert [(e.row, e.column) for e in error.errors] == [(4, col(column))]
    assert str(error.errors[0]) in str(error)


def test_every_error_of_every_row_is_collected(finance):
    rows = [row(no="1", gender="X", phone="1"), row(no="2"), row(no="3", birth="1985-13-01")]
    error = import_error(xlsx(rows))
    assert [(e.row, e.column) for e in error.errors] == [(2, col("gender")), (2, col("phone")), (4, col("birth_date"))]
    assert "3" in str(error)


def test_duplicate_employee_numbers_name_the_first_row(finance):
    error = import_error(xlsx([row(no="1001"), row(no="1002"), row(no=1001.0)]))
    assert [(e.row, e.column) for e in error.errors] == [(4, col("employee_no"))]
    assert "2" in error.errors[0].message


def test_employee_number_of_a_staff_account_is_refused(finance):
    UserFactory(username="admin1", is_staff=True)
    error = import_error(xlsx([row(no="1001"), row(no="admin1")]))
    assert [(e.row, e.column) for e in error.errors] == [(3, col("employee_no"))]
    assert not Cadre.objects.exists()


# Bad files ------------------------------------------------------------------------------------------


def test_text_file_renamed_xlsx():
    error = import_error(SimpleUploadedFile("roster.xlsx", "工号,姓名\n1001,张三\n".encode()))
    assert error.errors[0].row == 0


def test_pdf_renamed_xlsx():
    import_error(SimpleUploadedFile("roster.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))


def test_old_xls_file():
    error = import_error(SimpleUploadedFile("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))
    assert ".xls" in str(error)


def test_corrupt_zip(finance):
    data = xlsx([row()]).read()
    import_error(SimpleUploadedFile("roster.xlsx", data[: len(data) // 2]))


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    import_error(SimpleUploadedFile("roster.xlsx", buffer.getvalue()))


def test_empty_upload():
    import_error(SimpleUploadedFile("roster.xlsx", b""))


def test_file_over_the_size_limit_is_refused_before_parsing(finance, settings):
    upload = xlsx([row()])
    settings.ROSTER_IMPORT_MAX_BYTES = upload.size - 1
    error = import_error(upload)
    assert error.errors[0].row == 0


def test_file_over_the_size_limit_without_a_size_attribute(finance, settings):
    data = xlsx([row()]).read()
    settings.ROSTER_IMPORT_MAX_BYTES = len(data) - 1
    import_error(io.BytesIO(data))


def test_more_rows_than_the_limit(finance, settings):
    settings.ROSTER_IMPORT_MAX_ROWS = 3
    import_error(xlsx([row(no=str(n)) for n in range(4)]))
    assert import_file(xlsx([row(no=str(n)) for n in range(3)])).created == 3


def test_wrong_headers_name_the_missing_required_columns(finance):
    error = import_error(xlsx([["1001", "张三", "市财政局"]], headers=["工号", "姓名", "部门"]))
    assert len(error.errors) == 1
    assert error.errors[0].row == 1
    message = error.errors[0].message
    assert col("gender") in message and col("unit") in message  # the missing ones
    assert col("talents") in message  # the expected ones are listed too


def test_template_without_its_header_row_points_at_the_first_sheet(finance):
    workbook = load_workbook(io.BytesIO(roster_template_bytes()))
    workbook.worksheets[0].delete_rows(1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = import_error(SimpleUploadedFile("roster.xlsx", buffer.getvalue()))
    assert [(e.row, e.column) for e in error.errors] == [(1, "")]


def test_roster_on_a_later_sheet_is_found(finance):
    workbook = Workbook()
    workbook.active.append(["封面"])
    sheet = workbook.create_sheet("名册")
    sheet.append(HEADERS)
    sheet.append(row())
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_file(SimpleUploadedFile("roster.xlsx", buffer.getvalue())).created == 1


def test_header_row_without_data_rows():
    import_error(xlsx([]))


def test_completely_empty_sheet():
    import_error(xlsx([], headers=None))


def test_a_column_given_twice(finance):
    error = import_error(xlsx([[*row(), "13812345678"]], headers=[*HEADERS, "电话"]))
    assert error.errors[0].row == 1


# Messages in the active language ------------------------------------------------------------------


def test_messages_follow_the_active_language(finance):
    upload = xlsx([row(no="1", gender="X", birth="1985-02-30", phone="1", unit="无此单位")])
    with translation.override("zh-hans"):
        error = import_error(upload)
    assert len(error.errors) == 4
    for item in error.errors:
        assert isinstance(item.column, str) and item.column
        assert isinstance(item.message, str) and item.message
    assert isinstance(str(error), str) and str(error)


def test_chinese_headers_are_recognised_in_the_english_interface(finance):
    with translation.override("en"):
        assert import_file(xlsx([row()])).created == 1


# The template ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_template_is_a_valid_workbook_whose_example_row_imports(db, language):
    with translation.override(language):
        data = roster_template_bytes()
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook.worksheets[0]
        assert [cell.value for cell in sheet[1]] == [str(column.label) for column in ROSTER_COLUMNS]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == 2
        assert len(workbook.worksheets) == 2
        instructions = workbook.worksheets[1]
        text = "\n".join(str(cell.value) for line in instructions.iter_rows() for cell in line if cell.value)
        for column in ROSTER_COLUMNS:
            assert str(column.label) in text
        for word in ("男", "中共党员", "群众", "书法", "急救"):
            assert word in text

        summary = import_file(SimpleUploadedFile("template.xlsx", data), create_missing_units=True)
    assert summary.created == 1
    assert len(summary.units_created) == 1


def test_template_example_uses_an_existing_unit(finance):
    summary = import_file(SimpleUploadedFile("template.xlsx", roster_template_bytes()))
    assert summary.created == 1
    assert Cadre.objects.get().unit == finance


# Query budget ---------------------------------------------------------------------------------------


def _queries_for(rows):
    with CaptureQueriesContext(connection) as queries:
        import_file(xlsx(rows), create_missing_units=True)
    return len(queries)


def _batches(model, objects):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return math.ceil(objects / connection.ops.bulk_batch_size(fields, [None] * objects))


def test_query_count_does_not_grow_with_the_rows(finance):
    small = _queries_for([row(no=f"S{n}", unit=f"新单位{n % 3}") for n in range(10)])
    large = _queries_for([row(no=f"L{n}", unit=f"新单位{n % 3 + 3}") for n in range(300)])
    # Only the database's own batch size may add statements (SQLite takes 999 parameters per statement).
    # The new cadres' tenures (portal.history) are one more bulk insert.
    assert large - small <= _batches(User, 300) + _batches(Cadre, 300) + _batches(CadreTenure, 300) - 3
    assert small <= 20

    unchanged_small = _queries_for([row(no=f"S{n}", unit=f"新单位{n % 3}") for n in range(10)])
    unchanged_large = _queries_for([row(no=f"L{n}", unit=f"新单位{n % 3 + 3}") for n in range(300)])
    assert unchanged_small == unchanged_large

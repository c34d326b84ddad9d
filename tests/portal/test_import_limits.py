"""Hostile roster files: refused (or read) quickly and in bounded memory, before openpyxl could walk them.

The files are written by hand (zipfile + XML) because no spreadsheet program would write them: a row numbered
in the trillions, cells far to the right, rows out of order, a declared dimension of the whole sheet, a zip bomb.
"""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from portal.imports import RosterImportError, roster_import
from portal.imports import workbook as workbook_module
from portal.models import Cadre
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "姓名", "性别", "单位"]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def cell(reference, text):
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number, *cells, reference=True):
    attribute = f' r="{number}"' if reference else ""
    return f"<row{attribute}>{''.join(cells)}</row>"


def good_rows(count=2):
    """The header row and `count` valid data rows, as <row> elements."""
    rows = [row(1, *(cell(f"{letter}1", header) for letter, header in zip("ABCD", HEADERS, strict=True)))]
    for n in range(2, count + 2):
        rows.append(
            row(n, cell(f"A{n}", f"E{n:05d}"), cell(f"B{n}", "张三"), cell(f"C{n}", "男"), cell(f"D{n}", "市水务局"))
        )
    return rows


def crafted(rows, dimension=None, prolog="", extra_parts=None):
    """An .xlsx upload whose only sheet holds these <row> elements (and the declared dimension, if any)."""
    dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{NS}">{dimension_xml}'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


@pytest.fixture
def water(db):
    return UnitFactory(name="市水务局")


def refused(upload) -> RosterImportError:
    """Import a hostile file: refused, nothing saved, within a generous time and memory bound."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(RosterImportError) as caught, translation.override("en"):
            roster_import(actor=None, uploaded_file=upload, create_missing_units=False)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not Cadre.objects.exists()
    assert seconds < 5, f"took {seconds:.1f} s"
    assert peak < 32 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    return caught.value


def test_the_crafted_file_itself_imports(water):
    summary = roster_import(actor=None, uploaded_file=crafted(good_rows(3)), create_missing_units=False)
    assert summary.created == 3
    assert Cadre.objects.get(employee_no="E00002").name == "张三"


def test_a_row_numbered_in_the_trillions_is_refused_without_walking_the_missing_rows(water):
    # openpyxl's read-only reader yields every missing row up to the row's number: this file never finished.
    rows = [*good_rows(1), row(999_999_999_999, cell("A999999999999", "E9"))]
    error = refused(crafted(rows))
    assert "999,999,999,999" in str(error)


def test_a_blank_row_numbered_in_the_trillions_is_refused_too(water):
    error = refused(crafted([*good_rows(1), '<row r="999999999999"/>']))
    assert "reaches row" in str(error)


def test_a_row_beyond_the_row_limit_is_refused(water, settings):
    settings.ROSTER_IMPORT_MAX_ROWS = 3
    error = refused(crafted([*good_rows(2), row(200, cell("A200", "E200"))]))
    assert "reaches row 200" in str(error) and "at most 3 data rows" in str(error)


def test_cells_far_to_the_right_are_refused_before_any_row_is_kept(water):
    # Memory used to grow with the last column of each row: 100 rows reaching column XFD.
    rows = good_rows(1) + [row(n, cell(f"A{n}", f"E{n}"), cell(f"XFD{n}", "x")) for n in range(3, 103)]
    error = refused(crafted(rows))
    assert "column XFD" in str(error) and "at most 64 columns" in str(error)


def test_the_last_allowed_column_is_read(water, settings):
    rows = good_rows(1)
    rows[-1] = rows[-1].replace("</row>", cell("BL2", "备注") + "</row>")
    assert roster_import(actor=None, uploaded_file=crafted(rows), create_missing_units=False).created == 1


def test_a_declared_dimension_of_the_whole_sheet_is_refused_before_reading(water):
    error = refused(crafted(good_rows(1), dimension="A1:XFD1048576"))
    assert "reaches row 1,048,576" in str(error)


def test_a_declared_dimension_too_wide_is_refused(water):
    error = refused(crafted(good_rows(1), dimension="A1:ZZ2"))
    assert "column ZZ" in str(error)


def test_a_dimension_smaller_than_the_data_cuts_nothing_off(water):
    # Some writers always declare A1; trusting it would silently drop every row but the first.
    summary = roster_import(actor=None, uploaded_file=crafted(good_rows(3), dimension="A1"), create_missing_units=False)
    assert summary.created == 3


def test_rows_and_cells_without_references_are_read_in_order(water):
    rows = [
        row(0, *(f'<c t="inlineStr"><is><t>{header}</t></is></c>' for header in HEADERS), reference=False),
        row(
            0, *(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in ("E1", "李四", "女", "市水务局")), reference=False
        ),
    ]
    assert roster_import(actor=None, uploaded_file=crafted(rows), create_missing_units=False).created == 1
    assert Cadre.objects.get(employee_no="E1").name == "李四"


def test_rows_out_of_order_are_refused(water):
    rows = good_rows(2)
    error = refused(crafted([rows[0], rows[2], rows[1]]))
    assert "damaged" in str(error)


def test_a_row_with_more_cells_than_columns_is_refused(water):
    # A million cells all claiming column A would otherwise be parsed into one row.
    rows = [*good_rows(1), row(3, *([cell("A3", "x")] * 100))]
    assert "damaged" in str(refused(crafted(rows)))


def test_a_cell_with_thousands_of_elements_is_refused(water):
    runs = "".join("<r><t>x</t></r>" for _ in range(2_000))
    rows = [*good_rows(1), row(3, f'<c r="A3" t="inlineStr"><is>{runs}</is></c>')]
    assert "damaged" in str(refused(crafted(rows)))


def test_a_zip_bomb_is_refused_before_parsing(water, settings):
    settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    padding = {"xl/worksheets/padding.xml": " " * (2 * 1024 * 1024)}
    error = refused(crafted(good_rows(1), extra_parts=padding))
    assert "unpacks to" in str(error)


def test_a_huge_part_other_than_a_sheet_is_refused(water, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_PART_BYTES", 1000)
    styles = f'<styleSheet xmlns="{NS}">' + "<numFmts/>" * 200 + "</styleSheet>"
    error = refused(crafted(good_rows(1), extra_parts={"xl/styles.xml": styles}))
    assert "too large" in str(error)


def test_a_part_with_too_many_elements_is_refused(water, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_PART_ELEMENTS", 50)
    styles = f'<styleSheet xmlns="{NS}">' + "<numFmts/>" * 100 + "</styleSheet>"
    assert "damaged" in str(refused(crafted(good_rows(1), extra_parts={"xl/styles.xml": styles})))


def test_an_entity_expansion_bomb_is_refused(water):
    prolog = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    rows = [*good_rows(1), row(3, cell("A3", "&b;"))]
    assert "damaged" in str(refused(crafted(rows, prolog=prolog)))


def test_phonetic_runs_are_not_part_of_an_inline_string(water):
    rows = good_rows(1)
    rows[1] = rows[1].replace("<t>张三</t>", '<t>张三</t><rPh sb="0" eb="2"><t>ZHANG</t></rPh>')
    roster_import(actor=None, uploaded_file=crafted(rows), create_missing_units=False)
    assert Cadre.objects.get().name == "张三"


def test_shared_strings_numbers_and_booleans_are_read_like_openpyxl(water):
    shared = (
        f'<sst xmlns="{NS}" count="2" uniqueCount="2"><si><t>王五</t></si>'
        "<si><r><t>市水</t></r><r><t>务局</t></r></si></sst>"
    )
    parts = {
        "xl/sharedStrings.xml": shared,
        "[Content_Types].xml": CONTENT_TYPES.replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    }
    rows = [
        good_rows(0)[0],
        row(
            2,
            '<c r="A2"><v>1001</v></c>',
            '<c r="B2" t="s"><v>0</v></c>',
            cell("C2", "男"),
            '<c r="D2" t="s"><v>1</v></c>',
        ),
    ]
    buffer = io.BytesIO()
    upload = crafted(rows)
    with zipfile.ZipFile(io.BytesIO(upload.read())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, parts.get(info.filename, source.read(info.filename)))
        for name, content in parts.items():
            if name not in source.namelist():
                target.writestr(name, content)
    roster_import(actor=None, uploaded_file=SimpleUploadedFile("r.xlsx", buffer.getvalue()), create_missing_units=False)
    cadre = Cadre.objects.get()
    assert (cadre.employee_no, cadre.name, cadre.unit.name) == ("1001", "王五", "市水务局")


def test_a_shared_string_index_out_of_range_is_refused(water):
    rows = [*good_rows(1), row(3, '<c r="A3" t="s"><v>7</v></c>')]
    assert "damaged" in str(refused(crafted(rows)))

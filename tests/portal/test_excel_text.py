"""Formula injection: a name starting with "=" is written as text in every workbook we produce.

openpyxl stores any string starting with "=" as a formula, so a unit called =HYPERLINK(...) became a live link
(or worse) in the entries export and the summary workbook. Each export is read back with openpyxl: the cell must
be a string cell (data_type "s") holding the name unchanged.
"""

import io
from datetime import datetime

import pytest
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from activities.exports import competitions_entries_xlsx
from activities.models import Activity, Registration
from portal.excel import append_row, safe_row, text_cell
from portal.reports.builder import BuildContext, build_workbook
from portal.reports.periods import Period
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

HOSTILE = '=HYPERLINK("http://x","y")'

pytestmark = pytest.mark.django_db


def _cells_holding(workbook, text):
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value == text]


def _assert_only_text(workbook, text, *, at_least):
    cells = _cells_holding(workbook, text)
    assert len(cells) >= at_least, f"{text!r} written {len(cells)} times, expected at least {at_least}"
    assert {cell.data_type for cell in cells} == {"s"}
    # Nothing anywhere in the file became a formula.
    assert not [c for s in workbook.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]


def test_entries_export_writes_hostile_names_as_text():
    unit = UnitFactory(name=HOSTILE)
    competition = CompetitionFactory(name="=1+1")
    cadre = CadreFactory(unit=unit, name="@SUM(A1)")
    TeamFactory(competition=competition, unit=unit, name=HOSTILE, members=[cadre])
    workbook = load_workbook(io.BytesIO(competitions_entries_xlsx([competition])))
    _assert_only_text(workbook, HOSTILE, at_least=2)  # the unit and the team
    _assert_only_text(workbook, "@SUM(A1)", at_least=1)


def test_summary_workbook_writes_hostile_unit_and_activity_names_as_text(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"
    unit = UnitFactory(name=HOSTILE)
    cadre = CadreFactory(unit=unit)
    starts = timezone.make_aware(datetime(2025, 5, 20, 9))
    activity = ActivityFactory(
        title=HOSTILE, venue="-2+3", kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=starts
    )
    Registration.objects.create(activity=activity, cadre=cadre, status=Registration.Status.CONFIRMED)
    path = tmp_path / "summary.xlsx"
    now = timezone.now()
    with translation.override("en"):
        build_workbook(
            path=path,
            period=Period(2025, 2),
            context=BuildContext(requested_by=HOSTILE, generated_at=now, data_as_of=now),
        )
    workbook = load_workbook(path)
    # The unit on the Units sheet, the activity on the Activities sheet, the requester on the About sheet.
    _assert_only_text(workbook, HOSTILE, at_least=3)
    _assert_only_text(workbook, "-2+3", at_least=1)
    assert {c.parent.title for c in _cells_holding(workbook, HOSTILE)} >= {"Units", "Activities", "About"}


def test_the_helper_keeps_numbers_and_marks_formula_text_for_excel():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    append_row(sheet, [HOSTILE, 3, None, "plain"])
    sheet.append(safe_row(sheet, [text_cell(sheet, "+1"), "=A1"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = list(load_workbook(io.BytesIO(buffer.getvalue()))["x"].iter_rows())
    assert [(c.value, c.data_type) for c in rows[0]] == [(HOSTILE, "s"), (3, "n"), (None, "n"), ("plain", "s")]
    assert [(c.value, c.data_type, c.quotePrefix) for c in rows[1][:2]] == [("+1", "s", True), ("=A1", "s", True)]

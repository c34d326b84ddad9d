"""The workbook reopened with openpyxl: sheets, headers, totals, formats, the chart; constant queries."""

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from activities.models import Activity, Placing, Registration
from portal.reports.builder import PERCENT_FORMAT, BuildContext, build_workbook
from portal.reports.periods import Period
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

Q2 = Period(2025, 2)


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


def at(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def small_world():
    """Two units (A: 3 cadres, B: 2, C: 1 idle); 8 person-times as in test_reports_figures, simplified."""
    unit_a, unit_b, unit_c = UnitFactory(name="市甲局"), UnitFactory(name="市乙局"), UnitFactory(name="市丙局")
    a1, a2, a3 = (CadreFactory(unit=unit_a) for _ in range(3))
    b1, b2 = (CadreFactory(unit=unit_b) for _ in range(2))
    CadreFactory(unit=unit_c)
    meet = ActivityFactory(kind=Activity.Kind.SPORT, status=Activity.Status.FINISHED, starts_at=at(2025, 4, 10, 9))
    x = CompetitionFactory(activity=meet)
    y = CompetitionFactory(activity=meet)
    team_a1 = TeamFactory(competition=x, unit=unit_a, members=[a1, a2])
    team_b1 = TeamFactory(competition=x, unit=unit_b, members=[b1])
    TeamFactory(competition=y, unit=unit_a, members=[a1])
    Placing.objects.create(competition=x, team=team_a1, unit=unit_a, place=1, points=Decimal(7))
    Placing.objects.create(competition=x, team=team_b1, unit=unit_b, place=2, points=Decimal("5.5"))
    salon = ActivityFactory(kind=Activity.Kind.READING, status=Activity.Status.PUBLISHED, starts_at=at(2025, 5, 20))
    for cadre in (a1, a3, b2):
        Registration.objects.create(activity=salon, cadre=cadre, status=Registration.Status.CONFIRMED)
    talk = ActivityFactory(kind=Activity.Kind.SPORT, status=Activity.Status.CLOSED, starts_at=at(2025, 6, 30, 23, 30))
    Registration.objects.create(activity=talk, cadre=a2, status=Registration.Status.CONFIRMED)
    return unit_a, unit_b, unit_c


def build(tmp_path, period=Q2, language="en", name="report.xlsx"):
    path = tmp_path / name
    now = timezone.now()
    with translation.override(language):
        headline = build_workbook(
            path=path, period=period, context=BuildContext(requested_by="领导甲", generated_at=now, data_as_of=now)
        )
    return path, headline


def rows(sheet):
    return [row for row in sheet.iter_rows(values_only=True) if any(value is not None for value in row)]


def test_sheets_headers_and_summary_figures(small_world, tmp_path):
    path, headline = build(tmp_path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Summary", "Units", "Activities", "About"]
    summary = {row[0]: row[1] for row in rows(workbook["Summary"])}
    assert summary["Activities held"] == 3
    assert summary["Participations (person-times)"] == 8
    assert summary["Cadres reached"] == 5
    assert summary["Units reached"] == 2
    assert summary["Active units"] == 3
    assert summary["Coverage (units reached / active units)"] == pytest.approx(2 / 3)
    assert summary["Cost"] == "not yet recorded"  # no app reports a cost yet: said so, not left out
    assert headline["participations"] == 8 and headline["coverage"] == pytest.approx(0.6667, abs=1e-4)
    kinds = {row[0]: row[1:5] for row in rows(workbook["Summary"])}
    assert kinds["Sport"] == (2, 5, 3, 2)
    assert kinds["Reading"] == (1, 3, 3, 2)
    assert kinds["Total"] == (3, 8, 5, 2)
    sheet = workbook["Summary"]
    coverage_cell = next(row[1] for row in sheet.iter_rows() if row[0].value and "Coverage" in row[0].value)
    assert coverage_cell.number_format == PERCENT_FORMAT


def test_summary_has_native_charts_per_month_and_per_kind(small_world, tmp_path):
    path, _ = build(tmp_path)
    # openpyxl does not read charts back (ws._charts is empty on a reopened workbook): look inside the zip.
    with zipfile.ZipFile(path) as archive:
        names = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))
        charts = [archive.read(name).decode() for name in names]
        drawing_rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert len(charts) == 2
    months, kinds = charts
    assert '<barDir val="col" />' in months  # person-times per month, in columns
    assert "<barChart>" in kinds and '<barDir val="bar" />' in kinds  # one bar per kind
    assert all("Summary" in chart for chart in charts)  # the series read their values from the Summary sheet
    assert "drawing" in drawing_rels  # anchored on the first sheet, the Summary


def test_units_sheet_rows_totals_formats_and_highlight(small_world, tmp_path):
    unit_a, unit_b, unit_c = small_world
    path, _ = build(tmp_path)
    sheet = load_workbook(path)["Units"]
    data = rows(sheet)
    assert data[0] == (
        "Unit",
        "Kind of unit",
        "Active cadres",
        "Participations (person-times)",
        "Cadres reached",
        "Reach",
        "Gold",
        "Silver",
        "Bronze",
        "Medals",
        "Team points",
    )
    by_name = {row[0]: row for row in data[1:]}
    assert by_name["市甲局"][2:] == (3, 6, 3, 1, 1, 0, 0, 1, 7)
    assert by_name["市乙局"][2:] == (2, 2, 2, 1, 0, 1, 0, 1, 5.5)
    assert by_name["市丙局"][2:6] == (1, 0, 0, 0)
    assert by_name["Total"][2:] == (6, 8, 5, pytest.approx(5 / 6), 1, 1, 0, 2, 12.5)
    assert sheet.freeze_panes == "A2"
    assert sheet["F2"].number_format == PERCENT_FORMAT
    assert sheet.column_dimensions["A"].width >= 30
    rules = [(str(cf.sqref), rule.formula) for cf in sheet.conditional_formatting for rule in cf.rules]
    assert rules == [("A2:K4", ["$D2=0"])]


def test_activities_sheet_one_row_per_activity_held(small_world, tmp_path):
    path, _ = build(tmp_path)
    data = rows(load_workbook(path)["Activities"])
    assert data[0][:5] == ("Starts", "Activity", "Kind of activity", "Status", "Venue")
    assert [row[2] for row in data[1:-1]] == ["Sport", "Reading", "Sport"]
    assert data[1][5:] == (2, 3, 0, 4, 4, 3, 2)  # competitions, teams, sign-ups, members, total, cadres, units
    assert data[2][5:] == (0, 0, 3, 0, 3, 3, 2)
    assert data[-1][0] == "Total"
    assert data[-1][5:] == (2, 3, 4, 4, 8, 5, 2)
    assert data[1][0] == datetime(2025, 4, 10, 9, 0)  # local wall-clock time, Excel has no time zones


def test_about_sheet(small_world, tmp_path):
    path, _ = build(tmp_path)
    about = {row[0]: row[1] for row in rows(load_workbook(path)["About"])}
    assert about["Report"] == "Quarterly summary 2025 Q2"
    assert about["Period"] == "2025-04-01 – 2025-06-30"
    assert about["Generated by"] == "领导甲"
    assert isinstance(about["Generated at"], datetime) and isinstance(about["Data as of"], datetime)
    assert "Participations" in about and "Activity held" in about


def test_chinese_workbook_has_chinese_headers(small_world, tmp_path):
    path, _ = build(tmp_path, language="zh-hans")
    workbook = load_workbook(path)
    assert "单位" in workbook.sheetnames  # "Units"
    units = workbook[workbook.sheetnames[1]]
    assert units["A1"].value == "单位"  # "Unit"


def test_annual_report_covers_the_year(small_world, tmp_path):
    path, headline = build(tmp_path, period=Period(2025))
    assert headline["participations"] == 8
    about = {row[0]: row[1] for row in rows(load_workbook(path)["About"])}
    assert about["Report"] == "Annual summary 2025 (whole year)"


def _world_of(units: int):
    """`units` units with two cadres each; every other unit sends one cadre to a finished activity."""
    created = [UnitFactory() for _ in range(units)]
    activity = ActivityFactory(status=Activity.Status.FINISHED, starts_at=at(2025, 5, 5, 9))
    competition = CompetitionFactory(activity=activity)
    for index, unit in enumerate(created):
        cadres = CadreFactory.create_batch(2, unit=unit)
        if index % 2 == 0:
            Registration.objects.create(activity=activity, cadre=cadres[0], status=Registration.Status.CONFIRMED)
            team = TeamFactory(competition=competition, unit=unit, members=[cadres[1]])
            Placing.objects.create(competition=competition, team=team, unit=unit, place=index + 1)


def _queries_to_build(tmp_path, name):
    with CaptureQueriesContext(connection) as queries:
        build(tmp_path, name=name)
    return len(queries)


def test_no_query_per_row_five_units_versus_a_hundred(tmp_path):
    _world_of(5)
    small = _queries_to_build(tmp_path, "small.xlsx")
    _world_of(95)
    large = _queries_to_build(tmp_path, "large.xlsx")
    assert small == large
    sheet = load_workbook(tmp_path / "large.xlsx", read_only=True)["Units"]
    assert sum(1 for _ in sheet.iter_rows()) == 1 + 100 + 1
    # The snapshot's temporary tables (create, fill, group, analyse on PostgreSQL, drop) are a fixed few dozen
    # statements, twice: the previous period's totals (the Summary's comparison) are computed the same way.
    assert small <= 70


def test_write_only_workbook_is_a_valid_xlsx_zip(small_world, tmp_path):
    path, _ = build(tmp_path)
    data = path.read_bytes()
    assert data[:2] == b"PK"
    assert load_workbook(io.BytesIO(data), read_only=True).sheetnames[0] == "Summary"


def test_activities_sheet_counts_a_cadre_once_across_sign_up_and_teams(tmp_path):
    """a1 signed up and plays in two teams: one cadre; d1's unit is inactive: d1 is not on the period's roster, so
    neither d1 nor the unit is reached (d1's person-time still counts)."""
    unit_a, unit_b, unit_d = UnitFactory(), UnitFactory(), UnitFactory(is_active=False)
    a1, a2 = CadreFactory.create_batch(2, unit=unit_a)
    b1, d1 = CadreFactory(unit=unit_b), CadreFactory(unit=unit_d)
    meet = ActivityFactory(status=Activity.Status.FINISHED, starts_at=at(2025, 5, 5, 9), open_to_individuals=True)
    for cadre in (a1, b1, d1):
        Registration.objects.create(activity=meet, cadre=cadre, status=Registration.Status.CONFIRMED)
    TeamFactory(competition=CompetitionFactory(activity=meet), unit=unit_a, members=[a1, a2])
    TeamFactory(competition=CompetitionFactory(activity=meet), unit=unit_a, members=[a1])
    path, headline = build(tmp_path)
    data = rows(load_workbook(path)["Activities"])
    # competitions, teams, sign-ups, members, person-times, cadres reached, units reached
    assert data[1][5:] == (2, 2, 3, 3, 6, 3, 2)
    assert (headline["participations"], headline["cadres_reached"], headline["units_reached"]) == (6, 3, 2)

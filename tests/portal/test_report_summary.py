"""What leaders read on the Summary sheet (the published sentence, the change against the previous period, the
months, the best and worst units, the units with no participation), how every sheet is set up for printing, and
the checksum on the reports page."""

import dataclasses
import re
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from activities.models import Activity, Placing, Registration
from portal.models import Report
from portal.reports import builder, printing, registry
from portal.reports.builder import BuildContext, Column, build_workbook
from portal.reports.figures import UnitRow
from portal.reports.periods import Period
from portal.reports.summary import COLUMN_WIDTHS, headline_sentence
from portal.reports.units import UnitDigest
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

Q2 = Period(2025, 2)


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


def at(*args):
    return timezone.make_aware(datetime(*args))


def build(tmp_path, period=Q2, language="en", name="report.xlsx"):
    path = tmp_path / name
    now = timezone.now()
    with translation.override(language):
        build_workbook(
            path=path, period=period, context=BuildContext(requested_by="领导甲", generated_at=now, data_as_of=now)
        )
    return path


def rows(sheet):
    return [row for row in sheet.iter_rows(values_only=True) if any(value is not None for value in row)]


def section(sheet, title_start: str) -> list[tuple]:
    """The rows of the Summary section whose title starts with `title_start`, its header row first."""
    data = rows(sheet)
    start = next(i for i, row in enumerate(data) if isinstance(row[0], str) and row[0].startswith(title_start))
    body = []
    for row in data[start + 1 :]:
        if body and row[1:] == (None,) * (len(row) - 1) and row[0] and not str(row[0]).startswith("市"):
            break  # the next section's title (or a note)
        body.append(row)
    return body


def sign_ups(activity, cadres):
    for cadre in cadres:
        Registration.objects.create(activity=activity, cadre=cadre, status=Registration.Status.CONFIRMED)


@pytest.fixture
def two_quarters():
    """Q1 2025: 2 person-times from unit A; Q2: 5 person-times from A and B in April and June; C never takes part."""
    unit_a, unit_b, unit_c = UnitFactory(name="市甲局"), UnitFactory(name="市乙局"), UnitFactory(name="市丙局")
    a = CadreFactory.create_batch(4, unit=unit_a)
    b = CadreFactory.create_batch(2, unit=unit_b)
    CadreFactory(unit=unit_c)
    winter = ActivityFactory(kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=at(2025, 2, 5))
    sign_ups(winter, a[:2])
    april = ActivityFactory(kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=at(2025, 4, 9))
    sign_ups(april, [a[0], b[0], b[1]])
    june = ActivityFactory(kind=Activity.Kind.SPORT, status=Activity.Status.FINISHED, starts_at=at(2025, 6, 3))
    competition = CompetitionFactory(activity=june)
    team = TeamFactory(competition=competition, unit=unit_a, members=a[1:3])
    Placing.objects.create(competition=competition, team=team, unit=unit_a, place=1, points=Decimal(7))
    return unit_a, unit_b, unit_c


def test_the_sentence_the_committee_publishes():
    totals = {
        "activities_held": 142,
        "participations": 78000,
        "units_reached": 96,
        "active_units": 100,
        "volunteers": None,
        "cost": None,
    }
    with translation.override("en"):
        assert headline_sentence(Q2, {**totals, "volunteers": 310, "cost": Decimal("123456")}) == (
            "This quarter: 142 activities, 78,000 person-times, 96 of 100 units, 310 volunteers, "
            "at a cost of ¥123,456.00"
        )
        # A figure no app records yet is said to be missing, never silently left out.
        assert headline_sentence(Period(2025), {**totals, "volunteers": None, "cost": None}) == (
            "This year: 142 activities, 78,000 person-times, 96 of 100 units, volunteers not yet recorded, "
            "cost not yet recorded"
        )
        assert headline_sentence(Q2, {**totals, "activities_held": 1, "participations": 1}).startswith(
            "This quarter: 1 activity, 1 person-time,"
        )
    with translation.override("zh-hans"):
        chinese = headline_sentence(Q2, {**totals, "volunteers": 310, "cost": Decimal("123456")})
    assert "142" in chinese and "78,000" in chinese and "310" in chinese and "123,456.00" in chinese
    assert "¥" not in chinese  # yuan are written after the amount in Chinese


def test_summary_compares_with_the_previous_quarter(two_quarters, tmp_path):
    sheet = load_workbook(build(tmp_path))["Summary"]
    data = rows(sheet)
    assert data[2][0].startswith("This quarter: 2 activities, 5 person-times, 2 of 3 units")
    table = section(sheet, "Compared with the previous period (2025 Q1)")
    assert table[0] == ("Figure", "2025 Q2", "2025 Q1", "Difference", "Difference (%)", None)
    by_label = {row[0]: row[1:5] for row in table[1:]}
    assert by_label["Activities held"] == (2, 1, 1, 1.0)
    assert by_label["Participations (person-times)"] == (5, 2, 3, 1.5)
    assert by_label["Cadres reached"] == (5, 2, 3, 1.5)
    reach = by_label["Reach (cadres reached / active cadres)"]
    # A share's difference is in percentage points; its relative change would mislead, so none is given.
    assert reach[:3] == (pytest.approx(5 / 7), pytest.approx(2 / 7), pytest.approx(3 / 7)) and reach[3] is None
    assert by_label["Volunteers"] == ("not yet recorded", "not yet recorded", None, None)
    assert by_label["Cost"] == ("not yet recorded", "not yet recorded", None, None)
    difference = next(row[3] for row in sheet.iter_rows() if row[0].value == "Participations (person-times)")
    assert difference.number_format == "+#,##0;-#,##0;#,##0"


def test_without_figures_for_the_previous_period_the_table_says_so(two_quarters, tmp_path, monkeypatch):
    real = builder.period_figures
    monkeypatch.setattr(
        builder, "period_figures", lambda *args, **kwargs: dataclasses.replace(real(*args, **kwargs), previous=None)
    )
    sheet = load_workbook(build(tmp_path))["Summary"]
    table = section(sheet, "Compared with the previous period")
    assert {row[0]: row[2] for row in table[1:]}["Activities held"] == "—"
    assert "No figures for the previous period." in [row[0] for row in rows(sheet)]


def test_person_times_per_month_with_their_chart(two_quarters, tmp_path):
    path = build(tmp_path)
    table = section(load_workbook(path)["Summary"], "Person-times per month")
    assert [row[:2] for row in table] == [("Month", "Person-times"), ("2025-04", 3), ("2025-05", 0), ("2025-06", 2)]
    annual = section(load_workbook(build(tmp_path, Period(2025), name="annual.xlsx"))["Summary"], "Person-times per")
    assert [row[0] for row in annual[1:]] == [f"2025-{month:02d}" for month in range(1, 13)]
    assert annual[2][1] == 2  # February
    with zipfile.ZipFile(path) as archive:
        months = archive.read("xl/charts/chart1.xml").decode()
    assert '<barDir val="col" />' in months and "'Summary'!$B$" in months


def test_best_and_worst_units_by_reach_and_the_units_with_no_participation(two_quarters, tmp_path):
    sheet = load_workbook(build(tmp_path))["Summary"]
    # Three units with cadres: one each way (the lists never share a unit); B reached 2 of 2, A 3 of 4, C 0 of 1.
    top = section(sheet, "Top 1 units by reach")
    assert top[0] == (
        "Unit",
        "Active cadres",
        "Person-times",
        "Person-times per active cadre",
        "Cadres reached",
        "Reach",
    )
    assert top[1] == ("市乙局", 2, 2, 1.0, 2, 1.0)
    bottom = section(sheet, "Bottom 1 units by reach")
    assert bottom[1] == ("市丙局", 1, 0, 0.0, 0, 0.0)
    idle = section(sheet, "Units with no participation (1)")
    assert idle == [
        ("Unit", "Kind of unit", "Active cadres", None, None, None),
        ("市丙局", idle[1][1], 1, None, None, None),
    ]


def unit_row(unit_id, active, reached, participations, *, active_in_period=True):
    return UnitRow(
        unit_id=unit_id,
        name=f"unit {unit_id}",
        kind="",
        active_cadres=active,
        participations=participations,
        cadres_reached=reached,
        gold=0,
        silver=0,
        bronze=0,
        points=Decimal(0),
        active_in_period=active_in_period,
    )


def test_the_digest_ranks_by_reach_then_person_times_per_cadre_and_keeps_ten_each_way():
    digest = UnitDigest()
    for unit_id in range(1, 31):
        digest.add(unit_row(unit_id, 10, unit_id % 10, unit_id))  # reach 0.1..0.9 and 0, three units each
    digest.add(unit_row(99, 0, 0, 0))  # no active cadres: no reach, not ranked, but it took no part
    digest.add(unit_row(98, 5, 5, 9, active_in_period=False))  # closed before the period: neither
    assert digest.per_list == 10
    # Equal reach: more person-times per active cadre first.
    assert [row.unit_id for row in digest.top[:4]] == [29, 19, 9, 28]
    assert [row.unit_id for row in digest.bottom[:4]] == [10, 20, 30, 1]
    assert [row.unit_id for row in digest.no_participation] == [99]

    few = UnitDigest()
    for unit_id in range(1, 6):
        few.add(unit_row(unit_id, 4, unit_id - 1, unit_id))
    assert few.per_list == 2  # five units: two best, two worst, the middle one in neither
    assert [row.unit_id for row in few.top] == [5, 4] and [row.unit_id for row in few.bottom] == [1, 2]


def test_every_sheet_prints_on_a4_one_page_wide_with_titles_and_a_footer(two_quarters, tmp_path):
    workbook = load_workbook(build(tmp_path))
    assert workbook.sheetnames == ["Summary", "Units", "Activities", "About"]
    orientations = {}
    for sheet in workbook:
        setup = sheet.page_setup
        assert setup.paperSize == 9  # A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        footer = sheet.oddFooter
        assert footer.left.text == "Quarterly summary 2025 Q2 · 2025-04-01 – 2025-06-30"
        assert footer.center.text == "&A" and footer.right.text == "Page &P of &N"
        orientations[sheet.title] = setup.orientation
        if sheet.title != "Summary":
            # Tabular sheets, contributions' included: the header row and the first column on every page.
            assert (sheet.print_title_rows, sheet.print_title_cols) == ("$1:$1", "$A:$A")
    assert workbook["Summary"].print_title_rows == "$1:$2"  # the report's title and period
    assert orientations == {
        "Summary": "portrait",
        "Units": "landscape",
        "Activities": "landscape",
        "About": "landscape",
    }


def test_a_contributions_sheet_gets_the_same_page_setup(tmp_path):
    class Extra(registry.ReportContribution):
        key, title, order = "extra-test", "Extra", 60

        def figures(self, period, *args):
            return {}

        def write_sheet(self, workbook, period, *, figures, writer):
            writer(workbook, "Extra", [Column("Name", 30), Column("Amount", 12, "yuan")]).row(["x", Decimal(1)])

    registry.register(Extra())
    try:
        sheet = load_workbook(build(tmp_path))["Extra"]
    finally:
        registry.unregister("extra-test")
    assert (sheet.print_title_rows, sheet.print_title_cols) == ("$1:$1", "$A:$A")
    assert sheet.page_setup.orientation == "portrait" and sheet.oddFooter.right.text == "Page &P of &N"


def chart_rows(path) -> list[tuple[int, int]]:
    """(first, last) zero-based rows of every chart anchored on the Summary sheet (drawing1)."""
    with zipfile.ZipFile(path) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    anchors = re.findall(r"<(?:xdr:)?from>.*?<(?:xdr:)?row>(\d+)</.*?<(?:xdr:)?to>.*?<(?:xdr:)?row>(\d+)</", drawing)
    return [(int(first), int(last)) for first, last in anchors]


def test_charts_never_straddle_a_page_break(tmp_path):
    """Forty units make the Summary run over several pages: every chart sits whole on one of them."""
    units = [UnitFactory() for _ in range(40)]
    activity = ActivityFactory(kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=at(2025, 5, 5))
    for unit in units[:25]:
        sign_ups(activity, CadreFactory.create_batch(2, unit=unit))
    for unit in units[25:]:
        CadreFactory(unit=unit)
    path = build(tmp_path, language="zh-hans")
    sheet = load_workbook(path).worksheets[0]  # the Summary, in Chinese
    breaks = sorted(brk.id for brk in sheet.row_breaks.brk)
    assert breaks  # the Summary needed manual breaks
    heights = {index: dimension.height for index, dimension in sheet.row_dimensions.items()}
    page = printing.geometry(COLUMN_WIDTHS)
    assert page.orientation == "portrait"
    # Replay the pages: where the program breaks by itself (rows fill a page) and where we broke.
    repeated = heights[1] + heights[2]
    page_of, used, number = {}, 0.0, 1
    for row in range(1, sheet.max_row + 1):
        height = heights.get(row) or printing.DEFAULT_ROW_POINTS
        if used + height > printable_points(page):
            number, used = number + 1, repeated
        used += height
        page_of[row] = number
        if row in breaks:
            number, used = number + 1, repeated
    charts = chart_rows(path)
    assert len(charts) == 2
    for first, last in charts:
        # Anchored from the top of row first+1 to the top of row last+1 (one-based): rows first+1..last.
        assert page_of[first + 1] == page_of[last], (first, last, breaks)


def printable_points(page):
    return printing.printable_size(page.orientation)[1] / page.scale


def test_the_about_sheet_says_what_the_report_is_and_how_to_check_a_copy(two_quarters, tmp_path):
    about = {row[0]: row[1] for row in rows(load_workbook(build(tmp_path))["About"])}
    assert about["Report"] == "Quarterly summary 2025 Q2"
    assert about["Version"] == 1 and isinstance(about["Generated at"], datetime)
    assert about["Time zone"] == "Asia/Shanghai"
    assert "summary of the period" in about["What this is"]
    assert "SHA-256" in about["Checking this copy"] and "certutil -hashfile" in about["Checking this copy"]
    assert "Top and bottom units" in about and "not yet recorded" in about


def test_the_reports_page_shows_the_checksum_to_whoever_may_download(
    client, leader, settings, django_capture_on_commit_callbacks
):
    from portal.reports import services

    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=leader, year=2025, quarter=2, language="en")
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and len(report.checksum) == 64
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(leader)
    html = client.get(reverse("reports:list")).content.decode()
    assert f'data-testid="checksum-{report.pk}"' in html and report.checksum in html
    assert "certutil -hashfile summary-2025-Q2-v1.xlsx SHA256" in html
    assert "shasum -a 256 summary-2025-Q2-v1.xlsx" in html and "sha256sum summary-2025-Q2-v1.xlsx" in html
    assert report.headline["sentence"].startswith("This quarter:")
    status = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert report.checksum in status

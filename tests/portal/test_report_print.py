"""The summary workbook as leaders print it: LibreOffice renders a quarterly (Chinese) and an annual (English)
workbook of demo-like data to PDF, and every sheet must come out one page wide, its header row on every page, a
footer naming the report, and a sane number of pages. The PDFs are left in test-artifacts/report-print/ to look at.

Services suite: it needs LibreOffice (`soffice`, Debian's libreoffice-calc-nogui) and poppler-utils (`pdftotext`,
`pdfinfo`), which .ci/run installs, and runs on the real PostgreSQL like the rest of the suite.
"""

import os
import random
import re
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation

from activities.models import Activity, Placing, Registration
from portal.reports.builder import BuildContext, build_workbook
from portal.reports.periods import Period
from portal.reports.sheets import report_title, sheet_title
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report-print"
UNIT_NAMES = [
    "教育局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "住房和城乡建设局",
    "交通运输局",
    "卫生健康委员会",
]
UNITS = 60
IDLE_UNITS = 7  # the last units never take part: the Summary must list them by name


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


def _require(*tools):
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        reason = f"needs {', '.join(missing)} (apt-get install libreoffice-calc-nogui poppler-utils)"
        if os.environ.get("PORTAL_REQUIRE_ALL_SUITES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def at(*args):
    return timezone.make_aware(datetime(*args))


def demo_world(years=(2024, 2025)):
    """60 units of 4-8 cadres; every month a reading salon, every quarter a sports meet with two team events and
    placings; the last seven units never take part."""
    rng = random.Random(2026)
    units = [UnitFactory(name=f"市{UNIT_NAMES[n % len(UNIT_NAMES)]}{n + 1:02d}") for n in range(UNITS)]
    cadres = {unit.pk: CadreFactory.create_batch(rng.randint(4, 8), unit=unit) for unit in units}
    taking_part = units[:-IDLE_UNITS]
    for year in years:
        for month in range(1, 13):
            salon = ActivityFactory(
                kind=Activity.Kind.READING, status=Activity.Status.FINISHED, starts_at=at(year, month, 12, 14)
            )
            readers = [c for unit in rng.sample(taking_part, 20) for c in cadres[unit.pk][: rng.randint(1, 3)]]
            Registration.objects.bulk_create(
                Registration(activity=salon, cadre=cadre, status=Registration.Status.CONFIRMED) for cadre in readers
            )
            if month % 3 != 2:
                continue
            meet = ActivityFactory(
                kind=Activity.Kind.SPORT, status=Activity.Status.FINISHED, starts_at=at(year, month, 20, 9)
            )
            for event in range(2):
                competition = CompetitionFactory(activity=meet, team_size_min=2, team_size_max=3)
                entrants = rng.sample(taking_part, 16 + 8 * event)
                for place_no, unit in enumerate(entrants, start=1):
                    team = TeamFactory(
                        competition=competition, unit=unit, place_no=place_no, members=cadres[unit.pk][:2]
                    )
                    if place_no <= 6:
                        points = Decimal((7, 5, 4, 3, 2, 1)[place_no - 1])
                        Placing.objects.create(
                            competition=competition, team=team, unit=unit, place=place_no, points=points
                        )
    return units


def build(path: Path, period: Period, language: str) -> None:
    now = timezone.now()
    with translation.override(language):
        build_workbook(
            path=path,
            period=period,
            context=BuildContext(requested_by="领导甲 (L0001)", generated_at=now, data_as_of=now, version=3),
        )


def to_pdf(workbooks: list[Path], outdir: Path, profile: Path) -> None:
    # A private profile: a developer's own LibreOffice (or a second test run) must not share or lock it.
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, workbooks),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)[1])


def pages_by_sheet(pages: list[str], *, period: Period, language: str) -> dict[str, list[str]]:
    """Each page's sheet, read from its footer: "<report> · <dates>   <sheet>   Page x of y"."""
    with translation.override(language):
        title = report_title(period)
        names = {key: sheet_title(translation.gettext(key)) for key in ("Summary", "Units", "Activities", "About")}
        page_pattern = re.escape(translation.gettext("Page &P of &N")).replace("\\&P", r"\d+").replace("\\&N", r"\d+")
    by_sheet: dict[str, list[str]] = {key: [] for key in names}
    for number, page in enumerate(pages, start=1):
        footer = next((line for line in reversed(page.splitlines()) if re.search(page_pattern, line)), None)
        assert footer is not None and title in footer, f"page {number} has no footer naming the report:\n{page}"
        rest = footer.split(period.range_label, 1)[1]
        sheet = [key for key, name in names.items() if re.search(rf"(^|\s){re.escape(name)}(\s|$)", rest)]
        assert len(sheet) == 1, f"page {number}: which sheet? {footer!r}"
        by_sheet[sheet[0]].append(page)
    return by_sheet


def assert_prints_well(pdf: Path, *, period: Period, language: str, max_pages: int) -> dict[str, list[str]]:
    pages = pdf_pages(pdf)
    assert len(pages) == pdf_page_count(pdf)
    assert 4 <= len(pages) <= max_pages, f"{pdf.name}: {len(pages)} pages"
    by_sheet = pages_by_sheet(pages, period=period, language=language)
    with translation.override(language):
        gettext = translation.gettext
        # Two column headers of each tabular sheet, one left, one right, on every one of its pages: the header
        # row is repeated, and no page holds only the left or the right part of the rows (one page wide; the
        # first column is repeated too, so it cannot tell).
        edges = {
            "Units": (gettext("Kind of unit"), gettext("Team points")),
            "Activities": (gettext("Venue"), gettext("Team members")),
        }
    for sheet, (first, last) in edges.items():
        assert by_sheet[sheet], f"no page of {sheet}"
        for page in by_sheet[sheet]:
            # A header may wrap over lines: its first word is enough to tell the column.
            assert first.split()[0] in page and last.split()[0] in page, f"{sheet} page without its header:\n{page}"
    assert len(by_sheet["Units"]) >= 2  # 60 units run over a page: the header row must repeat
    assert 1 <= len(by_sheet["Summary"]) <= 5
    assert len(by_sheet["About"]) <= 2
    # Every unit on the Units sheet, each on one line (not cut between pages).
    units_text = "\n".join(by_sheet["Units"])
    assert sum(units_text.count(f"{n + 1:02d}") >= 1 for n in range(UNITS)) == UNITS
    return by_sheet


def test_quarterly_and_annual_workbooks_print_one_page_wide_with_titles_and_footers(tmp_path):
    _require("soffice", "pdftotext", "pdfinfo")
    demo_world()
    quarter, year = Period(2025, 2), Period(2025)
    quarterly, annual = tmp_path / "quarterly-2025-Q2.xlsx", tmp_path / "annual-2025.xlsx"
    build(quarterly, quarter, "zh-hans")
    build(annual, year, "en")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    to_pdf([quarterly, annual], ARTIFACTS, tmp_path / "lo-profile")

    by_sheet = assert_prints_well(ARTIFACTS / "quarterly-2025-Q2.pdf", period=quarter, language="zh-hans", max_pages=12)
    summary = "\n".join(by_sheet["Summary"])
    with translation.override("zh-hans"):
        gettext = translation.gettext
        sentence = gettext("This quarter: %(activities)s, %(participations)s, %(units)s, %(volunteers)s, %(cost)s")
        missing = gettext("volunteers not yet recorded")
    compact = re.sub(r"\s", "", summary)  # the sentence wraps over lines
    assert re.sub(r"\s", "", sentence.split("%")[0]) in compact  # the published sentence...
    assert re.sub(r"\s", "", missing) in compact  # ...saying what is not recorded yet
    by_sheet = assert_prints_well(ARTIFACTS / "annual-2025.pdf", period=year, language="en", max_pages=14)
    summary = "\n".join(by_sheet["Summary"])
    assert "This year:" in summary and "Units with no participation (7)" in summary
    assert "2025-12" in summary  # the twelve months of the trend table

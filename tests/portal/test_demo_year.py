"""After `seed_demo`, every workbook of the past year has figures: the demo season spreads over the calendar."""

import io
from datetime import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from portal.demo_registry import FINISHED_QUARTERS, DemoCalendar
from portal.models import CadreTenure, Report
from portal.reports import services
from portal.reports.figures import per_unit_figures, period_figures
from portal.reports.periods import Period, reportable_periods


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"


def year_ago(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(year=local.year - 1, day=min(local.day, 28) if local.month == 2 else local.day)


def quarters_of_the_past_year(now: datetime) -> list[Period]:
    """The finished quarters leadership can generate that ended in the past twelve months."""
    return [p for p in reportable_periods(now) if not p.is_annual and p.natural_end > year_ago(now)]


def rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True) if any(value is not None for value in row)]


@pytest.mark.django_db
def test_every_finished_quarter_of_the_past_year_has_figures_and_a_full_workbook(django_capture_on_commit_callbacks):
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    now = timezone.now()
    quarters = quarters_of_the_past_year(now)
    assert len(quarters) == FINISHED_QUARTERS

    for period in quarters:
        figures = period_figures(period)
        totals = figures.totals
        assert totals["activities_held"] >= 3, period
        assert totals["participations"] >= 200, period  # hundreds of person-times at the demo scale
        assert totals["cadres_reached"] > 0 and totals["units_reached"] >= 20, period
        per_unit = per_unit_figures(figures).values()
        assert sum(row["gold"] for row in per_unit) > 0, period  # a competition finished, with medals
        # Staff changes during the season (portal.demo_history): figures as of each quarter stay within the roster.
        assert all(row["cadres_reached"] <= row["active_cadres"] for row in per_unit), period
        assert sum(row["participations"] for row in per_unit) == totals["participations"], period
        assert sum(row["points"] for row in per_unit) > 0, period
    last_year = Period(timezone.localtime(now).year - 1)
    assert period_figures(last_year).totals["participations"] > 0
    left = CadreTenure.objects.filter(ended_at__isnull=False)
    season_start = min(period.start for period in quarters)
    assert left.count() >= 10
    assert all(season_start <= end < now for end in left.values_list("ended_at", flat=True))

    # The last finished quarter's workbook, generated as leadership does: every sheet has rows of figures.
    last = Period.containing(now).previous_quarter()
    leader = get_user_model().objects.get(username="leader")
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=leader, year=last.year, quarter=last.quarter, language="en")
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    assert report.headline["activities_held"] >= 3 and report.headline["participations"] >= 200
    with report.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    # The workbook is in English: its sheets and labels are the msgids.
    summary = {row[0]: row[1] for row in rows(workbook["Summary"])}
    assert summary["Activities held"] >= 3
    assert summary["Participations (person-times)"] >= 200
    units = rows(workbook["Units"])
    header, body = units[0], units[1:]
    participations = header.index("Participations (person-times)")
    assert sum(1 for row in body if row[participations]) >= 20
    activities = rows(workbook["Activities"])[1:]
    assert len(activities) >= 3


@pytest.mark.parametrize(
    "moment",
    [
        (2027, 1, 1, 0, 30),  # the first minutes of a year: last year's Q4 has just finished
        (2026, 3, 31, 23, 30),  # the last minutes of a quarter
        (2026, 7, 15, 12, 0),
        (2028, 2, 29, 9, 0),  # a leap day
    ],
)
def test_the_calendar_covers_the_quarters_leadership_can_generate(moment):
    now = timezone.make_aware(datetime(*moment))
    calendar = DemoCalendar(now=now)
    finished = calendar.finished_quarters
    assert finished == quarters_of_the_past_year(now)[::-1]
    assert sorted(p.quarter for p in finished) == [1, 2, 3, 4]
    assert finished[-1].next_quarter() == calendar.current_quarter
    assert all(a.next_quarter() == b for a, b in zip(finished, finished[1:], strict=False))
    assert calendar.quarters == [*finished, calendar.current_quarter]
    # The months run from the oldest finished quarter to two months after this one, one per month.
    months = calendar.months
    assert months[0] == timezone.localdate(finished[0].start)
    assert len(months) == len(set(months)) and months == sorted(months)
    today = calendar.today
    assert months[-1].year * 12 + months[-1].month == today.year * 12 + today.month + 2
    assert calendar.is_past(calendar.from_today(-1, 9)) and calendar.is_ahead(calendar.from_today(1, 9))
    assert not calendar.is_ahead(calendar.ahead_until) and calendar.ahead_until > timezone.make_aware(
        datetime(months[-1].year, months[-1].month, 28)
    )


def test_a_day_past_the_end_of_a_short_month_is_its_last_day():
    calendar = DemoCalendar(now=timezone.make_aware(datetime(2026, 6, 1, 9)))
    assert timezone.localtime(calendar.on(Period(2026, 1), 1, 31, 9)).date() == datetime(2026, 2, 28).date()
    assert timezone.localtime(calendar.on(Period(2028, 1), 1, 30, 9)).date() == datetime(2028, 2, 29).date()
    with pytest.raises(ValueError):
        calendar.on(Period(2026, 1), 3, 1, 9)

"""The report benchmark's loader and floor on a tenth of the city (PostgreSQL only: the loader is raw SQL).

The loader must write rows the application could have written (foreign keys, unique constraints, flags that agree
with the history tables), and the report's figures must equal the hand-written SQL floor's on that data.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

from portal.bench.report_data import load_year
from portal.bench.report_floor import compare, floor_figures, report_side
from portal.models import Cadre, CadreTenure, Unit, UnitActiveSpan
from portal.reports.periods import Period

# The services suite: it runs on PostgreSQL (the loader is PostgreSQL's SQL), never skipped in CI.
pytestmark = [pytest.mark.django_db, pytest.mark.services]

YEAR = 2025


@pytest.fixture
def loaded():
    with connection.cursor() as cursor:
        # Django's foreign keys are checked at COMMIT, which a test never reaches: check each statement instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return load_year(0.1, YEAR, skip_foreign_key_checks=False)


def test_the_flags_agree_with_the_history(loaded):
    assert Unit.objects.count() == 10
    assert Cadre.objects.count() == 3000
    open_tenure = CadreTenure.objects.filter(cadre=OuterRef("pk"), ended_at__isnull=True)
    any_tenure = CadreTenure.objects.filter(cadre=OuterRef("pk"))
    cadres = Cadre.objects.annotate(has_open=Exists(open_tenure), has_any=Exists(any_tenure))
    # Active means: an open tenure in the current unit, or no history at all.
    assert not cadres.filter(is_active=True, has_any=True, has_open=False).exists()
    assert not cadres.filter(is_active=False, has_open=True).exists()
    assert not cadres.filter(is_active=False, has_any=False).exists()
    assert not CadreTenure.objects.filter(ended_at__isnull=True).exclude(unit=F("cadre__unit")).exists()
    moved = CadreTenure.objects.filter(started_at__year=YEAR, ended_at__isnull=True)
    assert moved.exists()
    open_span = UnitActiveSpan.objects.filter(unit=OuterRef("pk"), ended_at__isnull=True)
    any_span = UnitActiveSpan.objects.filter(unit=OuterRef("pk"))
    units = Unit.objects.annotate(has_open=Exists(open_span), has_any=Exists(any_span))
    assert not units.filter(
        Q(is_active=True, has_any=True, has_open=False) | Q(is_active=False, has_open=True)
    ).exists()
    assert units.filter(is_active=False).count() == 3  # one closed before the year, two during it


def test_the_floor_counts_only_what_counts(loaded):
    annual = floor_figures(Period(YEAR))
    totals = annual["totals"]
    assert totals["activities_held"] == 64  # 56 individual (5 at Beijing-time boundaries) + 8 meets
    assert totals["participations"] == annual["signups"] + annual["team_members"]
    assert 20_000 < totals["participations"] < 35_000
    assert 0 < totals["cadres_reached"] < totals["active_cadres"] < 3000
    assert sum(annual["months"].values()) == totals["participations"]
    assert sum(row["participations"] for row in annual["units"].values()) == totals["participations"]
    assert sum(row["active_cadres"] for row in annual["units"].values()) == totals["active_cadres"]


@pytest.mark.parametrize("period", [Period(YEAR, 1), Period(YEAR, 2), Period(YEAR, 3), Period(YEAR)], ids=str)
def test_the_report_agrees_with_the_floor(loaded, period):
    mismatches = [line for line in compare(report_side(period), floor_figures(period)) if not line[1]]
    assert mismatches == []


def test_the_command_prints_every_figure_and_the_goals():
    out = StringIO()
    call_command("bench_report", "--scales", "0.1", "--year", str(YEAR), "--runs", "1", "--no-tracemalloc", stdout=out)
    text = out.getvalue()
    assert "=== scale 0.1 ===" in text
    assert "MISMATCH" not in text
    assert text.count("vs floor: all MATCH") == 2
    assert "goal, annual at scale 0.1" in text

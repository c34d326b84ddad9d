"""The report's figures against a hand-counted fixture: 3 activities held, 5 cadres from 2 units, 1 idle unit.

Second quarter of 2025 (Beijing time). Unit A: a1, a2, a3; unit B: b1, b2; unit C: c1 (takes part in nothing).
- Sports day (sport, finished, 10 April): competition X with team A1 (a1, a2), team B1 (b1) and a withdrawn team
  B2 (b2); competition Y with team A2 (a1). Places: A1 1st (7 points), B1 2nd (5), A2 3rd (4).
- Reading salon (reading, published, 20 May): confirmed a1, a3, b2; b1 waitlisted, a2 cancelled.
- Late talk (sport, closed, 30 June 23:30): confirmed a2.
Not held in Q2: a draft and a cancelled activity in May, an activity at 00:30 on 1 July, one at 23:59 on 31 March.

Person-times: X 3 + Y 1 + salon 3 + talk 1 = 8. Cadres reached: a1 a2 a3 b1 b2 = 5. Units reached 2 of 3 active.
Unit A: 2 + 1 + 2 + 1 = 6 person-times, 3 of 3 cadres, gold 1, bronze 1, 11 points. Unit B: 1 + 1 = 2, 2 of 2,
silver 1, 5 points. Unit C: nothing.
"""

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from activities.models import Activity, Placing, Registration, Team
from activities.reports import ActivitiesContribution
from portal.reports.figures import per_unit_figures, period_figures, unit_rows
from portal.reports.periods import Period
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

Q2 = Period(2025, 2)


def at(*args):
    return timezone.make_aware(datetime(*args))


def sign_up(activity, cadre, status=Registration.Status.CONFIRMED):
    return Registration.objects.create(activity=activity, cadre=cadre, status=status)


@pytest.fixture
def world():
    unit_a = UnitFactory(name="市甲局", short_name="甲局")
    unit_b = UnitFactory(name="市乙局", short_name="乙局")
    unit_c = UnitFactory(name="市丙局", short_name="丙局")
    a1, a2, a3 = (CadreFactory(unit=unit_a) for _ in range(3))
    b1, b2 = (CadreFactory(unit=unit_b) for _ in range(2))
    c1 = CadreFactory(unit=unit_c)

    sports_day = ActivityFactory(
        kind=Activity.Kind.SPORT, status=Activity.Status.FINISHED, starts_at=at(2025, 4, 10, 9), title="运动日"
    )
    x = CompetitionFactory(activity=sports_day, team_size_max=3)
    y = CompetitionFactory(activity=sports_day, team_size_max=3)
    team_a1 = TeamFactory(competition=x, unit=unit_a, members=[a1, a2])
    team_b1 = TeamFactory(competition=x, unit=unit_b, members=[b1])
    TeamFactory(competition=x, unit=unit_b, members=[b2], status=Team.Status.WITHDRAWN)
    team_a2 = TeamFactory(competition=y, unit=unit_a, members=[a1])
    Placing.objects.create(competition=x, team=team_a1, unit=unit_a, place=1, points=Decimal(7))
    Placing.objects.create(competition=x, team=team_b1, unit=unit_b, place=2, points=Decimal(5))
    Placing.objects.create(competition=y, team=team_a2, unit=unit_a, place=3, points=Decimal(4))

    salon = ActivityFactory(
        kind=Activity.Kind.READING, status=Activity.Status.PUBLISHED, starts_at=at(2025, 5, 20, 14), title="读书会"
    )
    for cadre in (a1, a3, b2):
        sign_up(salon, cadre)
    sign_up(salon, b1, Registration.Status.WAITLISTED)
    sign_up(salon, a2, Registration.Status.CANCELLED)

    talk = ActivityFactory(
        kind=Activity.Kind.SPORT, status=Activity.Status.CLOSED, starts_at=at(2025, 6, 30, 23, 30), title="夜谈"
    )
    sign_up(talk, a2)

    # Not held in the quarter: wrong status or outside it (boundaries in Beijing time).
    for status, starts_at in (
        (Activity.Status.DRAFT, at(2025, 5, 1, 9)),
        (Activity.Status.CANCELLED, at(2025, 5, 2, 9)),
        (Activity.Status.FINISHED, at(2025, 7, 1, 0, 30)),
        (Activity.Status.FINISHED, at(2025, 3, 31, 23, 59)),
    ):
        other = ActivityFactory(kind=Activity.Kind.SPORT, status=status, starts_at=starts_at)
        sign_up(other, a1)
        sign_up(other, c1)
        competition = CompetitionFactory(activity=other)
        team = TeamFactory(competition=competition, unit=unit_c, members=[c1])
        Placing.objects.create(competition=competition, team=team, unit=unit_c, place=1, points=Decimal(7))
    return {"units": (unit_a, unit_b, unit_c), "cadres": (a1, a2, a3, b1, b2, c1)}


def activities_figures(period):
    return period_figures(period, [ActivitiesContribution()]).apps["activities"]


def test_activities_figures_match_the_hand_count(world):
    figures = activities_figures(Q2)
    assert figures["activities_held"] == 3
    assert figures["participations"] == 8
    assert figures["individual_participations"] == 4
    assert figures["team_participations"] == 4
    assert figures["cadres_reached"] == 5
    assert figures["units_reached"] == 2
    kinds = {row["key"]: row for row in figures["breakdown"]["rows"]}
    assert set(kinds) == set(Activity.Kind.values)
    assert (kinds["sport"]["activities_held"], kinds["sport"]["participations"]) == (2, 5)
    assert (kinds["sport"]["cadres_reached"], kinds["sport"]["units_reached"]) == (3, 2)
    assert (kinds["reading"]["activities_held"], kinds["reading"]["participations"]) == (1, 3)
    assert (kinds["reading"]["cadres_reached"], kinds["reading"]["units_reached"]) == (3, 2)
    assert kinds["culture"]["participations"] == 0
    assert period_figures(Q2).totals["by_month"] == {4: 4, 5: 3, 6: 1}


def test_per_unit_figures_match_the_hand_count(world):
    unit_a, unit_b, unit_c = world["units"]
    units = per_unit_figures(period_figures(Q2))
    assert units[unit_a.pk] == {
        "participations": 6,
        "cadres_reached": 3,
        "active_cadres": 3,
        "gold": 1,
        "silver": 0,
        "bronze": 1,
        "points": Decimal(11),
    }
    assert units[unit_b.pk] == {
        "participations": 2,
        "cadres_reached": 2,
        "active_cadres": 2,
        "gold": 0,
        "silver": 1,
        "bronze": 0,
        "points": Decimal(5),
    }
    assert units[unit_c.pk]["participations"] == 0


def test_combined_totals_reach_and_coverage(world):
    totals = period_figures(Q2).totals
    assert totals["activities_held"] == 3
    assert totals["participations"] == 8
    assert totals["cadres_reached"] == 5
    assert totals["units_reached"] == 2
    assert totals["active_units"] == 3
    assert totals["active_cadres"] == 6
    assert totals["coverage"] == pytest.approx(2 / 3)
    assert totals["reach"] == pytest.approx(5 / 6)
    assert totals["cost"] is None


def test_unit_rows_one_per_active_unit_in_display_order(world):
    unit_a, unit_b, unit_c = world["units"]
    rows = {row.unit_id: row for row in unit_rows(period_figures(Q2))}
    assert list(rows) == [unit_a.pk, unit_b.pk, unit_c.pk]
    a, b, c = rows[unit_a.pk], rows[unit_b.pk], rows[unit_c.pk]
    assert (a.active_cadres, a.participations, a.cadres_reached, a.reach) == (3, 6, 3, 1.0)
    assert (a.gold, a.silver, a.bronze, a.medals, a.points) == (1, 0, 1, 2, Decimal(11))
    assert (b.active_cadres, b.participations, b.cadres_reached, b.reach) == (2, 2, 2, 1.0)
    assert (b.silver, b.points) == (1, Decimal(5))
    assert (c.active_cadres, c.participations, c.cadres_reached, c.reach, c.medals) == (1, 0, 0, 0.0, 0)


def test_a_cadre_in_two_apps_is_reached_once(world):
    """Person-times add up across contributions; distinct cadres are counted once over all of them."""
    from django.db.models import Value

    from portal.models import Cadre
    from portal.reports.registry import ReportContribution, participation_rows

    a1 = world["cadres"][0]
    c1 = world["cadres"][5]

    class Clubs(ReportContribution):
        key = "clubs-test"

        def participations(self, period):
            # One club session each on 15 May: a1 and c1.
            return [
                participation_rows(
                    Cadre.objects.filter(pk__in=[a1.pk, c1.pk]).annotate(when=Value(at(2025, 5, 15))),
                    cadre="pk",
                    category=Value("chess"),
                    when="when",
                )
            ]

        def figures(self, period, participation):
            return {"activities_held": 1, "sessions": participation.total.participations}

    totals = period_figures(Q2, [ActivitiesContribution(), Clubs()]).totals
    assert totals["participations"] == 10
    assert totals["activities_held"] == 4
    assert totals["cadres_reached"] == 6  # a1 already counted; c1 is new
    assert totals["units_reached"] == 3
    assert totals["coverage"] == 1.0
    assert totals["by_month"] == {4: 4, 5: 5, 6: 1}


def test_units_and_cadres_inactive_without_history_count_as_never_active(world):
    """Flags changed behind the services' back (no recorded history): the unit and the cadre are out of every
    period, their person-times still counted and credited, never dropped."""
    unit_a, unit_b, unit_c = world["units"]
    a3 = world["cadres"][2]
    a3.is_active = False
    a3.save()
    unit_b.is_active = False
    unit_b.save()
    figures = period_figures(Q2)
    assert figures.totals["participations"] == 8
    assert figures.totals["cadres_reached"] == 2  # a1, a2: a3 left, unit B is out
    assert figures.totals["units_reached"] == 1
    assert figures.totals["active_units"] == 2
    assert figures.totals["coverage"] == 0.5
    rows = {row.unit_id: row for row in unit_rows(figures)}
    assert not rows[unit_b.pk].active_in_period
    assert rows[unit_b.pk].participations == 2
    assert rows[unit_a.pk].active_cadres == 2
    assert sum(row.participations for row in rows.values()) == 8


def test_an_empty_period_has_zero_figures(world):
    totals = period_figures(Period(2024, 1)).totals
    assert (totals["activities_held"], totals["participations"], totals["cadres_reached"]) == (0, 0, 0)
    assert totals["coverage"] == 0.0


def test_year_to_date_ignores_what_has_not_started(world):
    cutoff = at(2025, 5, 1)
    totals = period_figures(Period(2025, None, cutoff=cutoff)).totals
    # Only the sports day (10 April) and the 31 March finished activity (c1 and a1, one team member) count.
    assert totals["activities_held"] == 2
    assert totals["participations"] == 4 + 3

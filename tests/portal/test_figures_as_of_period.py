"""Figures as they stood in the period: deactivating or moving people and closing units later changes nothing.

The fixture is test_reports_figures' hand-counted second quarter of 2025 (3 activities, 8 person-times, 5 cadres of
units A and B reached, unit C idle). History is written by the services, as it is in production.
"""

from datetime import datetime
from unittest import mock

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from portal import history, services
from portal.models import Cadre, CadreTenure, Unit, UnitActiveSpan
from portal.reports.builder import BuildContext, build_workbook
from portal.reports.figures import per_unit_figures, period_figures, unit_rows
from portal.reports.periods import Period
from tests.factories import CadreFactory, UnitFactory
from tests.portal.test_reports_figures import world  # noqa: F401 - the shared hand-counted fixture

pytestmark = pytest.mark.django_db

Q2 = Period(2025, 2)
Q3 = Period(2025, 3)


def at(*args):
    return timezone.make_aware(datetime(*args))


def freeze_time(moment):
    """The services stamp history with timezone.now(): pretend the change happens at `moment`."""
    return mock.patch.object(timezone, "now", return_value=moment)


def figures_of(period):
    figures = period_figures(period)
    rows = [
        (row.unit_id, row.active_cadres, row.participations, row.cadres_reached, row.medals, row.points)
        for row in unit_rows(figures)
    ]
    totals = {key: value for key, value in figures.totals.items()}
    return totals, rows


def workbook_values(tmp_path, name):
    path = tmp_path / name
    moment = at(2026, 1, 5, 9)
    build_workbook(path=path, period=Q2, context=BuildContext("staff", moment, moment))
    book = load_workbook(path)
    return {title: [row for row in book[title].iter_rows(values_only=True)] for title in book.sheetnames}


def test_a_quarter_regenerated_a_year_later_gives_the_same_figures(world, staff_user):  # noqa: F811
    unit_a, unit_b, unit_c = world["units"]
    a1, a2, a3, b1, b2, c1 = world["cadres"]
    before = figures_of(Q2)

    with freeze_time(at(2026, 3, 1, 10)):
        services.cadres_set_active(actor=staff_user, cadres=[a3, b1], active=False)  # they left
        a2.unit = unit_c
        services.cadre_save(actor=staff_user, cadre=a2)  # moved to C
        services.units_set_active(actor=staff_user, units=[unit_b], active=False)  # B was merged away
        CadreFactory.create_batch(4, unit=unit_c)  # new hires, through the factory: no history at all
        for _ in range(3):
            services.cadre_save(actor=staff_user, cadre=CadreFactory.build(unit=unit_a, user=None))
        new_unit = Unit(name="市新设局", code="NEW-1")
        new_unit.save()
        history.units_started([new_unit.pk])

    after = figures_of(Q2)
    # The factory's cadres have no history: like legacy rows they count since records began; everything written
    # through the services (leavers, the move, the closed unit, the three hires, the new unit) changes nothing.
    before_totals, before_rows = before
    after_totals, after_rows = after
    assert after_totals["active_cadres"] == before_totals["active_cadres"] + 4
    before_totals["active_cadres"] = after_totals["active_cadres"] = None
    before_totals["reach"] = after_totals["reach"] = None
    assert after_totals == before_totals
    assert [row[:1] + row[2:] for row in after_rows] == [row[:1] + row[2:] for row in before_rows]


def test_everything_written_through_the_services_leaves_a_past_workbook_identical(world, staff_user, tmp_path):  # noqa: F811
    unit_a, unit_b, unit_c = world["units"]
    a1, a2, a3, b1, b2, c1 = world["cadres"]
    before = workbook_values(tmp_path, "before.xlsx")
    with freeze_time(at(2026, 3, 1, 10)):
        services.cadres_set_active(actor=staff_user, cadres=[a3, b1, c1], active=False)
        a2.unit = unit_c
        services.cadre_save(actor=staff_user, cadre=a2)
        services.units_set_active(actor=staff_user, units=[unit_b], active=False)
        services.cadre_save(actor=staff_user, cadre=CadreFactory.build(unit=unit_a, user=None))
    after = workbook_values(tmp_path, "after.xlsx")
    assert after == before


def test_a_cadre_deactivated_during_a_quarter_counts_in_it_not_after(world, staff_user):  # noqa: F811
    unit_a = world["units"][0]
    a3 = world["cadres"][2]
    with freeze_time(at(2025, 6, 10, 12)):
        services.cadres_set_active(actor=staff_user, cadres=[a3], active=False)
    assert per_unit_figures(period_figures(Q2))[unit_a.pk]["active_cadres"] == 3
    assert per_unit_figures(period_figures(Q2))[unit_a.pk]["cadres_reached"] == 3
    assert per_unit_figures(period_figures(Q3))[unit_a.pk]["active_cadres"] == 2
    tenure = CadreTenure.objects.get(cadre=a3)
    assert (tenure.unit_id, tenure.started_at, tenure.ended_at) == (unit_a.pk, None, at(2025, 6, 10, 12))


def test_a_cadre_moved_during_a_quarter_counts_in_the_new_unit(world, staff_user):  # noqa: F811
    unit_a, unit_b, unit_c = world["units"]
    a1 = world["cadres"][0]
    with freeze_time(at(2025, 5, 1, 12)):
        a1.unit = unit_c
        services.cadre_save(actor=staff_user, cadre=a1)
    units = per_unit_figures(period_figures(Q2))
    # a1 took part in April (in A) and May: credited where they stood at the quarter's end, C.
    assert units[unit_c.pk]["cadres_reached"] == 1
    assert units[unit_c.pk]["participations"] == 3  # two teams and the reading salon
    assert units[unit_a.pk]["active_cadres"] == 2
    assert units[unit_a.pk]["participations"] == 3
    q1_units = per_unit_figures(period_figures(Period(2025, 1)))
    assert q1_units[unit_a.pk]["active_cadres"] == 3
    assert q1_units[unit_c.pk]["active_cadres"] == 1


def test_a_unit_closed_during_a_quarter_is_listed_for_it_and_not_after(world, staff_user):  # noqa: F811
    unit_b = world["units"][1]
    with freeze_time(at(2025, 6, 1)):
        services.units_set_active(actor=staff_user, units=[unit_b], active=False)
    q2 = period_figures(Q2)
    assert q2.totals["active_units"] == 3 and q2.totals["units_reached"] == 2
    assert [row.unit_id for row in unit_rows(q2)].count(unit_b.pk) == 1
    q3 = period_figures(Q3)
    assert q3.totals["active_units"] == 2
    assert unit_b.pk not in [row.unit_id for row in unit_rows(q3)]
    span = UnitActiveSpan.objects.get(unit=unit_b)
    assert (span.started_at, span.ended_at) == (None, at(2025, 6, 1))


def test_a_unit_reactivated_has_two_spans_and_counts_in_both(staff_user):
    unit = UnitFactory()
    with freeze_time(at(2025, 2, 1)):
        services.units_set_active(actor=staff_user, units=[unit], active=False)
    with freeze_time(at(2025, 8, 1)):
        services.units_set_active(actor=staff_user, units=[unit], active=True)
    assert list(UnitActiveSpan.objects.filter(unit=unit).values_list("started_at", "ended_at")) == [
        (None, at(2025, 2, 1)),
        (at(2025, 8, 1), None),
    ]
    assert unit.pk in period_figures(Period(2025, 1)).snapshot.active_units
    assert unit.pk not in period_figures(Q2).snapshot.active_units
    assert unit.pk in period_figures(Q3).snapshot.active_units


def test_reach_never_exceeds_the_roster(world, staff_user):  # noqa: F811
    """A participant who left before the period (a stale team entry) counts in person-times, not in reach."""
    unit_a = world["units"][0]
    a2 = world["cadres"][1]
    with freeze_time(at(2025, 3, 1)):
        services.cadres_set_active(actor=staff_user, cadres=[a2], active=False)
    figures = period_figures(Q2)
    assert figures.totals["participations"] == 8
    for row in unit_rows(figures):
        assert row.cadres_reached <= row.active_cadres
    assert per_unit_figures(figures)[unit_a.pk]["participations"] == 6
    assert figures.totals["reach"] <= 1 and figures.totals["coverage"] <= 1


def test_a_cadre_created_inactive_and_later_activated_counts_from_then(staff_user, unit):
    with freeze_time(at(2025, 7, 1)):
        cadre = CadreFactory.build(unit=unit, user=None, is_active=False)
        services.cadre_save(actor=staff_user, cadre=cadre)
    assert not CadreTenure.objects.filter(cadre=cadre).exists()
    with freeze_time(at(2025, 8, 1)):
        services.cadres_set_active(actor=staff_user, cadres=[cadre], active=True)
    assert per_unit_figures(period_figures(Q2)).get(unit.pk, {}).get("active_cadres", 0) == 0
    assert per_unit_figures(period_figures(Q3))[unit.pk]["active_cadres"] == 1


def test_the_roster_import_records_new_cadres_and_moves(staff_user):
    """Bulk writes keep the history too (portal.history is called by the import)."""
    old, new = UnitFactory(), UnitFactory()
    mover = CadreFactory(unit=old)
    with freeze_time(at(2025, 8, 15)):
        history.cadres_moved({mover.pk: (old.pk, new.pk)})
        Cadre.objects.filter(pk=mover.pk).update(unit=new)
    assert list(CadreTenure.objects.filter(cadre=mover).values_list("unit_id", "started_at", "ended_at")) == [
        (old.pk, None, at(2025, 8, 15)),
        (new.pk, at(2025, 8, 15), None),
    ]
    q2 = per_unit_figures(period_figures(Q2))
    assert q2[old.pk]["active_cadres"] == 1 and q2[new.pk]["active_cadres"] == 0
    q3 = per_unit_figures(period_figures(Q3))
    assert q3[old.pk]["active_cadres"] == 0 and q3[new.pk]["active_cadres"] == 1


def test_the_admin_shows_the_recorded_history(client, staff_user):
    from django.urls import reverse

    unit = UnitFactory(name="市原单位")
    cadre = CadreFactory(unit=unit)
    with freeze_time(at(2025, 6, 10, 12)):
        services.cadres_set_active(actor=staff_user, cadres=[cadre], active=False)
        services.units_set_active(actor=staff_user, units=[unit], active=False)
    client.force_login(staff_user)
    page = client.get(reverse("admin:portal_cadre_change", args=[cadre.pk])).content.decode()
    assert "市原单位" in page and "2025" in page
    page = client.get(reverse("admin:portal_unit_change", args=[unit.pk])).content.decode()
    assert "2025" in page

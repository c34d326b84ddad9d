"""Demo staff changes over the season: some cadres leave, some move to another unit, on dates in the finished
quarters, written through portal.history as the services would have. The reports then show figures as of each
period (a leaver counts in the quarters they were there, a mover in their unit of the time)."""

from __future__ import annotations

from . import history, services
from .demo_data import EMPLOYEE_PREFIX
from .models import Cadre, CadreTenure

# Per finished quarter, this many cadres leave and this many move to another unit. A fixed number, taken from the
# lowest employee numbers: the same people whatever the scale, so a demo database extended to city scale ends up
# like a fresh city-scale one (seed_demo is deterministic), and the seeder's statements do not grow with the data.
CHANGES_PER_QUARTER = 3


def _candidates() -> list[tuple[int, int]]:
    """(cadre, unit) of demo cadres that may change, lowest employee numbers first: not liaisons, and not the
    first cadre of a unit (the demo's cadre login)."""
    rows = (
        Cadre.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX, is_liaison=False)
        .order_by("employee_no")
        .values_list("pk", "unit_id")
    )
    seen_units, candidates = set(), []
    for pk, unit_id in rows:
        if unit_id in seen_units:
            candidates.append((pk, unit_id))
        seen_units.add(unit_id)
    return candidates


def seed_staff_changes(*, scale: str, progress, calendar) -> str:
    """Idempotent: once any history is recorded the demo's changes are considered made."""
    if CadreTenure.objects.exists():
        return "staff changes already recorded"
    quarters = calendar.finished_quarters
    needed = 2 * CHANGES_PER_QUARTER * len(quarters)
    candidates = _candidates()[: needed + 1]
    if len(candidates) <= needed:
        return "too few cadres for staff changes"
    for index, quarter in enumerate(quarters):
        moment = calendar.on(quarter, index % 3, 10 + index, 10)
        chosen = candidates[2 * CHANGES_PER_QUARTER * index : 2 * CHANGES_PER_QUARTER * (index + 1) + 1]
        leaving = dict(chosen[0:-1:2])
        # A mover joins the unit of the next cadre on the list (or the one before when that is their own unit).
        moving = {}
        for position in range(1, len(chosen) - 1, 2):
            pk, unit_id = chosen[position]
            target = chosen[position + 1][1] if chosen[position + 1][1] != unit_id else chosen[position - 1][1]
            if target != unit_id:
                moving[pk] = (unit_id, target)
        services.cadres_set_active(actor=None, cadres=[Cadre(pk=pk) for pk in leaving], active=False, at=moment)
        # No service moves cadres in bulk (the roster import does it inside its own write): the same two steps.
        history.cadres_moved(moving, at=moment)
        Cadre.objects.bulk_update([Cadre(pk=pk, unit_id=new) for pk, (_old, new) in moving.items()], ["unit_id"])
        services.units_roster_changed({unit for pair in moving.values() for unit in pair})
    changes = len(quarters) * CHANGES_PER_QUARTER
    return f"about {changes} cadres left and {changes} moved unit during the season"

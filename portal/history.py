"""When cadres and units were active, and where: the history the reports read to give figures as of a period.

Called by the services that change a cadre's unit or activation or a unit's activation (portal.services, the
roster import, the unit admin), inside their transactions, after their own locks; never on its own. A cadre or
unit without any recorded stretch is taken as active since records began (if active now), so the first change
writes that implicit stretch down before closing it. Bulk by design: an import moves thousands of cadres at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from .models import Cadre, CadreTenure, UnitActiveSpan


def _close_open(open_rows, owner_field: str, ids: list[int], at) -> set[int]:
    """End the open stretches of `ids` at `at`; a stretch that began at or after `at` is removed (it never
    lasted). Returns the ids that had an open stretch."""
    rows = list(open_rows.filter(**{f"{owner_field}__in": ids}).values_list("pk", owner_field, "started_at"))
    never_lasted = [pk for pk, _owner, started in rows if started is not None and started >= at]
    open_rows.filter(pk__in=never_lasted).delete()
    open_rows.filter(pk__in=[pk for pk, _owner, _started in rows]).exclude(pk__in=never_lasted).update(ended_at=at)
    return {owner for _pk, owner, _started in rows}


def _without_history(model, owner_field: str, ids: Iterable[int]) -> list[int]:
    recorded = set(model.objects.filter(**{f"{owner_field}__in": ids}).values_list(owner_field, flat=True))
    return [pk for pk in ids if pk not in recorded]


def cadres_started(cadre_units: dict[int, int], *, at=None) -> None:
    """Cadres became active in a unit at `at` (created active, reactivated): {cadre id: unit id}."""
    at = at or timezone.now()
    CadreTenure.objects.bulk_create(
        [CadreTenure(cadre_id=cadre_id, unit_id=unit_id, started_at=at) for cadre_id, unit_id in cadre_units.items()],
        batch_size=1000,
    )


def cadres_ended(cadre_units: dict[int, int], *, at=None) -> None:
    """Active cadres stopped being active at `at` (deactivated, or leaving a unit): {cadre id: their unit id}.

    A cadre with no recorded stretch gets one from the start of records to `at` in that unit.
    """
    at = at or timezone.now()
    ids = list(cadre_units)
    open_tenures = CadreTenure.objects.filter(ended_at__isnull=True)
    _close_open(open_tenures, "cadre_id", ids, at)
    implicit = _without_history(CadreTenure, "cadre_id", ids)
    CadreTenure.objects.bulk_create(
        [CadreTenure(cadre_id=cadre_id, unit_id=cadre_units[cadre_id], ended_at=at) for cadre_id in implicit],
        batch_size=1000,
    )


def cadres_moved(moves: dict[int, tuple[int, int]], *, at=None) -> None:
    """Active cadres moved from one unit to another at `at`: {cadre id: (old unit id, new unit id)}."""
    if not moves:
        return
    at = at or timezone.now()
    cadres_ended({cadre_id: old for cadre_id, (old, _new) in moves.items()}, at=at)
    cadres_started({cadre_id: new for cadre_id, (_old, new) in moves.items()}, at=at)


def cadre_changed(cadre: Cadre, *, unit_id: int, is_active: bool, at=None) -> None:
    """Record what one save changed: its unit and/or activation, given the stored values before the save."""
    at = at or timezone.now()
    if is_active and cadre.is_active and unit_id != cadre.unit_id:
        cadres_moved({cadre.pk: (unit_id, cadre.unit_id)}, at=at)
    elif is_active and not cadre.is_active:
        cadres_ended({cadre.pk: unit_id}, at=at)
    elif not is_active and cadre.is_active:
        cadres_started({cadre.pk: cadre.unit_id}, at=at)


def units_started(unit_ids: Iterable[int], *, at=None) -> None:
    """Units became active at `at` (created, reactivated)."""
    at = at or timezone.now()
    UnitActiveSpan.objects.bulk_create([UnitActiveSpan(unit_id=pk, started_at=at) for pk in unit_ids])


def units_ended(unit_ids: Iterable[int], *, at=None) -> None:
    """Active units were deactivated at `at`; one with no recorded span gets one from the start of records."""
    at = at or timezone.now()
    ids = list(unit_ids)
    _close_open(UnitActiveSpan.objects.filter(ended_at__isnull=True), "unit_id", ids, at)
    UnitActiveSpan.objects.bulk_create(
        [UnitActiveSpan(unit_id=pk, ended_at=at) for pk in _without_history(UnitActiveSpan, "unit_id", ids)]
    )

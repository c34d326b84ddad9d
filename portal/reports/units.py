"""The Units sheet (one row per unit active during the period), and what the Summary sheet needs from the same
pass over the units: the best and worst units by reach, and the units none of whose cadres took part.

The units are streamed once, for both sheets: the digest keeps the ten best and ten worst in two small heaps and
the units without participation in a list (units are a few hundred at most, never the cadres).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill

from .figures import PeriodFigures, UnitRow, unit_rows
from .sheets import Column, SheetWriter

RANKED_UNITS = 10
NO_PARTICIPATION_FILL = PatternFill("solid", bgColor="FCE4E4", fgColor="FCE4E4")


def rank_key(row: UnitRow) -> tuple:
    """Best first when sorted descending: reach (cadres reached / active cadres), then person-times per active
    cadre, then the lower unit id (a stable order between equals)."""
    return (row.reach, row.participations / row.active_cadres, -row.unit_id)


@dataclass
class UnitDigest:
    """The Summary's view of the units, gathered while the Units sheet streams them.

    Ranking by reach compares units of any size fairly (a share, not a count) and rewards reaching many cadres
    over a few cadres taking part many times; units without active cadres have no reach and are not ranked.
    """

    size: int = RANKED_UNITS
    ranked_count: int = 0
    no_participation: list[UnitRow] = field(default_factory=list)
    _best: list = field(default_factory=list)
    _worst: list = field(default_factory=list)

    def add(self, row: UnitRow) -> None:
        if not row.active_in_period:
            return  # a unit credited with figures after it closed: listed on the Units sheet, never ranked
        if row.participations == 0:
            self.no_participation.append(row)
        if not row.active_cadres:
            return
        self.ranked_count += 1
        key = rank_key(row)
        # Heaps of (key, unit_id, row): the unit id breaks ties before the rows themselves would be compared.
        self._push(self._best, (key, row.unit_id, row))
        self._push(self._worst, (tuple(-part for part in key), row.unit_id, row))

    def _push(self, heap: list, item) -> None:
        if len(heap) < self.size:
            heapq.heappush(heap, item)
        else:
            heapq.heappushpop(heap, item)

    @property
    def per_list(self) -> int:
        """How many units each list shows: ten, or half the ranked units, so the two lists never share a unit."""
        return min(self.size, self.ranked_count // 2)

    @property
    def top(self) -> list[UnitRow]:
        return [row for _key, _id, row in sorted(self._best, reverse=True)][: self.per_list]

    @property
    def bottom(self) -> list[UnitRow]:
        """The worst first."""
        return [row for _key, _id, row in sorted(self._worst, reverse=True)][: self.per_list]


def write_units(workbook: Workbook, figures: PeriodFigures) -> UnitDigest:
    """The Units sheet, streamed; returns the digest of the same rows for the Summary sheet."""
    columns = [
        Column(_("Unit"), 34),
        Column(_("Kind of unit"), 22),
        Column(_("Active cadres"), 10, "int"),
        Column(_("Participations (person-times)"), 14, "int"),
        Column(_("Cadres reached"), 10, "int"),
        Column(_("Reach"), 9, "percent"),
        Column(_("Gold"), 8, "int"),
        Column(_("Silver"), 8, "int"),
        Column(_("Bronze"), 8, "int"),
        Column(_("Medals"), 8, "int"),
        Column(_("Team points"), 12, "decimal"),
    ]
    writer = SheetWriter(workbook, _("Units"), columns)
    digest = UnitDigest()
    summed = ("active_cadres", "participations", "cadres_reached", "gold", "silver", "bronze", "medals")
    totals = dict.fromkeys(summed, 0)
    points = Decimal(0)
    for row in unit_rows(figures):
        digest.add(row)
        writer.row(
            [
                row.name,
                row.kind,
                row.active_cadres,
                row.participations,
                row.cadres_reached,
                row.reach,
                row.gold,
                row.silver,
                row.bronze,
                row.medals,
                row.points,
            ]
        )
        for key in summed:
            totals[key] += getattr(row, key)
        points += row.points
    last_row = writer.rows_written
    if last_row > 1:
        # Units with no participation stand out in red on screen; the Summary also lists them by name, because
        # shading is lost on a black-and-white printer.
        writer.sheet.conditional_formatting.add(
            f"A2:{writer.last_column}{last_row}", FormulaRule(formula=["$D2=0"], fill=NO_PARTICIPATION_FILL)
        )
    active = totals["active_cadres"]
    writer.row(
        [
            _("Total"),
            "",
            active,
            totals["participations"],
            totals["cadres_reached"],
            totals["cadres_reached"] / active if active else None,
            totals["gold"],
            totals["silver"],
            totals["bronze"],
            totals["medals"],
            points,
        ],
        bold=True,
    )
    return digest

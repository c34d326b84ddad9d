"""The one way the portal writes cells from user data into Excel.

openpyxl turns any string that starts with "=" into a live formula, so a unit called "=HYPERLINK(...)" would
become a link in every export and report (formula injection). Every string cell we write goes through here and
is stored as text; a leading "=", "+", "-" or "@" also gets Excel's quote prefix so that editing the cell in
Excel keeps it text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value: Any, *, font=None, fill=None, alignment=None, number_format=None):
    """A cell for `sheet` holding `value`; strings are stored as text, never as formulas.

    Works for write-only and ordinary worksheets (both accept the cell in `sheet.append`).
    """
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def safe_row(sheet, values: Iterable[Any]) -> list:
    """The values as cells ready for `sheet.append`, every string made text; cells already built pass through."""
    return [value if isinstance(value, Cell) else text_cell(sheet, value) for value in values]


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append one row of user data to `sheet` with every string stored as text."""
    sheet.append(safe_row(sheet, values))

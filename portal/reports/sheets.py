"""The cells and tabular sheets of the summary workbook: number formats, styles, and the SheetWriter every
contribution writes its sheet with (so every sheet looks and prints the same way)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..excel import text_cell
from . import printing
from .periods import Period

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
RATIO_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
YUAN_FORMATS = {"zh-hans": '#,##0.00"元"', "en": '"¥"#,##0.00'}
NUMBER_FORMATS = {
    "int": INTEGER_FORMAT,
    "decimal": DECIMAL_FORMAT,
    "ratio": RATIO_FORMAT,
    "percent": PERCENT_FORMAT,
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
}

# Fonts name the workbook's default font: a font without a name prints in whatever the program falls back to.
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B4232A")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
BOLD = Font(name=FONT_NAME, size=11, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def yuan_format() -> str:
    return YUAN_FORMATS.get(get_language() or "", YUAN_FORMATS["en"])


def sheet_title(text: str) -> str:
    """A valid Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return SHEET_TITLE_FORBIDDEN.sub(" ", str(text)).strip()[:31] or "Sheet"


def excel_value(value):
    """Excel has no time zones: aware datetimes are written as local wall-clock time."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def header_cell(sheet, text):
    return text_cell(sheet, str(text), font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT)


def styled(sheet, value, *, number_format: str | None = None, font: Font | None = None, alignment=None):
    """A cell of `value` (strings always as text, never formulas) with an optional number format and font."""
    return text_cell(
        sheet,
        excel_value(value),
        number_format=number_format if value is not None else None,
        font=font,
        alignment=alignment,
    )


def report_title(period: Period) -> str:
    if period.is_annual:
        return _("Annual summary %(period)s") % {"period": period.label}
    return _("Quarterly summary %(period)s") % {"period": period.label}


@dataclass(frozen=True)
class Column:
    """A column of a tabular sheet: header, width in characters, kind (text, int, decimal, percent, yuan, date...)."""

    header: str
    width: float = 12
    kind: str = "text"

    @property
    def number_format(self) -> str | None:
        if self.kind == "yuan":
            return yuan_format()
        return NUMBER_FORMATS.get(self.kind)


class SheetWriter:
    """Streams one tabular sheet: a bold header row that stays frozen, column widths, per-column number formats.

    It also sets the sheet up for printing (printing.set_up_table): A4, one page wide, the header row and the
    first column repeated on every page. Contributions get this class as `writer`, so their sheets print alike.
    """

    def __init__(self, workbook: Workbook, title: str, columns: Iterable[Column]):
        self.columns = list(columns)
        self.sheet = workbook.create_sheet(title=sheet_title(title))
        widths = [column.width for column in self.columns]
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        # Before the first row: a write-only sheet writes its properties (fit to page) with the first row.
        printing.set_up_table(self.sheet, widths)
        # Headers wrap within their columns; the row must be tall enough, programs do not grow it on opening.
        self.sheet.row_dimensions[1].height = max(
            (
                printing.wrapped_height(column.header, column.width, font_scale=printing.BOLD_SCALE)
                for column in self.columns
            ),
            default=printing.DEFAULT_ROW_POINTS,
        )
        self.rows_written = 0
        self._formats = [column.number_format for column in self.columns]
        self._append([header_cell(self.sheet, column.header) for column in self.columns])

    def _append(self, cells) -> None:
        self.sheet.append(cells)
        self.rows_written += 1

    def row(self, values: Iterable, *, bold: bool = False) -> None:
        # Names of units, activities and teams come from users: every string is written as text (portal.excel).
        cells = [
            styled(self.sheet, value, number_format=number_format, font=BOLD if bold else None)
            for value, number_format in zip(values, self._formats, strict=False)
        ]
        self._append(cells)

    def rows(self, rows: Iterable[Iterable]) -> None:
        for values in rows:
            self.row(values)

    @property
    def last_column(self) -> str:
        return get_column_letter(len(self.columns))

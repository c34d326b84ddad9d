"""How the summary workbook prints: A4, one page wide, titles repeated, a footer naming the report on every page,
and charts that never straddle a page break.

Everything here works on openpyxl's write-only sheets: the "fit to page" flag lives in the sheet properties, which
a write-only sheet writes with its first row, so `set_up_page` must run before anything is appended; page setup,
margins, footers and manual page breaks are written when the workbook is saved, print titles as defined names.

Where a page ends depends on row heights the spreadsheet program decides; the Summary sheet therefore gives each of
its rows an explicit height (`PagedRows`), so that the page breaks we insert before a table and its chart land
where we computed, in Excel and in LibreOffice alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

A4_POINTS = (595.3, 841.9)  # width, height in portrait
MARGINS_INCHES = {"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.75, "header": 0.3, "footer": 0.3}
POINTS_PER_INCH = 72
# A page fits a little less than the arithmetic says: programs round column widths and scale factors.
SAFETY = 0.97
# Below this scale a portrait page is too small to read: such a sheet prints in landscape instead.
LEGIBLE_SCALE = 0.9
DEFAULT_ROW_POINTS = 18.0  # fits a line of Chinese text in the CJK fonts LibreOffice and Excel fall back to
BOLD_SCALE = 1.05  # bold letters are a little wider
LINE_POINTS = 15.5  # one more line of wrapped text
WIDE_CHARACTER = 2.1  # a Chinese character is about as wide as two digits (the unit of column widths)
NARROW_CHARACTER = 0.85  # Latin letters, on average, are narrower than a digit
# Where a line may break: before a Chinese character, or between words.
BREAKABLE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+")

PORTRAIT, LANDSCAPE = "portrait", "landscape"


def column_points(width: float) -> float:
    """An Excel column width (characters of the default font: 7 px each, plus 5 px of padding) in points."""
    return (width * 7 + 5) * 0.75


def _page_size(orientation: str) -> tuple[float, float]:
    width, height = A4_POINTS
    return (height, width) if orientation == LANDSCAPE else (width, height)


def printable_size(orientation: str) -> tuple[float, float]:
    width, height = _page_size(orientation)
    margins = {side: inches * POINTS_PER_INCH for side, inches in MARGINS_INCHES.items()}
    return width - margins["left"] - margins["right"], height - margins["top"] - margins["bottom"]


def text_width(text: str) -> float:
    """The width of `text` in column-width units (the width of a digit): Latin letters a little less than one
    on average, Chinese characters about two."""
    return sum(WIDE_CHARACTER if unicodedata.east_asian_width(ch) in "WF" else NARROW_CHARACTER for ch in text)


def wrapped_lines(text: str, usable: float) -> int:
    """How many lines `text` takes in a cell `usable` digits wide, wrapped between words and Chinese characters."""
    lines, current = 1, 0.0
    for token in BREAKABLE.findall(text):
        width = text_width(token)
        if token.isspace():
            current += width
            continue
        if current and current + width > usable:
            lines, current = lines + 1, 0.0
        while width > usable:  # a word longer than the cell is broken anywhere
            lines, width = lines + 1, width - usable
        current += width
    return lines


def wrapped_height(text, width: float, *, minimum: float = DEFAULT_ROW_POINTS, font_scale: float = 1.0) -> float:
    """The height of a row whose cell of `width` wraps `text` (in a font `font_scale` times the default size):
    spreadsheet programs do not grow the rows of a file they open, so a wrapped cell needs its height written."""
    usable = max(width - 0.5, 1) / font_scale  # less the cell's padding
    lines = sum(wrapped_lines(part, usable) for part in (str(text).splitlines() or [""]))
    return max(minimum, lines * LINE_POINTS * font_scale + 3)


@dataclass(frozen=True)
class PageGeometry:
    orientation: str
    scale: float  # fit to one page wide shrinks a sheet wider than the page by this factor

    @property
    def page_height(self) -> float:
        """How many points of rows (at 100%) one page holds, with a margin of safety."""
        return printable_size(self.orientation)[1] / self.scale * SAFETY


def geometry(widths) -> PageGeometry:
    """Portrait when the columns fit (or nearly fit) a portrait page, landscape for the wide sheets."""
    sheet_width = sum(column_points(width) for width in widths) or 1
    portrait_scale = min(1.0, printable_size(PORTRAIT)[0] / sheet_width)
    if portrait_scale >= LEGIBLE_SCALE:
        return PageGeometry(PORTRAIT, portrait_scale)
    return PageGeometry(LANDSCAPE, min(1.0, printable_size(LANDSCAPE)[0] / sheet_width))


def set_up_page(sheet, widths, *, title_rows: str | None = None, title_cols: str | None = None) -> PageGeometry:
    """A4, portrait or landscape by width, one page wide and as many pages tall as needed, rows/columns repeated.

    Call before the first row is appended (write-only sheets write the fit-to-page flag with their first row).
    """
    page = geometry(widths)
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = page.orientation
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # 0: as many pages tall as the rows need
    sheet.page_margins = PageMargins(**MARGINS_INCHES)
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows
    if title_cols:
        sheet.print_title_cols = title_cols
    return page


def set_up_table(sheet, widths) -> PageGeometry:
    """A tabular sheet: the header row and the first column (the unit, the activity) repeated on every page, and
    grid lines printed, since the rows have no borders of their own."""
    page = set_up_page(sheet, widths, title_rows="1:1", title_cols="A:A")
    sheet.print_options.gridLines = True
    return page


def _footer_text(text: str) -> str:
    # "&" starts a control code in headers and footers (&P, &N...): a literal one is written "&&".
    return str(text).replace("&", "&&")


def add_footers(workbook, *, title: str, period_label: str) -> None:
    """Every sheet's footer: the report and its period on the left, the sheet in the middle, "page X of Y" right.

    Footers are written when the workbook is saved, so this runs last, over every sheet, contributions' included.
    """
    left = _footer_text(f"{title} · {period_label}")
    right = _("Page &P of &N")
    for sheet in workbook.worksheets:
        footer = sheet.oddFooter
        footer.left.text, footer.left.size = left, 8
        footer.center.text, footer.center.size = "&A", 8  # the sheet's name
        footer.right.text, footer.right.size = right, 8


class PagedRows:
    """Appends rows to a write-only sheet with explicit heights, so it knows where each page ends, and breaks the
    page before a block (a table with its chart) that would otherwise straddle two pages.

    `repeated_height` is the height of the print title rows, which every page after the first repeats.
    """

    def __init__(self, sheet, page: PageGeometry, *, repeated_height: float = 0.0):
        self.sheet = sheet
        self.page_height = page.page_height
        self.repeated_height = repeated_height
        self.row = 0  # rows written so far: the next row is self.row + 1
        self.used = 0.0  # points of rows on the current page
        self.breaks: list[int] = []  # manual breaks, after these rows

    def append(self, cells, *, height: float = DEFAULT_ROW_POINTS) -> None:
        self.row += 1
        self.sheet.row_dimensions[self.row].height = height
        if self.used + height > self.page_height:
            self.used = self.repeated_height  # the program breaks the page here by itself
        self.used += height
        self.sheet.append(cells)

    def blank(self, count: int = 1, *, height: float = DEFAULT_ROW_POINTS) -> None:
        for _index in range(count):
            self.append([], height=height)

    def keep_together(self, height: float) -> None:
        """Start a new page unless the next `height` points of rows fit on this one."""
        if self.used > self.repeated_height and self.used + height > self.page_height:
            self.sheet.row_breaks.append(Break(id=self.row))
            self.breaks.append(self.row)
            self.used = self.repeated_height

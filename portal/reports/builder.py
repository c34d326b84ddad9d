"""The summary workbook, written with openpyxl in write-only mode so memory stays flat however many rows.

Sheets: Summary (headline figures, a table per kind of activity and a native bar chart of it), Units (one row
per active unit, units without participation highlighted), one sheet per contribution, About. Headers follow the
active language (the caller wraps the build in translation.override(report.language)).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..excel import append_row, text_cell
from .figures import PeriodFigures, period_figures, unit_rows
from .periods import Period

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
YUAN_FORMATS = {"zh-hans": '#,##0.00"元"', "en": '"¥"#,##0.00'}
NUMBER_FORMATS = {
    "int": INTEGER_FORMAT,
    "decimal": DECIMAL_FORMAT,
    "percent": PERCENT_FORMAT,
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
}

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B4232A")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
NO_PARTICIPATION_FILL = PatternFill("solid", bgColor="FCE4E4", fgColor="FCE4E4")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

ProgressCallback = Callable[[int], None]


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
    """Streams one tabular sheet: a bold header row that stays frozen, column widths, per-column number formats."""

    def __init__(self, workbook: Workbook, title: str, columns: Iterable[Column]):
        self.columns = list(columns)
        self.sheet = workbook.create_sheet(title=sheet_title(title))
        for index, column in enumerate(self.columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
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


def header_cell(sheet, text):
    return text_cell(
        sheet, str(text), font=HEADER_FONT, fill=HEADER_FILL, alignment=Alignment(wrap_text=True, vertical="center")
    )


def styled(sheet, value, *, number_format: str | None = None, font: Font | None = None):
    """A cell of `value` (strings always as text, never formulas) with an optional number format and font."""
    return text_cell(sheet, excel_value(value), number_format=number_format if value is not None else None, font=font)


def report_title(period: Period) -> str:
    if period.is_annual:
        return _("Annual summary %(period)s") % {"period": period.label}
    return _("Quarterly summary %(period)s") % {"period": period.label}


@dataclass
class BuildContext:
    """Who and when, for the About sheet."""

    requested_by: str
    generated_at: datetime
    data_as_of: datetime
    version: int = 1


def build_workbook(
    *,
    path,
    period: Period,
    context: BuildContext,
    progress: ProgressCallback | None = None,
    contribs=None,
) -> dict:
    """Compute the period's figures and write the workbook to `path`; returns the headline totals (JSON-ready).

    Side effects: writes the file; reports progress (0-100) through `progress`. Runs a fixed number of queries:
    aggregates for the figures, then one streamed query per tabular sheet.
    """
    report_progress = progress or (lambda percent: None)
    figures = period_figures(period, contribs)
    report_progress(30)
    workbook = Workbook(write_only=True)
    write_summary(workbook, figures)
    report_progress(40)
    write_units(workbook, figures)
    report_progress(60)
    count = len(figures.contributions)
    for index, contribution in enumerate(figures.contributions, start=1):
        contribution.write_sheet(workbook, period, figures=figures.apps[contribution.key], writer=SheetWriter)
        report_progress(60 + 25 * index // max(count, 1))
    write_about(workbook, figures, context)
    workbook.save(path)
    report_progress(95)
    return headline(figures)


def headline(figures: PeriodFigures) -> dict:
    """The totals in a JSON-friendly form, stored on the report record for the list page."""
    totals = figures.totals
    return {
        "activities_held": totals["activities_held"],
        "participations": totals["participations"],
        "cadres_reached": totals["cadres_reached"],
        "units_reached": totals["units_reached"],
        "active_units": totals["active_units"],
        "coverage": round(totals["coverage"], 4) if totals["coverage"] is not None else None,
        "cost": str(totals["cost"]) if totals["cost"] is not None else None,
    }


def write_summary(workbook: Workbook, figures: PeriodFigures) -> None:
    sheet = workbook.create_sheet(title=sheet_title(_("Summary")))
    for letter, width in zip("ABCDE", (34, 16, 16, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
    period, totals = figures.period, figures.totals
    sheet.append([styled(sheet, report_title(period), font=TITLE_FONT)])
    append_row(sheet, [_("Period"), period.range_label])
    sheet.append([])
    sheet.append([header_cell(sheet, _("Figure")), header_cell(sheet, _("Value"))])
    lines = [
        (_("Activities held"), totals["activities_held"], INTEGER_FORMAT),
        (_("Participations (person-times)"), totals["participations"], INTEGER_FORMAT),
        (_("Cadres reached"), totals["cadres_reached"], INTEGER_FORMAT),
        (_("Active cadres"), totals["active_cadres"], INTEGER_FORMAT),
        (_("Reach (cadres reached / active cadres)"), totals["reach"], PERCENT_FORMAT),
        (_("Units reached"), totals["units_reached"], INTEGER_FORMAT),
        (_("Active units"), totals["active_units"], INTEGER_FORMAT),
        (_("Coverage (units reached / active units)"), totals["coverage"], PERCENT_FORMAT),
    ]
    if totals["cost"] is not None:
        lines.append((_("Cost"), totals["cost"], yuan_format()))
    for label, value, number_format in lines:
        append_row(sheet, [label, styled(sheet, value, number_format=number_format)])
    row = 4 + len(lines)
    for contribution in figures.contributions:
        breakdown = figures.apps[contribution.key].get("breakdown")
        if breakdown:
            row = _write_breakdown(sheet, breakdown, first_row=row + 2)


def _write_breakdown(sheet, breakdown: dict, *, first_row: int) -> int:
    """A table (one row per kind) and a bar chart of its participations; returns the last row written."""
    sheet.append([])
    sheet.append([styled(sheet, breakdown["title"], font=BOLD)])
    headers = [breakdown["label"], _("Activities held"), _("Participations"), _("Cadres reached"), _("Units reached")]
    sheet.append([header_cell(sheet, text) for text in headers])
    header_row = first_row + 1
    keys = ("activities_held", "participations", "cadres_reached", "units_reached")
    for item in breakdown["rows"]:
        append_row(sheet, [item["label"], *(styled(sheet, item[key], number_format=INTEGER_FORMAT) for key in keys)])
    total = breakdown.get("total")
    last_data_row = header_row + len(breakdown["rows"])
    if total:
        sheet.append(
            [
                styled(sheet, _("Total"), font=BOLD),
                *(styled(sheet, total[key], number_format=INTEGER_FORMAT, font=BOLD) for key in keys),
            ]
        )
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = breakdown["title"]
    chart.y_axis.title = _("Participations")
    chart.legend = None
    # openpyxl 3.1 writes axes as deleted unless told otherwise; list the kinds top-down in table order.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"
    chart.height, chart.width = 7.5, 15
    chart.add_data(Reference(sheet, min_col=3, min_row=header_row, max_row=last_data_row), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_data_row))
    sheet.add_chart(chart, f"G{header_row}")
    return last_data_row + (1 if total else 0)


def write_units(workbook: Workbook, figures: PeriodFigures) -> None:
    columns = [
        Column(_("Unit"), 34),
        Column(_("Kind of unit"), 16),
        Column(_("Active cadres"), 10, "int"),
        Column(_("Participations (person-times)"), 14, "int"),
        Column(_("Cadres reached"), 10, "int"),
        Column(_("Reach"), 9, "percent"),
        Column(_("Gold"), 7, "int"),
        Column(_("Silver"), 7, "int"),
        Column(_("Bronze"), 7, "int"),
        Column(_("Medals"), 8, "int"),
        Column(_("Team points"), 10, "decimal"),
    ]
    writer = SheetWriter(workbook, _("Units"), columns)
    summed = ("active_cadres", "participations", "cadres_reached", "gold", "silver", "bronze", "medals")
    totals = dict.fromkeys(summed, 0)
    points = Decimal(0)
    for row in unit_rows(figures):
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
        # Units with no participation stand out in red: the committee asks those units why.
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


def write_about(workbook: Workbook, figures: PeriodFigures, context: BuildContext) -> None:
    sheet = workbook.create_sheet(title=sheet_title(_("About")))
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    period = figures.period
    sheet.freeze_panes = "A2"
    sheet.append([header_cell(sheet, _("Item")), header_cell(sheet, _("Value"))])
    rows = [
        (_("Report"), report_title(period), None),
        (_("Period"), period.range_label, None),
        (_("Version"), context.version, None),
        (_("Generated at"), context.generated_at, DATETIME_FORMAT),
        (_("Generated by"), context.requested_by, None),
        (_("Data as of"), context.data_as_of, DATETIME_FORMAT),
        (_("Contributions"), ", ".join(str(c.title) for c in figures.contributions) or "—", None),
    ]
    for label, value, number_format in rows:
        sheet.append([styled(sheet, label, font=BOLD), styled(sheet, value, number_format=number_format)])
    sheet.append([])
    sheet.append([styled(sheet, _("Definitions"), font=BOLD)])
    entries = definitions()
    for contribution in figures.contributions:
        entries.extend(contribution.definitions())
    for label, text in entries:
        cell = styled(sheet, text)
        cell.alignment = WRAP
        sheet.append([styled(sheet, label, font=BOLD), cell])


def definitions() -> list[tuple[str, str]]:
    """What the portal's own figures mean; each contribution adds the definitions of its figures."""
    return [
        (
            _("Participations"),
            _("Person-times (人次): every attendance counts, with repeats; the sum over every contribution."),
        ),
        (_("Cadres reached"), _("Distinct cadres who took part in anything in the period, each counted once.")),
        (_("Units reached"), _("Distinct active units of the cadres reached.")),
        (_("Coverage"), _("Units reached / active units.")),
        (_("Reach"), _("Cadres reached / active cadres (per unit on the Units sheet).")),
    ]

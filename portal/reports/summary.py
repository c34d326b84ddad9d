"""The Summary sheet, what leaders read first: the sentence the committee publishes, the change against the previous
period, person-times per month with a chart, each contribution's breakdown with a chart, the best and worst units
by reach, and the units with no participation by name.

The sheet prints portrait on A4, one page wide; each table with its chart is kept on one page (printing.PagedRows).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Font

from . import printing
from .figures import PeriodFigures, UnitRow
from .periods import Period
from .sheets import (
    BOLD,
    FONT_NAME,
    INTEGER_FORMAT,
    PERCENT_FORMAT,
    RATIO_FORMAT,
    TITLE_FONT,
    header_cell,
    report_title,
    sheet_title,
    styled,
    yuan_format,
)
from .units import UnitDigest

COLUMN_WIDTHS = (30, 12, 12, 12, 12, 12)
TITLE_ROWS = "1:2"  # the report's title and period, repeated on every printed page
TITLE_ROW_POINTS = 22.0
SENTENCE_SCALE = 1.25  # the sentence is set in bold 12 pt: wider and taller than the default 11 pt
HEADER_POINTS = 32.0  # two lines of a wrapped column header
CHART_ROWS = 12  # a chart below its table: 12 rows of 18 pt, 7.6 cm
SIDE_CHART_ROWS = 12  # a chart beside the months' table (columns C-F)
SENTENCE_FONT = Font(name=FONT_NAME, size=12, bold=True)
NOTE_FONT = Font(name=FONT_NAME, size=9, italic=True)
TOP = Alignment(vertical="top")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
# "not yet recorded" is longer than a number: shrunk into its cell rather than cut off by the next one.
MISSING_ALIGNMENT = Alignment(horizontal="right", vertical="top", shrink_to_fit=True)
LAST_COLUMN = chr(ord("A") + len(COLUMN_WIDTHS) - 1)
DEFAULT_ROW_POINTS = printing.DEFAULT_ROW_POINTS


def signed(number_format: str) -> str:
    """The format with an explicit + for increases (a change of 0 shows without a sign)."""
    return f"+{number_format};-{number_format};{number_format}"


def format_yuan(amount) -> str:
    """An amount as the sentence writes it: "123,456.00元" in Chinese, "¥123,456.00" otherwise (as the cells'
    number formats, sheets.YUAN_FORMATS)."""
    text = f"{Decimal(amount):,.2f}"
    return f"{text}元" if get_language() == "zh-hans" else f"¥{text}"


def headline_sentence(period: Period, totals: dict) -> str:
    """The sentence the committee publishes, e.g. "This quarter: 142 activities, 78,000 person-times, 96 of 100
    units, 310 volunteers, at a cost of ¥123,456.00". A figure no app records yet is said to be not yet recorded,
    never left out."""
    activities, participations = totals["activities_held"], totals["participations"]
    volunteers, cost = totals["volunteers"], totals["cost"]
    parts = {
        "activities": ngettext("%(count)s activity", "%(count)s activities", activities) % {"count": f"{activities:,}"},
        "participations": ngettext("%(count)s person-time", "%(count)s person-times", participations)
        % {"count": f"{participations:,}"},
        "units": _("%(reached)s of %(active)s units")
        % {"reached": f"{totals['units_reached']:,}", "active": f"{totals['active_units']:,}"},
        "volunteers": (
            _("volunteers not yet recorded")
            if volunteers is None
            else ngettext("%(count)s volunteer", "%(count)s volunteers", volunteers) % {"count": f"{volunteers:,}"}
        ),
        "cost": _("cost not yet recorded")
        if cost is None
        else _("at a cost of %(amount)s") % {"amount": format_yuan(cost)},
    }
    if period.is_annual:
        return _("This year: %(activities)s, %(participations)s, %(units)s, %(volunteers)s, %(cost)s") % parts
    return _("This quarter: %(activities)s, %(participations)s, %(units)s, %(volunteers)s, %(cost)s") % parts


def compared_figures() -> list[tuple[str, str, str]]:
    """(key in the totals, label, kind) of the figures compared with the previous period; kind: count, share, yuan."""
    return [
        ("activities_held", _("Activities held"), "count"),
        ("participations", _("Participations (person-times)"), "count"),
        ("cadres_reached", _("Cadres reached"), "count"),
        ("active_cadres", _("Active cadres"), "count"),
        ("reach", _("Reach (cadres reached / active cadres)"), "share"),
        ("units_reached", _("Units reached"), "count"),
        ("active_units", _("Active units"), "count"),
        ("coverage", _("Coverage (units reached / active units)"), "share"),
        ("volunteers", _("Volunteers"), "count"),
        ("cost", _("Cost"), "yuan"),
    ]


class SummarySheet:
    """The Summary sheet: created first (it is the first tab), written last, once the units have been streamed."""

    def __init__(self, workbook: Workbook):
        self.sheet = workbook.create_sheet(title=sheet_title(_("Summary")))
        for index, width in enumerate(COLUMN_WIDTHS):
            self.sheet.column_dimensions[chr(ord("A") + index)].width = width
        self.sheet.freeze_panes = "A3"
        page = printing.set_up_page(self.sheet, COLUMN_WIDTHS, title_rows=TITLE_ROWS)
        self.rows = printing.PagedRows(self.sheet, page, repeated_height=2 * TITLE_ROW_POINTS)

    # -- building blocks -------------------------------------------------------------------------------------

    def cell(self, value, **style):
        style.setdefault("alignment", TOP)
        return styled(self.sheet, value, **style)

    @staticmethod
    def row_height(label) -> float:
        """A row's height: its label in column A wraps onto as many lines as it needs."""
        return printing.wrapped_height(label, COLUMN_WIDTHS[0]) if isinstance(label, str) else DEFAULT_ROW_POINTS

    def append(self, values, *, height: float | None = None) -> None:
        """A row of cells; a plain string in column A (a label, a unit's name) wraps within the column."""
        cells = [
            value if isinstance(value, Cell) else self.cell(value, alignment=WRAP_TOP if index == 0 else TOP)
            for index, value in enumerate(values)
        ]
        self.rows.append(cells, height=height or self.row_height(values[0] if values else None))

    @staticmethod
    def header_height(texts) -> float:
        """Column headers wrap within their columns (bold: a little wider than plain text)."""
        heights = (
            printing.wrapped_height(str(text), width, minimum=HEADER_POINTS, font_scale=printing.BOLD_SCALE)
            for text, width in zip(texts, COLUMN_WIDTHS, strict=False)
        )
        return max(heights, default=HEADER_POINTS)

    def header(self, texts) -> None:
        self.rows.append([header_cell(self.sheet, text) for text in texts], height=self.header_height(texts))

    def section_title(self, text: str) -> None:
        self.rows.blank()
        self.append([self.cell(text, font=BOLD)])

    def across(self, text: str, *, font: Font, font_scale: float = 1.0) -> None:
        """`text` over the sheet's whole width, wrapped: text running past the last column would widen the
        printed page, and fit-to-width would then shrink everything."""
        row = self.rows.row + 1
        self.sheet.merged_cells.add(f"A{row}:{LAST_COLUMN}{row}")
        height = printing.wrapped_height(text, sum(COLUMN_WIDTHS), font_scale=font_scale)
        self.rows.append([self.cell(text, font=font, alignment=WRAP_TOP)], height=height)

    def note(self, text: str) -> None:
        self.across(text, font=NOTE_FONT)

    def block_height(self, headers, labels, *, chart_rows: int = 0) -> float:
        """The height of a section: a blank and a title row, the header row, one row per label, chart rows below."""
        plain = (2 + chart_rows) * DEFAULT_ROW_POINTS + self.header_height(headers)
        return plain + sum(self.row_height(label) for label in labels)

    def chart(self, chart, *, first_column: int = 0, first_row: int | None = None, rows: int = CHART_ROWS) -> None:
        """Anchor the chart to whole cells: from `first_column` to the sheet's last column, from `first_row`
        (zero-based; default the next row) down `rows` rows, which are written blank when they are still to come.
        The block it belongs to was kept on one page, so the chart prints whole."""
        first = self.rows.row if first_row is None else first_row
        chart.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=first_column, row=first),
            to=AnchorMarker(col=len(COLUMN_WIDTHS), row=first + rows),
        )
        self.sheet.add_chart(chart)
        if first + rows > self.rows.row:
            self.rows.blank(first + rows - self.rows.row)

    # -- the sections ----------------------------------------------------------------------------------------

    def write(self, figures: PeriodFigures, digest: UnitDigest) -> None:
        period, totals = figures.period, figures.totals
        self.append([self.cell(report_title(period), font=TITLE_FONT)], height=TITLE_ROW_POINTS)
        self.append([_("Period"), period.range_label], height=TITLE_ROW_POINTS)
        self.across(headline_sentence(period, totals), font=SENTENCE_FONT, font_scale=SENTENCE_SCALE)
        self.write_comparison(period, totals, figures.previous)
        self.write_months(period, totals["by_month"])
        for contribution in figures.contributions:
            breakdown = figures.apps[contribution.key].get("breakdown")
            if breakdown:
                self.write_breakdown(breakdown)
        self.write_ranking(digest)
        self.write_no_participation(digest.no_participation)

    def write_comparison(self, period: Period, totals: dict, previous: dict | None) -> None:
        before = period.previous()
        figures = compared_figures()
        headers = [_("Figure"), period.label, before.label, _("Difference"), _("Difference (%)")]
        self.rows.keep_together(self.block_height(headers, [label for _key, label, _kind in figures] + [""]))
        self.section_title(_("Compared with the previous period (%(period)s)") % {"period": before.label})
        self.header(headers)

        def not_recorded():
            return self.cell(_("not yet recorded"), font=NOTE_FONT, alignment=MISSING_ALIGNMENT)

        for key, label, kind in figures:
            value = totals[key]
            earlier = previous[key] if previous is not None else None
            number_format = {"count": INTEGER_FORMAT, "share": PERCENT_FORMAT, "yuan": yuan_format()}[kind]
            cells = [label]
            cells.append(self.cell(value, number_format=number_format) if value is not None else not_recorded())
            if previous is None:
                cells.append("—")
            else:
                cells.append(self.cell(earlier, number_format=number_format) if earlier is not None else not_recorded())
            if value is not None and earlier is not None:
                # A share changes by percentage points (its difference); a relative change of a share would mislead.
                cells.append(self.cell(value - earlier, number_format=signed(number_format)))
                if kind != "share" and earlier:
                    cells.append(self.cell((value - earlier) / earlier, number_format=signed(PERCENT_FORMAT)))
            self.append(cells)
        if previous is None:
            self.note(_("No figures for the previous period."))
        else:
            self.note(_("Shares (reach, coverage) change by percentage points: their difference."))

    def write_months(self, period: Period, by_month: dict) -> None:
        """A table of the months in columns A-B, its chart beside it in C-F."""
        months = months_of(period)
        span = max(len(months) + 1, SIDE_CHART_ROWS)  # the header row and the months, or the chart if taller
        headers = [_("Month"), _("Person-times")]
        self.rows.keep_together(self.block_height(headers, [None] * (span - 1)))
        self.section_title(_("Person-times per month"))
        self.header(headers)
        header_row = self.rows.row
        for year, month in months:
            self.append([f"{year}-{month:02d}", self.cell(by_month.get(month, 0), number_format=INTEGER_FORMAT)])
        chart = column_chart(_("Person-times per month"), _("Person-times"))
        chart.add_data(
            Reference(self.sheet, min_col=2, min_row=header_row, max_row=self.rows.row), titles_from_data=True
        )
        chart.set_categories(Reference(self.sheet, min_col=1, min_row=header_row + 1, max_row=self.rows.row))
        self.chart(chart, first_column=2, first_row=header_row - 1, rows=span)

    def write_breakdown(self, breakdown: dict) -> None:
        """A table (one row per kind) and a bar chart of its participations, kept on one page."""
        total = breakdown.get("total")
        kinds = [item["label"] for item in breakdown["rows"]] + [None] * bool(total)
        headers = [
            breakdown["label"],
            _("Activities held"),
            _("Participations"),
            _("Cadres reached"),
            _("Units reached"),
        ]
        self.rows.keep_together(self.block_height(headers, kinds, chart_rows=CHART_ROWS))
        self.section_title(breakdown["title"])
        self.header(headers)
        header_row = self.rows.row
        keys = ("activities_held", "participations", "cadres_reached", "units_reached")
        for item in breakdown["rows"]:
            self.append([item["label"], *(self.cell(item[key], number_format=INTEGER_FORMAT) for key in keys)])
        last_data_row = self.rows.row
        if total:
            self.append(
                [
                    self.cell(_("Total"), font=BOLD),
                    *(self.cell(total[key], number_format=INTEGER_FORMAT, font=BOLD) for key in keys),
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
        chart.add_data(
            Reference(self.sheet, min_col=3, min_row=header_row, max_row=last_data_row), titles_from_data=True
        )
        chart.set_categories(Reference(self.sheet, min_col=1, min_row=header_row + 1, max_row=last_data_row))
        self.chart(chart)

    def write_ranking(self, digest: UnitDigest) -> None:
        count = digest.per_list
        if not count:
            return
        headers = [
            _("Unit"),
            _("Active cadres"),
            _("Person-times"),
            _("Person-times per active cadre"),
            _("Cadres reached"),
            _("Reach"),
        ]
        lists = (
            (_("Top %(count)s units by reach") % {"count": count}, digest.top, []),
            (_("Bottom %(count)s units by reach") % {"count": count}, digest.bottom, [""]),  # and the note below
        )
        for title, rows, note in lists:
            self.rows.keep_together(self.block_height(headers, [row.name for row in rows] + note))
            self.section_title(title)
            self.header(headers)
            for row in rows:
                self.append(self.unit_cells(row))
        self.note(
            _(
                "Ranked by reach (cadres reached / active cadres), then by person-times per active cadre; "
                "units without active cadres are not ranked."
            )
        )

    def unit_cells(self, row: UnitRow) -> list:
        return [
            row.name,
            self.cell(row.active_cadres, number_format=INTEGER_FORMAT),
            self.cell(row.participations, number_format=INTEGER_FORMAT),
            self.cell(row.participations / row.active_cadres, number_format=RATIO_FORMAT),
            self.cell(row.cadres_reached, number_format=INTEGER_FORMAT),
            self.cell(row.reach, number_format=PERCENT_FORMAT),
        ]

    def write_no_participation(self, units: list[UnitRow]) -> None:
        # A title left alone at the foot of a page is useless: keep it with the first few units.
        headers = [_("Unit"), _("Kind of unit"), _("Active cadres")]
        self.rows.keep_together(self.block_height(headers, [row.name for row in units[:5]] or [""]))
        self.section_title(_("Units with no participation (%(count)s)") % {"count": len(units)})
        if not units:
            self.note(_("Every unit took part."))
            return
        self.header(headers)
        for row in units:
            self.append([row.name, row.kind, self.cell(row.active_cadres, number_format=INTEGER_FORMAT)])


def months_of(period: Period) -> list[tuple[int, int]]:
    """(year, month) of every month the period covers, up to its last day."""
    first = period.start.month
    last = period.last_day.month
    return [(period.year, month) for month in range(first, last + 1)]


def column_chart(title: str, axis_title: str) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.style = 10
    chart.title = title
    chart.y_axis.title = axis_title
    chart.legend = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart

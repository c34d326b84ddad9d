"""The summary workbook, written with openpyxl in write-only mode so memory stays flat however many rows.

Sheets: Summary (summary.py: the published sentence, the change against the previous period, person-times per
month, each contribution's breakdown with its chart, the best and worst units, the units with no participation),
Units (units.py), one sheet per contribution, About (about.py). Every sheet prints on A4, one page wide, with a
footer naming the report (printing.py). Headers follow the active language (the caller wraps the build in
translation.override(report.language)).

This module puts the pieces together; contributions write their sheets with `SheetWriter` (sheets.py), still
importable from here with `Column` and the number formats.
"""

from __future__ import annotations

from collections.abc import Callable

from openpyxl import Workbook

from . import printing
from .about import BuildContext, write_about
from .figures import PeriodFigures, period_figures
from .periods import Period
from .sheets import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    DECIMAL_FORMAT,
    INTEGER_FORMAT,
    PERCENT_FORMAT,
    YUAN_FORMATS,
    Column,
    SheetWriter,
    report_title,
    yuan_format,
)
from .summary import SummarySheet, headline_sentence
from .units import write_units

__all__ = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "DECIMAL_FORMAT",
    "INTEGER_FORMAT",
    "PERCENT_FORMAT",
    "XLSX_CONTENT_TYPE",
    "YUAN_FORMATS",
    "BuildContext",
    "Column",
    "SheetWriter",
    "build_workbook",
    "headline",
    "report_title",
    "yuan_format",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ProgressCallback = Callable[[int], None]


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
    aggregates for the figures, then one streamed query per tabular sheet. The Summary is the first sheet but is
    written after the Units sheet: it ranks the units that sheet streams (write-only sheets each write to their
    own temporary file, so the order of writing does not have to follow the order of the tabs).
    """
    report_progress = progress or (lambda percent: None)
    figures = period_figures(period, contribs, with_previous=True)
    report_progress(30)
    workbook = Workbook(write_only=True)
    summary = SummarySheet(workbook)
    digest = write_units(workbook, figures)
    report_progress(50)
    summary.write(figures, digest)
    report_progress(60)
    count = len(figures.contributions)
    for index, contribution in enumerate(figures.contributions, start=1):
        contribution.write_sheet(workbook, period, figures=figures.apps[contribution.key], writer=SheetWriter)
        report_progress(60 + 25 * index // max(count, 1))
    write_about(workbook, figures, context)
    printing.add_footers(workbook, title=report_title(period), period_label=period.range_label)
    workbook.save(path)
    report_progress(95)
    return headline(figures)


def headline(figures: PeriodFigures) -> dict:
    """The totals in a JSON-friendly form, stored on the report record for the list page, with the published
    sentence in the report's language."""
    totals = figures.totals
    return {
        "activities_held": totals["activities_held"],
        "participations": totals["participations"],
        "cadres_reached": totals["cadres_reached"],
        "units_reached": totals["units_reached"],
        "active_units": totals["active_units"],
        "coverage": round(totals["coverage"], 4) if totals["coverage"] is not None else None,
        "cost": str(totals["cost"]) if totals["cost"] is not None else None,
        "volunteers": totals["volunteers"],
        "sentence": headline_sentence(figures.period, totals),
    }

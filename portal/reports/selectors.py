"""Read-side queries of the reports pages: the reports by period, the dashboard's figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Unit
from .charts import horizontal_bars, vertical_bars
from .figures import per_unit_figures, period_figures
from .models import Report
from .periods import Period
from .services import download_name

TOP_UNITS = 10


def _language_rank(code: str) -> int:
    codes = [language for language, _label in settings.LANGUAGES]
    return codes.index(code) if code in codes else len(codes)


@dataclass
class PeriodReports:
    """One period with its versions (every language), newest first.

    Each language has its own current version, the newest in that language whatever its status: generating the
    English workbook does not hide the Chinese one. Version numbers count every workbook of the period, so "v4"
    names one file even when the period has versions in two languages.
    """

    period: Period
    reports: list = field(default_factory=list)

    @cached_property
    def current(self) -> list[Report]:
        """The newest version in each language, in the order of settings.LANGUAGES (Chinese first)."""
        newest: dict[str, Report] = {}
        for report in self.reports:
            newest.setdefault(report.language, report)
        return sorted(newest.values(), key=lambda report: _language_rank(report.language))

    @property
    def earlier(self) -> list[Report]:
        """Every other version (still downloadable when done), newest first."""
        current = {report.pk for report in self.current}
        return [report for report in self.reports if report.pk not in current]


def for_display(report: Report) -> Report:
    """The report with `download_name`, the file name its download gets: the page shows how to check a copy of
    that file against its SHA-256 checksum, with the file's own name in the commands."""
    report.download_name = download_name(report)
    return report


def reports_by_period() -> list[PeriodReports]:
    """Every report grouped by period (newest period first), each with its current version per language; one query."""
    reports = Report.objects.select_related("requested_by", "requested_by__cadre").order_by(
        "-year", "quarter", "-version"
    )
    groups: dict[tuple, PeriodReports] = {}
    for report in map(for_display, reports):
        key = (report.year, report.quarter)
        groups.setdefault(key, PeriodReports(period=report.period)).reports.append(report)
    # Newest year first; inside a year the whole-year report leads, then Q4 down to Q1.
    return sorted(groups.values(), key=lambda g: (-g.period.year, -(g.period.quarter or 5)))


def with_current_flag(queryset):
    """Annotate `is_current`: no newer version of the same period exists in the same language (the admin's column)."""
    newer = Report.objects.annotate(quarter_or_year=Coalesce("quarter", 0)).filter(
        year=OuterRef("year"),
        quarter_or_year=Coalesce(OuterRef("quarter"), 0, output_field=IntegerField()),
        language=OuterRef("language"),
        version__gt=OuterRef("version"),
    )
    return queryset.annotate(is_current=~Exists(newer))


def report_for_status(pk: int) -> Report:
    """The report shown by the polling status fragment (raises Report.DoesNotExist)."""
    return for_display(Report.objects.select_related("requested_by", "requested_by__cadre").get(pk=pk))


def dashboard(now=None) -> dict:
    """This year's headline figures so far, with three charts (per month, per kind, top units); bounded queries."""
    now = now or timezone.now()
    period = Period.year_to_date(now)
    figures = period_figures(period)
    totals = figures.totals
    current_month = timezone.localtime(now).month
    months = vertical_bars(
        _("Participations per month"),
        [(str(month), totals["by_month"].get(month, 0)) for month in range(1, current_month + 1)],
    )
    kind_charts = []
    for contribution in figures.contributions:
        breakdown = figures.apps[contribution.key].get("breakdown")
        if breakdown:
            kind_charts.append(
                horizontal_bars(
                    breakdown["title"], [(row["label"], row["participations"]) for row in breakdown["rows"]]
                )
            )
    per_unit = per_unit_figures(figures)
    ranked = sorted(
        ((values["participations"], unit_id) for unit_id, values in per_unit.items() if values["participations"]),
        reverse=True,
    )[:TOP_UNITS]
    names = dict(
        (pk, short or name)
        for pk, short, name in Unit.objects.filter(pk__in=[unit_id for _, unit_id in ranked]).values_list(
            "pk", "short_name", "name"
        )
    )
    top_units = horizontal_bars(
        _("Units with the most participations"),
        [(names.get(unit_id, "?"), participations) for participations, unit_id in ranked],
    )
    return {
        "period": period,
        "totals": totals,
        "charts": [months, *kind_charts, top_units],
        "as_of": now,
    }

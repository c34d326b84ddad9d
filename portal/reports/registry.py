"""The contribution registry: each domain app adds its figures and its sheet to the summary workbook.

An app writes `<app>/reports.py` that subclasses `ReportContribution` and calls `register(...)`. The portal finds
those modules when the apps load (`autodiscover_reports()` from PortalConfig.ready(), the way the admin finds
`admin.py`), so `portal` never imports a domain app.

`figures(period)` returns a dict; the Summary and Units sheets read these standard keys (all optional):

- "activities_held": int, events held in the period;
- "participations": int, person-times (人次): every attendance, counted with repeats;
- "cost": Decimal, yuan spent (shown only when some contribution gives it);
- "breakdown": {"title": str, "label": str, "rows": [{"label", "activities_held", "participations",
  "cadres_reached", "units_reached"}], "total": {...same keys...}}: one row per kind, charted on the Summary;
- "units": {unit_id: {"participations": int, "gold": int, "silver": int, "bronze": int, "points": Decimal}}.

`reached_cadres(period)` returns a Q over portal.Cadre selecting the cadres who took part: the portal ORs them
across apps so a cadre who took part in two apps is reached once. Every figure is an aggregate the database
computes (Count/Sum with filters); a contribution must run a number of queries that does not grow with the data.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.module_loading import autodiscover_modules

STANDARD_UNIT_KEYS = ("participations", "gold", "silver", "bronze", "points")


class ReportContribution:
    """One app's part of the summary workbook; subclass it in `<app>/reports.py` and register an instance."""

    key: str = ""
    title = ""  # translated (lazy) name of the app's sheet
    order: int = 100  # sheets follow this order

    def figures(self, period) -> dict:
        """Aggregates for the period under the standard keys above (plus any of the app's own)."""
        return {}

    def reached_cadres(self, period) -> Q | None:
        """A Q over portal.Cadre for the cadres who took part in the period, or None if the app counts no one."""
        return None

    def definitions(self) -> list[tuple[str, str]]:
        """(term, meaning) pairs for the About sheet, translated."""
        return []

    def write_sheet(self, workbook, period, *, figures: dict, writer) -> None:
        """Add the app's own sheet(s) to the write-only `workbook`; `writer` is builder.SheetWriter."""


_registry: dict[str, ReportContribution] = {}


def register(contribution: ReportContribution) -> ReportContribution:
    """Add a contribution; registering the same key again replaces it (a module reloaded in development)."""
    if not contribution.key:
        raise ValueError("A report contribution needs a key.")
    _registry[contribution.key] = contribution
    return contribution


def unregister(key: str) -> None:
    _registry.pop(key, None)


def contributions() -> list[ReportContribution]:
    """The registered contributions in sheet order."""
    return sorted(_registry.values(), key=lambda c: (c.order, c.key))


def get_contribution(key: str) -> ReportContribution | None:
    return _registry.get(key)


def autodiscover_reports() -> None:
    """Import every installed app's `reports` module so it can register its contribution."""
    autodiscover_modules("reports")

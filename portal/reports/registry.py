"""The contribution registry: each domain app adds its figures and its sheet to the summary workbook.

An app writes `<app>/reports.py` that subclasses `ReportContribution` and calls `register(...)`. The portal finds
those modules when the apps load (`autodiscover_reports()` from PortalConfig.ready(), the way the admin finds
`admin.py`), so `portal` never imports a domain app.

`participations(period)` returns the app's person-times as a list of querysets, each one row per person-time
built with `participation_rows(...)`: (cadre id, category, month, item id). The portal inserts each into one
temporary table per build (portal.reports.snapshot) and computes person-times, distinct cadres and units reached,
per unit, per category, per item and per month for every app at once, as of the period (the cadre's unit and
roster as they stood then). A cadre who took part in two apps is reached once. A new app adds its querysets
here; it never writes a reach query of its own.

`figures(period, participation)` receives that aggregate for the app (snapshot.SourceFigures: `.total`,
`.by_category`, `.by_item`, `.by_month`) and returns a dict; the Summary and Units sheets read these standard
keys (all optional):

- "activities_held": int, events held in the period;
- "cost": Decimal, yuan spent (None or absent: "not yet recorded");
- "volunteers": int, distinct volunteers who served (None or absent: "not yet recorded");
- "breakdown": {"title": str, "label": str, "rows": [{"label", "activities_held", "participations",
  "cadres_reached", "units_reached"}], "total": {...same keys...}}: one row per kind, charted on the Summary;
- "units": {unit_id: {"gold": int, "silver": int, "bronze": int, "points": Decimal}}: what is credited to a unit
  other than person-times (medals of competitions).

Every figure is an aggregate the database computes; a contribution runs a number of queries that does not grow
with the data.
"""

from __future__ import annotations

from django.db.models import BigIntegerField, F, Value
from django.db.models.functions import Cast, ExtractMonth
from django.utils.module_loading import autodiscover_modules

MEDAL_KEYS = ("gold", "silver", "bronze", "points")
# The names of participation_rows()' columns in the SQL (the snapshot joins on the first, the cadre).
PARTICIPATION_COLUMNS = ("report_cadre", "report_category", "report_month", "report_item")


def participation_rows(queryset, *, cadre: str, category, when: str, item=None):
    """The standard participation columns over `queryset`: (cadre id, category, local month of `when`, item id).

    `cadre`, `when` and `item` are field paths (`item` may be None: no per-item figures); `category` is a field
    path or an expression, the key of the app's breakdown (e.g. the kind of activity).
    """
    # Cast: PostgreSQL types a bare NULL parameter as text, which the temporary table's bigint column refuses.
    item_column = Cast(Value(None), BigIntegerField()) if item is None else F(item)
    category_column = F(category) if isinstance(category, str) else category
    return (
        queryset.order_by()
        .annotate(
            **{
                PARTICIPATION_COLUMNS[0]: F(cadre),
                PARTICIPATION_COLUMNS[1]: category_column,
                PARTICIPATION_COLUMNS[2]: ExtractMonth(when),
                PARTICIPATION_COLUMNS[3]: item_column,
            }
        )
        .values_list(*PARTICIPATION_COLUMNS)
    )


class ReportContribution:
    """One app's part of the summary workbook; subclass it in `<app>/reports.py` and register an instance."""

    key: str = ""
    title = ""  # translated (lazy) name of the app's sheet
    order: int = 100  # sheets follow this order

    def participations(self, period) -> list:
        """The app's person-times in the period: querysets built with participation_rows() (empty: none)."""
        return []

    def figures(self, period, participation) -> dict:
        """Aggregates for the period under the standard keys above (plus any of the app's own);
        `participation` is the app's snapshot.SourceFigures."""
        return {}

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

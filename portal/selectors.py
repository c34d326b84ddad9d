"""Read-side queries on the shared model, shaped so a page runs a bounded number of queries."""

from django.db.models import Count, Q, QuerySet

from .models import Cadre, Unit


def unit_cadres(*, unit: Unit, search: str = "", active: bool | None = None) -> QuerySet:
    """The cadres of one unit, optionally filtered by a name/employee-number search and the active flag."""
    cadres = Cadre.objects.filter(unit=unit).select_related("unit").order_by("-is_liaison", "employee_no")
    search = search.strip()
    if search:
        cadres = cadres.filter(Q(name__icontains=search) | Q(employee_no__icontains=search))
    if active is not None:
        cadres = cadres.filter(is_active=active)
    return cadres


def unit_with_counts(*, unit_id: int) -> Unit:
    """A unit with its cadre counts annotated (total and active), in one query."""
    return Unit.objects.annotate(
        cadre_count=Count("cadres"),
        active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True)),
    ).get(pk=unit_id)


def units_for_liaison_listing() -> QuerySet:
    """Active units in display order with their active cadre counts (one query)."""
    return Unit.objects.filter(is_active=True).annotate(
        active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True))
    )


def home_figures() -> dict:
    """Headline figures for the home page: active units and active cadres."""
    return {
        "unit_count": Unit.objects.filter(is_active=True).count(),
        "cadre_count": Cadre.objects.filter(is_active=True, unit__is_active=True).count(),
    }

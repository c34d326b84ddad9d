"""Admin for matches (schedule and results), ranked results, judges' scores and the computed placings.

Every result goes through the results services (the forms call them while validating), so the knockout
advances, placings follow and the audit trail records old and new values, exactly as on the referee pages.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_tools import ReadOnlyAdminMixin, SafeDateHierarchyMixin
from portal.errors import PortalError

from ..forms.admin import JudgeScoreAdminForm, MatchAdminForm, RankedResultAdminForm
from ..models import JudgeScore, Match, Placing, RankedResult
from ..services.fixtures import matches_schedule
from ..services.results import match_clear_result
from .base import ParsedInitialMixin, run_for_each, warn_conflicts


class ServiceFormAdmin(ParsedInitialMixin, admin.ModelAdmin):
    """Hands the request's user to the form, whose clean() runs the service; saving then only logs."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_form(self, request, form, change):
        saved = getattr(form, "saved", None)
        return saved if saved is not None else super().save_form(request, form, change)

    def save_model(self, request, obj, form, change):
        if not getattr(form, "handled", False):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not getattr(form, "handled", False):
            super().save_related(request, form, formsets, change)


@admin.register(Match)
class MatchAdmin(SafeDateHierarchyMixin, ServiceFormAdmin):
    form = MatchAdminForm
    list_display = ["__str__", "competition", "round_display", "scheduled_at", "venue", "court", "result_display"]
    list_display_links = ["__str__"]
    list_editable = ["scheduled_at", "venue", "court"]
    list_filter = [("competition", admin.RelatedOnlyFieldListFilter), "stage", "status", "competition__activity"]
    list_select_related = ["competition", "home", "away"]
    search_fields = ["home__name", "away__name", "venue", "court", "competition__name"]
    ordering = ["competition", "stage", "group", "round_no", "slot"]
    date_hierarchy = "scheduled_at"
    list_per_page = 50
    actions = ["clear_results"]
    readonly_fields = [
        "competition",
        "stage",
        "group",
        "round_no",
        "slot",
        "home",
        "away",
        "status",
        "winner",
        "next_match",
        "loser_next_match",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["competition", ("stage", "group", "round_no", "slot"), ("home", "away"), "status", "winner"]},
        ),
        (_("Time and place"), {"fields": ["scheduled_at", "venue", "court"]}),
        (_("Result"), {"fields": [("home_score", "away_score"), "sets", "walkover", "note"]}),
        (_("Knockout"), {"fields": ["next_match", "loser_next_match"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("round"), ordering="round_no")
    def round_display(self, match):
        stage = match.get_stage_display()
        group = f" {match.group}" if match.group else ""
        return gettext("%(stage)s%(group)s, round %(round)d") % {
            "stage": stage,
            "group": group,
            "round": match.round_no,
        }

    @admin.display(description=_("result"), ordering="status")
    def result_display(self, match):
        if match.status in (Match.Status.PLAYED, Match.Status.WALKOVER):
            return f"{match.home_score}:{match.away_score}"
        return match.get_status_display()

    def get_changelist_form(self, request, **kwargs):
        # Narrow inputs, so that a row of the schedule fits on a laptop screen.
        kwargs.setdefault(
            "widgets",
            {"venue": forms.TextInput(attrs={"size": 16}), "court": forms.TextInput(attrs={"size": 6})},
        )
        return super().get_changelist_form(request, **kwargs)

    def has_add_permission(self, request):
        # Matches come from the draw (the competition's "generate fixtures" action).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if getattr(form, "handled", False):
            warn_conflicts(self, request, form.warnings)
            return
        if not form.changed_data:
            return
        # A row of the change list's inline editing: only the time and place.
        try:
            warnings = matches_schedule(
                actor=request.user, match=obj, scheduled_at=obj.scheduled_at, venue=obj.venue, court=obj.court
            )
        except PortalError as error:
            self.message_user(
                request, gettext("%(object)s: %(error)s") % {"object": obj, "error": error}, messages.ERROR
            )
            return
        warn_conflicts(self, request, warnings)

    @admin.action(description=_("Clear the results of the selected matches"), permissions=["change"])
    def clear_results(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda m: match_clear_result(actor=request.user, match=m),
            done_message=gettext("Results cleared for %(count)d match(es)."),
        )


@admin.register(RankedResult)
class RankedResultAdmin(ServiceFormAdmin):
    form = RankedResultAdminForm
    list_display = ["team", "unit", "competition", "value", "note", "updated_at"]
    list_filter = ["team__competition__activity", ("team__competition", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["team__name", "team__unit__name", "note"]
    list_select_related = ["team__unit", "team__competition"]
    autocomplete_fields = ["team"]

    @admin.display(description=_("unit"))
    def unit(self, result):
        return result.team.unit

    @admin.display(description=_("competition"))
    def competition(self, result):
        return result.team.competition

    def get_readonly_fields(self, request, obj=None):
        return ["team"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JudgeScore)
class JudgeScoreAdmin(ServiceFormAdmin):
    form = JudgeScoreAdminForm
    list_display = ["team", "competition", "judge", "score", "updated_at"]
    list_filter = ["team__competition__activity", ("team__competition", admin.RelatedOnlyFieldListFilter), "judge"]
    search_fields = ["team__name", "team__unit__name", "judge"]
    list_select_related = ["team__competition"]
    autocomplete_fields = ["team"]

    @admin.display(description=_("competition"))
    def competition(self, score):
        return score.team.competition

    def get_readonly_fields(self, request, obj=None):
        return ["team", "judge"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Placing)
class PlacingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Placings are computed from the results (the competition's "compute placings" action); read-only here."""

    list_display = ["competition", "place", "team", "unit", "points", "medal_display"]
    list_filter = ["competition__activity", ("competition", admin.RelatedOnlyFieldListFilter), "place"]
    search_fields = ["team__name", "unit__name", "competition__name"]
    list_select_related = ["competition", "team", "unit"]
    ordering = ["competition", "place", "team_id"]

    @admin.display(description=_("medal"))
    def medal_display(self, placing):
        return {"gold": gettext("Gold"), "silver": gettext("Silver"), "bronze": gettext("Bronze")}.get(
            placing.medal, ""
        )

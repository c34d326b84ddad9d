"""Admin for activities, their outstanding-organisation awards and (read-only) individual registrations."""

from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_tools import AuditedAdminMixin, ReadOnlyAdminMixin, SafeDateHierarchyMixin
from portal.audit import audit_record

from ..forms.admin import ActivityAdminForm, ActivityPointsForm
from ..models import Activity, Competition, OrganisationAward, Registration, Team
from ..services.activities import activity_cancel, activity_save, activity_update_points
from .base import ParsedInitialMixin, run_for_each, service_form_link, service_form_view


def _award_values(award) -> dict:
    return {"unit": award.unit_id, "kind": award.kind, "note": award.note}


def audit_award(request, award, *, action: str, old: dict | None) -> None:
    """Awards are plain records, but who gave which unit an award belongs in the audit trail all the same."""
    audit_record(
        actor=request.user,
        action=f"organisation_award.{action}",
        obj=award,
        changes={"old": old, "new": None if action == "delete" else _award_values(award)},
    )


class CompetitionInline(admin.TabularInline):
    """The activity's competitions at a glance; they are added, changed and set up on their own admin page, where
    the settings go through their service."""

    model = Competition
    fields = ["name", "format", "registration_deadline", "results_published", "sort_order"]
    readonly_fields = ["format", "results_published"]
    show_change_link = True
    extra = 0
    can_delete = False
    ordering = ["sort_order", "id"]

    def has_add_permission(self, request, obj=None):
        return False


class OrganisationAwardInline(admin.TabularInline):
    model = OrganisationAward
    fields = ["unit", "kind", "note"]
    autocomplete_fields = ["unit"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


@admin.register(Activity)
class ActivityAdmin(SafeDateHierarchyMixin, ParsedInitialMixin, AuditedAdminMixin, admin.ModelAdmin):
    """The activity itself is saved (and audited) by activity_save, awards by their own audit below; the mixin
    audits the competitions' inline rows and the deletion of a draft nobody entered."""

    form = ActivityAdminForm
    list_display = [
        "title_display",
        "kind",
        "status",
        "starts_at",
        "venue",
        "has_medal_table",
        "competition_count",
        "poster_thumb",
    ]
    list_filter = ["status", "kind", "has_medal_table", "open_to_individuals", ("starts_at", admin.DateFieldListFilter)]
    list_display_links = ["title_display"]
    search_fields = ["title", "venue", "organiser", "description"]
    date_hierarchy = "starts_at"
    list_per_page = 50
    inlines = [CompetitionInline, OrganisationAwardInline]
    autocomplete_fields = ["organiser_unit"]
    readonly_fields = ["poster_preview", "points_link", "created_by", "created_at", "updated_at"]
    actions = ["cancel_activities"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "status", "description", "venue", "starts_at", "ends_at"]}),
        (_("Poster"), {"fields": ["poster", "poster_preview"]}),
        (
            _("Registration"),
            {"fields": ["registration_opens_at", "registration_closes_at", "open_to_individuals", "capacity"]},
        ),
        (_("Organiser"), {"fields": ["organiser", "organiser_unit"]}),
        (
            _("Multi-event meet"),
            {"fields": ["has_medal_table", "points_by_place", "points_link", "max_events_per_athlete"]},
        ),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(competition_total=Count("competitions"))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The points scale changes through its own page (placings are recomputed); a cancelled activity stays so.
            readonly.append("points_by_place")
            if obj.status == Activity.Status.CANCELLED:
                readonly.append("status")
        return readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # History depends on an activity once anyone has entered it: such an activity is cancelled, not deleted.
        # A draft nobody has entered (a mistake) may go, one at a time from its page.
        if obj is None or obj.status != Activity.Status.DRAFT:
            return False
        if obj.registrations.exists() or Team.objects.filter(competition__activity=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("change team points"))
    def points_link(self, activity):
        return service_form_link("admin:activities_activity_points", activity, gettext("Change the team points…"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/points/", view(self.points_view), name="activities_activity_points"),
            *super().get_urls(),
        ]

    def points_view(self, request, object_id):
        activity = self.get_object(request, object_id)
        if activity is None:
            raise Http404
        return service_form_view(
            self,
            request,
            activity,
            ActivityPointsForm,
            lambda form: activity_update_points(
                actor=request.user, activity=activity, points_by_place=form.cleaned_data["points_by_place"]
            ),
            title=gettext("Team points of %(activity)s") % {"activity": activity.title},
            note=gettext(
                "The placings of every competition of this activity are recomputed with the new points, so the "
                "medal table and the reports follow at once."
            ),
            done=gettext("The team points are changed and the placings recomputed."),
        )

    @admin.action(description=_("Cancel the selected activities (kept as history)"), permissions=["change"])
    def cancel_activities(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda a: activity_cancel(actor=request.user, activity=a),
            done_message=gettext("%(count)d activity(ies) cancelled."),
        )

    @admin.display(description=_("title"), ordering="title")
    def title_display(self, activity):
        return format_html('<span class="portal-nowrap">{}</span>', activity.title)

    @admin.display(description=_("competitions"), ordering="competition_total")
    def competition_count(self, activity):
        return activity.competition_total

    @admin.display(description=_("poster"))
    def poster_thumb(self, activity):
        if not activity.poster:
            return "—"
        return format_html('<img src="{}" alt="" class="portal-admin-thumb">', activity.poster.url)

    @admin.display(description=_("current poster"))
    def poster_preview(self, activity):
        if not activity.poster:
            return "—"
        return format_html('<img src="{}" alt="" class="portal-admin-poster">', activity.poster.url)

    def save_model(self, request, obj, form, change):
        # The form has already checked and resized a new poster; the service validates, saves and audits.
        activity_save(actor=request.user, activity=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not OrganisationAward:
            return super().save_formset(request, form, formset, change)
        # The rows as they were, read before the formset overwrites or deletes them.
        stored = {
            award.pk: award
            for award in OrganisationAward.objects.filter(pk__in=[f.instance.pk for f in formset.initial_forms])
        }
        for deleted in formset.deleted_forms:
            if deleted.instance.pk in stored:
                award = stored[deleted.instance.pk]
                audit_award(request, award, action="delete", old=_award_values(award))
        # Past the mixin: awards are audited here, in the award's own words.
        admin.ModelAdmin.save_formset(self, request, form, formset, change)
        for award in formset.new_objects:
            audit_award(request, award, action="create", old=None)
        for award, _fields in formset.changed_objects:
            audit_award(request, award, action="update", old=_award_values(stored[award.pk]))


@admin.register(OrganisationAward)
class OrganisationAwardAdmin(ParsedInitialMixin, admin.ModelAdmin):
    list_display = ["unit", "kind", "activity", "note"]
    list_filter = ["kind", "activity"]
    search_fields = ["unit__name", "unit__short_name", "activity__title", "note"]
    list_select_related = ["unit", "activity"]
    autocomplete_fields = ["unit", "activity"]

    def save_model(self, request, obj, form, change):
        old = _award_values(OrganisationAward.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_award(request, obj, action="update" if change else "create", old=old)

    def delete_model(self, request, obj):
        old = _award_values(obj)
        audit_award(request, obj, action="delete", old=old)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for award in queryset:
            audit_award(request, award, action="delete", old=_award_values(award))
        super().delete_queryset(request, queryset)


@admin.register(Registration)
class RegistrationAdmin(SafeDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Individual sign-ups are the cadres' own doing (through the sign-up service); staff read them here."""

    list_display = ["cadre", "unit_name", "activity", "status", "created_at"]
    list_filter = ["status", "activity"]
    search_fields = ["cadre__name", "cadre__employee_no", "activity__title"]
    list_select_related = ["cadre__unit", "activity"]
    date_hierarchy = "created_at"

    @admin.display(description=_("unit"), ordering="cadre__unit__sort_order")
    def unit_name(self, registration):
        return registration.cadre.unit.name

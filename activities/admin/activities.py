"""Admin for activities, their outstanding-organisation awards and (read-only) individual registrations."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin_tools import ReadOnlyAdminMixin
from portal.audit import audit_record

from ..forms.admin import ActivityAdminForm
from ..models import Activity, Competition, OrganisationAward, Registration
from ..services.activities import activity_save


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
    model = Competition
    fields = ["name", "format", "registration_deadline", "results_published", "sort_order"]
    readonly_fields = ["results_published"]
    show_change_link = True
    extra = 0
    ordering = ["sort_order", "id"]


class OrganisationAwardInline(admin.TabularInline):
    model = OrganisationAward
    fields = ["unit", "kind", "note"]
    autocomplete_fields = ["unit"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
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
    readonly_fields = ["poster_preview", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "status", "description", "venue", "starts_at", "ends_at"]}),
        (_("Poster"), {"fields": ["poster", "poster_preview"]}),
        (
            _("Registration"),
            {"fields": ["registration_opens_at", "registration_closes_at", "open_to_individuals", "capacity"]},
        ),
        (_("Organiser"), {"fields": ["organiser", "organiser_unit"]}),
        (_("Multi-event meet"), {"fields": ["has_medal_table", "points_by_place", "max_events_per_athlete"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(competition_total=Count("competitions"))

    @admin.display(description=_("title"), ordering="title")
    def title_display(self, activity):
        return format_html('<span style="white-space:nowrap">{}</span>', activity.title)

    @admin.display(description=_("competitions"), ordering="competition_total")
    def competition_count(self, activity):
        return activity.competition_total

    @admin.display(description=_("poster"))
    def poster_thumb(self, activity):
        if not activity.poster:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:40px;max-width:60px">', activity.poster.url)

    @admin.display(description=_("current poster"))
    def poster_preview(self, activity):
        if not activity.poster:
            return "—"
        return format_html('<img src="{}" alt="" style="max-width:320px;max-height:320px">', activity.poster.url)

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
        super().save_formset(request, form, formset, change)
        for award in formset.new_objects:
            audit_award(request, award, action="create", old=None)
        for award, _fields in formset.changed_objects:
            audit_award(request, award, action="update", old=_award_values(stored[award.pk]))


@admin.register(OrganisationAward)
class OrganisationAwardAdmin(admin.ModelAdmin):
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
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Individual sign-ups are the cadres' own doing (through the sign-up service); staff read them here."""

    list_display = ["cadre", "unit_name", "activity", "status", "created_at"]
    list_filter = ["status", "activity"]
    search_fields = ["cadre__name", "cadre__employee_no", "activity__title"]
    list_select_related = ["cadre__unit", "activity"]
    date_hierarchy = "created_at"

    @admin.display(description=_("unit"), ordering="cadre__unit__sort_order")
    def unit_name(self, registration):
        return registration.cadre.unit.name

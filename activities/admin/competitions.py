"""Admin for competitions (the draw, entries, publishing, the Excel export), their teams and substitutions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_tools import AuditedAdminMixin
from portal.numbers import parse_positive_int

from ..exports import XLSX_CONTENT_TYPE, competitions_entries_xlsx
from ..forms.admin import CompetitionSettingsForm
from ..models import Competition, Match, Substitution, Team, TeamMember
from ..services.competitions import SETTINGS_FIELDS, competition_is_drawn, competition_update_settings
from ..services.fixtures import competition_entries_lock, fixtures_generate, fixtures_reset, schedule_conflicts
from ..services.placings import competition_compute_placings
from ..services.results import competition_publish_results
from ..services.teams import team_reinstate, team_withdraw
from .base import ParsedInitialMixin, describe_conflict, run_for_each, service_form_link, service_form_view


def _member_names(team) -> str:
    return "、".join(f"{m.cadre.name}（{m.cadre.employee_no}）" for m in team.members.all()) or "—"


def _member_summary(team, shown: int = 3) -> str:
    members = list(team.members.all())
    names = "、".join(m.cadre.name for m in members[:shown]) or "—"
    if len(members) > shown:
        names += gettext(" and %(count)d more") % {"count": len(members) - shown}
    return names


class TeamInline(admin.TabularInline):
    """The entries, as the liaisons registered them: staff set seeds here; members are read-only."""

    model = Team
    fields = ["place_no", "name", "unit", "members_display", "seed", "group", "status"]
    readonly_fields = ["place_no", "name", "unit", "members_display", "group", "status"]
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["place_no"]

    def get_queryset(self, request):
        members = TeamMember.objects.select_related("cadre").order_by("id")
        return super().get_queryset(request).select_related("unit").prefetch_related(Prefetch("members", members))

    def has_add_permission(self, request, obj=None):
        # Teams are entered by liaisons through the registration rules, not typed in here.
        return False

    @admin.display(description=_("members"))
    def members_display(self, team):
        return _member_names(team)


@admin.register(Competition)
class CompetitionAdmin(ParsedInitialMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Plain edits (name, venue, referees, seeds in the entries...) are audited by AuditedAdminMixin; the settings
    change through "Change settings" and everything with consequences through the actions, all via services."""

    change_form_template = "admin/activities/competition/change_form.html"
    list_display = [
        "name_display",
        "activity",
        "format",
        "registration_deadline",
        "team_count",
        "match_count",
        "entries_locked_display",
        "results_published",
    ]
    list_filter = ["format", "results_published", ("entries_locked_at", admin.EmptyFieldListFilter), "activity"]
    list_display_links = ["name_display"]
    search_fields = ["name", "discipline", "activity__title"]
    list_select_related = ["activity"]
    # Autocomplete, not a select of every account: a city has tens of thousands of them.
    autocomplete_fields = ["activity", "referees"]
    readonly_fields = ["entries_locked_at", "results_published", "settings_link", "created_at", "updated_at"]
    inlines = [TeamInline]
    list_per_page = 50
    actions = [
        "generate_fixtures",
        "reset_fixtures",
        "lock_entries",
        "unlock_entries",
        "publish_results",
        "unpublish_results",
        "compute_placings",
        "export_entries",
    ]
    fieldsets = [
        (None, {"fields": ["activity", "name", "discipline", "format", "venue", "sort_order"]}),
        (
            _("Entries"),
            {
                "fields": [
                    "registration_deadline",
                    "entries_locked_at",
                    "capacity",
                    "entries_per_unit",
                    ("team_size_min", "team_size_max"),
                    "gender_rule",
                    ("min_age", "max_age"),
                ]
            },
        ),
        (
            _("Format"),
            {
                "fields": [
                    "settings_link",
                    ("group_count", "advance_per_group"),
                    "third_place_match",
                    ("points_win", "points_draw", "points_loss"),
                    "tiebreakers",
                    ("result_ordering", "result_label"),
                    "drop_extreme_scores",
                ]
            },
        ),
        (_("Results"), {"fields": ["results_published", "referees"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_teams=Count("teams", filter=Q(teams__status=Team.Status.ACTIVE), distinct=True),
                matches_total=Count("matches", distinct=True),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Settings change only through "Change settings" (competition_update_settings), which refuses what the
            # draw makes meaningless and recomputes what follows from the scoring.
            readonly += [name for name in SETTINGS_FIELDS if name not in readonly]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # Nothing to link to before the competition exists.
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "settings_link"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Only a competition nobody has entered may go (a mistake), one at a time from its page; any other has
        # history (teams, withdrawals, matches, results) that reports and audit entries point at.
        if obj is None or obj.teams.exists() or obj.matches.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("settings"))
    def settings_link(self, competition):
        return service_form_link("admin:activities_competition_settings", competition, gettext("Change the settings…"))

    def settings_view(self, request, object_id):
        competition = self.get_object(request, object_id)
        if competition is None:
            raise Http404
        drawn = competition_is_drawn(competition)
        return service_form_view(
            self,
            request,
            competition,
            CompetitionSettingsForm,
            lambda form: competition_update_settings(
                actor=request.user, competition=competition, changes=form.changes()
            ),
            title=gettext("Settings of %(competition)s") % {"competition": competition.name},
            note=gettext(
                "The draw is made: what it depends on is shown but cannot change. Points and tie-breakers can; "
                "the tables, placings and team points are recomputed at once."
            )
            if drawn
            else gettext("Changed points and tie-breakers are applied to the results at once."),
            done=gettext("The settings of %(competition)s are changed.") % {"competition": competition.name},
        )

    @admin.display(description=_("name"), ordering="name")
    def name_display(self, competition):
        return format_html('<span class="portal-nowrap">{}</span>', competition.name)

    @admin.display(description=_("teams"), ordering="active_teams")
    def team_count(self, competition):
        return competition.active_teams

    @admin.display(description=_("matches"), ordering="matches_total")
    def match_count(self, competition):
        return competition.matches_total

    @admin.display(description=_("entries locked"), boolean=True, ordering="entries_locked_at")
    def entries_locked_display(self, competition):
        return competition.entries_locked

    # --- Actions: each calls a service; a broken rule is an error message ------------------------------------

    @admin.action(description=_("Generate fixtures (locks the entries)"), permissions=["change"])
    def generate_fixtures(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: fixtures_generate(actor=request.user, competition=c),
            done_message=gettext("Fixtures generated for %(count)d competition(s)."),
        )

    @admin.action(description=_("Reset fixtures (only while no result is entered)"), permissions=["change"])
    def reset_fixtures(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: fixtures_reset(actor=request.user, competition=c),
            done_message=gettext("Fixtures reset for %(count)d competition(s)."),
        )

    @admin.action(description=_("Lock entries"), permissions=["change"])
    def lock_entries(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: competition_entries_lock(actor=request.user, competition=c, locked=True),
            done_message=gettext("Entries locked for %(count)d competition(s)."),
        )

    @admin.action(description=_("Unlock entries"), permissions=["change"])
    def unlock_entries(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: competition_entries_lock(actor=request.user, competition=c, locked=False),
            done_message=gettext("Entries unlocked for %(count)d competition(s)."),
        )

    @admin.action(description=_("Publish results"), permissions=["change"])
    def publish_results(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: competition_publish_results(actor=request.user, competition=c, published=True),
            done_message=gettext("Results published for %(count)d competition(s)."),
        )

    @admin.action(description=_("Hold results back (unpublish)"), permissions=["change"])
    def unpublish_results(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: competition_publish_results(actor=request.user, competition=c, published=False),
            done_message=gettext("Results held back for %(count)d competition(s)."),
        )

    @admin.action(description=_("Compute placings and team points"), permissions=["change"])
    def compute_placings(self, request, queryset):
        for competition in queryset:
            outcome = competition_compute_placings(competition=competition, actor=request.user)
            if outcome.complete:
                self.message_user(
                    request,
                    gettext("%(competition)s: %(count)d placings.")
                    % {"competition": competition, "count": len(outcome.places)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext("%(competition)s: results are not complete (%(missing)d missing); no placings yet.")
                    % {"competition": competition, "missing": outcome.missing},
                    messages.WARNING,
                )

    @admin.action(description=_("Export entries to Excel"), permissions=["view"])
    def export_entries(self, request, queryset):
        competitions = list(queryset.select_related("activity").order_by("activity", "sort_order", "id"))
        return self._xlsx_response(competitions)

    def _xlsx_response(self, competitions):
        response = HttpResponse(competitions_entries_xlsx(competitions), content_type=XLSX_CONTENT_TYPE)
        name = f"entries-{competitions[0].pk}.xlsx" if len(competitions) == 1 else "entries.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # --- The change pages: export button, schedule warnings, settings -----------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:pk>/export/", view(self.export_view), name="activities_competition_export"),
            path("<path:object_id>/settings/", view(self.settings_view), name="activities_competition_settings"),
            *super().get_urls(),
        ]

    def export_view(self, request, pk):
        competition = get_object_or_404(Competition.objects.select_related("activity"), pk=pk)
        if not self.has_view_permission(request, competition):
            raise PermissionDenied
        return self._xlsx_response([competition])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        pk = parse_positive_int(object_id)
        competition = Competition.objects.filter(pk=pk).first() if pk is not None else None
        if competition is not None:
            conflicts = schedule_conflicts(competition=competition)
            extra_context.update(
                conflicts=[describe_conflict(c) for c in conflicts[:100]],
                conflict_count=len(conflicts),
                match_counts=competition.matches.aggregate(
                    total=Count("id"),
                    decided=Count("id", filter=Q(status__in=(Match.Status.PLAYED, Match.Status.WALKOVER))),
                    unscheduled=Count("id", filter=Q(scheduled_at__isnull=True, status=Match.Status.SCHEDULED)),
                ),
                matches_url=reverse("admin:activities_match_changelist") + f"?competition__id__exact={competition.pk}",
                export_url=reverse("admin:activities_competition_export", args=[competition.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Name and seed are plain edits (audited by AuditedAdminMixin); the status changes through the actions."""

    list_display = ["name", "unit", "competition", "place_no", "seed", "status", "members_summary"]
    list_filter = ["status", "competition__activity", ("competition", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "unit__name", "unit__short_name", "members__cadre__name", "members__cadre__employee_no"]
    list_select_related = ["unit", "competition"]
    # The status changes only through the withdraw / reinstate actions: a withdrawal frees the place and the
    # members, and a team coming back needs a free place, checked under the lock like a new entry.
    readonly_fields = [
        "competition",
        "unit",
        "place_no",
        "group",
        "status",
        "members_display",
        "registered_by",
        "created_at",
    ]
    actions = ["withdraw_teams", "reinstate_teams"]
    fields = [
        "competition",
        "unit",
        "name",
        "place_no",
        "seed",
        "group",
        "status",
        "members_display",
        "registered_by",
        "created_at",
    ]
    list_per_page = 50

    def get_queryset(self, request):
        members = TeamMember.objects.select_related("cadre").order_by("id")
        return super().get_queryset(request).prefetch_related(Prefetch("members", members))

    @admin.display(description=_("members"))
    def members_display(self, team):
        return _member_names(team)

    @admin.display(description=_("members"))
    def members_summary(self, team):
        return format_html('<span class="portal-nowrap">{}</span>', _member_summary(team))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A team is history (matches, results, placings, substitutions point at it): it is withdrawn, not deleted.
        return False

    @admin.action(description=_("Withdraw the selected teams (frees their places)"), permissions=["change"])
    def withdraw_teams(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset.select_related("unit"),
            lambda t: team_withdraw(actor=request.user, team=t),
            done_message=gettext("%(count)d team(s) withdrawn."),
        )

    @admin.action(description=_("Reinstate the selected withdrawn teams"), permissions=["change"])
    def reinstate_teams(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda t: team_reinstate(actor=request.user, team=t),
            done_message=gettext("%(count)d team(s) reinstated."),
        )


@admin.register(Substitution)
class SubstitutionAdmin(admin.ModelAdmin):
    list_display = ["team", "competition", "outgoing", "incoming", "reason", "status", "requested_by", "created_at"]
    list_filter = ["status", "team__competition__activity"]
    search_fields = ["team__name", "outgoing__name", "incoming__name", "team__unit__name"]
    list_select_related = ["team__competition", "outgoing", "incoming", "requested_by"]
    readonly_fields = [
        "team",
        "outgoing",
        "incoming",
        "reason",
        "status",
        "requested_by",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    actions = ["approve", "reject"]

    @admin.display(description=_("competition"))
    def competition(self, substitution):
        return substitution.team.competition

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, approve: bool):
        from ..services.substitution import substitution_decide

        run_for_each(
            self,
            request,
            queryset,
            lambda s: substitution_decide(actor=request.user, substitution=s, approve=approve),
            done_message=gettext("%(count)d substitution(s) approved.")
            if approve
            else gettext("%(count)d substitution(s) rejected."),
        )

    @admin.action(description=_("Approve the selected substitutions"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected substitutions"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)

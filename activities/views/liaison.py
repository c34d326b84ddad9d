"""Liaison pages: enter the unit's teams into open competitions, change or withdraw them, ask for substitutions.

Only liaisons reach these pages, and only for their own unit's teams (anything else is a 404). The services
enforce every rule again, so a forged POST fails like a wrong one.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.errors import PortalError
from portal.permissions import PortalAccessMixin, cadre_of, is_liaison, is_liaison_of

from ..forms.registration import SubstitutionForm, TeamEntryForm
from ..models import Competition, Substitution, Team
from ..selectors.registration import (
    competition_for_entry,
    competitions_open_for_entries,
    team_candidates,
    team_with_unit,
    unit_teams,
)
from ..services.substitution import substitution_request
from ..services.teams import (
    default_team_name,
    team_entry_closed_reason,
    team_register,
    team_update_members,
    team_withdraw,
)


def _add_errors(form, error: PortalError) -> None:
    for message in getattr(error, "messages", None) or [str(error)]:
        form.add_error(None, message)


class LiaisonMixin(PortalAccessMixin):
    def has_access(self, user):
        return is_liaison(user)

    @property
    def unit(self):
        return cadre_of(self.request.user).unit


class LiaisonTeamMixin(LiaisonMixin):
    """Loads the team named in the URL; another unit's team is a 404, a withdrawn one goes back to the list."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_liaison(request.user):
            try:
                self.team = team_with_unit(kwargs["pk"])
            except Team.DoesNotExist as exc:
                raise Http404 from exc
            self.require(is_liaison_of(request.user, self.team.unit))
            if self.team.status != Team.Status.ACTIVE:
                messages.info(request, _("Team %(team)s has been withdrawn.") % {"team": self.team.name})
                return redirect("activities:unit_teams")
        return super().dispatch(request, *args, **kwargs)


class OpenCompetitionsView(LiaisonMixin, TemplateView):
    """The competitions open for entries now, with the unit's current teams in each."""

    template_name = "activities/liaison/competitions.html"

    def get_context_data(self, **kwargs):
        unit = self.unit
        return super().get_context_data(
            unit=unit, competitions=competitions_open_for_entries(unit=unit, now=timezone.now()), **kwargs
        )


class TeamFormMixin:
    template_name = "activities/liaison/team_form.html"

    def render_form(self, form, competition, team=None):
        unit = team.unit if team else self.unit
        selected = form.selected_ids()
        candidates = team_candidates(competition=competition, unit=unit, team=team)
        # The chosen members first: on a phone the liaison sees the team without scrolling.
        candidates.sort(key=lambda candidate: candidate.cadre.pk not in selected)
        if team is not None:
            form.fields["name"].help_text = _("Leave empty to keep the current name.")
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "competition": competition,
                "unit": unit,
                "team": team,
                "candidates": candidates,
                "selected": selected,
                "closed_reason": team_entry_closed_reason(competition, timezone.now()),
            },
        )


class TeamCreateView(LiaisonMixin, TeamFormMixin, View):
    """Enter a new team: name (a default is offered) and members chosen from the unit's active cadres."""

    def get_competition(self):
        try:
            return competition_for_entry(self.kwargs["pk"])
        except Competition.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk):
        competition = self.get_competition()
        unit = self.unit
        form = TeamEntryForm(unit=unit, initial={"name": default_team_name(competition=competition, unit=unit)})
        return self.render_form(form, competition)

    def post(self, request, pk):
        competition = self.get_competition()
        unit = self.unit
        form = TeamEntryForm(request.POST, unit=unit)
        if form.is_valid():
            try:
                team = team_register(
                    actor=request.user,
                    competition=competition,
                    unit=unit,
                    name=form.cleaned_data["name"],
                    members=list(form.cleaned_data["members"]),
                )
            except PortalError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Team %(team)s is entered in %(competition)s (entry number %(place)s).")
                    % {"team": team.name, "competition": competition.name, "place": team.place_no},
                )
                return redirect("activities:unit_teams")
        return self.render_form(form, competition)


class TeamEditView(LiaisonTeamMixin, TeamFormMixin, View):
    """Change a team's name and members before the deadline."""

    def get(self, request, pk):
        members = [m.cadre_id for m in self.team.members.all()]
        form = TeamEntryForm(unit=self.team.unit, initial={"name": self.team.name, "members": members})
        return self.render_form(form, self.team.competition, self.team)

    def post(self, request, pk):
        form = TeamEntryForm(request.POST, unit=self.team.unit)
        if form.is_valid():
            try:
                team_update_members(
                    actor=request.user,
                    team=self.team,
                    members=list(form.cleaned_data["members"]),
                    name=form.cleaned_data["name"],
                )
            except PortalError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Team %(team)s is updated.") % {"team": self.team.name})
                return redirect("activities:unit_teams")
        return self.render_form(form, self.team.competition, self.team)


class TeamWithdrawView(LiaisonTeamMixin, TemplateView):
    """GET asks for confirmation; POST withdraws the team and frees its place."""

    template_name = "activities/liaison/team_withdraw.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            team=self.team,
            members=self.team.members.select_related("cadre"),
            closed_reason=team_entry_closed_reason(self.team.competition, timezone.now()),
            **kwargs,
        )

    def post(self, request, pk):
        try:
            team_withdraw(actor=request.user, team=self.team)
        except PortalError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Team %(team)s is withdrawn; its place is free.") % {"team": self.team.name})
        return redirect("activities:unit_teams")


class TeamSubstituteView(LiaisonTeamMixin, View):
    """After the deadline: ask the committee to replace one member."""

    template_name = "activities/liaison/team_substitute.html"

    def render_form(self, form):
        team = self.team
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "team": team,
                "members": team.members.select_related("cadre"),
                "registration_open": team_entry_closed_reason(team.competition, timezone.now()) is None,
                "pending": team.substitutions.filter(status=Substitution.Status.PENDING).select_related(
                    "outgoing", "incoming"
                ),
            },
        )

    def over(self) -> bool:
        """A finished activity's team is history: no substitution page (the service refuses it too)."""
        activity = self.team.competition.activity
        if not activity.is_over(timezone.now()):
            return False
        messages.error(
            self.request, _("%(activity)s is over; its teams can no longer change.") % {"activity": activity.title}
        )
        return True

    def get(self, request, pk):
        if self.over():
            return redirect("activities:unit_teams")
        return self.render_form(SubstitutionForm(team=self.team))

    def post(self, request, pk):
        if self.over():
            return redirect("activities:unit_teams")
        form = SubstitutionForm(request.POST, team=self.team)
        if form.is_valid():
            try:
                substitution_request(
                    actor=request.user,
                    team=self.team,
                    outgoing=form.cleaned_data["outgoing"],
                    incoming=form.cleaned_data["incoming"],
                    reason=form.cleaned_data["reason"],
                )
            except PortalError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The substitution is requested; the committee will decide on it."))
                return redirect("activities:unit_teams")
        return self.render_form(form)


class UnitTeamsView(LiaisonMixin, TemplateView):
    """The unit's teams with their members, status and substitution requests: those of activities still to come
    (or under way) first, with what the liaison can do; then those of finished activities, as a record."""

    template_name = "activities/liaison/unit_teams.html"

    def get_context_data(self, **kwargs):
        unit = self.unit
        now = timezone.now()
        upcoming, finished = [], []
        for team in unit_teams(unit=unit):
            if team.competition.activity.is_over(now):
                finished.append(team)
            else:
                team.closed_reason = team_entry_closed_reason(team.competition, now)
                upcoming.append(team)
        # The most recent activity first: last season's teams are what a liaison looks up.
        finished.sort(key=lambda team: team.competition.activity.starts_at, reverse=True)
        return super().get_context_data(unit=unit, teams=upcoming, finished_teams=finished, **kwargs)


urlpatterns = [
    path("register/", OpenCompetitionsView.as_view(), name="register"),
    path("competitions/<id:pk>/teams/new/", TeamCreateView.as_view(), name="team_create"),
    path("teams/<id:pk>/edit/", TeamEditView.as_view(), name="team_edit"),
    path("teams/<id:pk>/withdraw/", TeamWithdrawView.as_view(), name="team_withdraw"),
    path("teams/<id:pk>/substitute/", TeamSubstituteView.as_view(), name="team_substitute"),
    path("my-unit/teams/", UnitTeamsView.as_view(), name="unit_teams"),
]

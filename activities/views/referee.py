"""Referee pages: the competitions a referee is assigned to, their matches, and the result form (phone-first).

Staff may use them for any competition. Anyone else (a cadre who is no referee, a referee of another
competition) gets a 404, as for every object out of reach.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.permissions import PortalAccessMixin, is_committee_staff

from ..forms.results import MatchResultForm, format_sets
from ..models import Activity, Competition, Match
from ..services.results import can_enter_results

MATCH_FORMATS = (Competition.Format.ROUND_ROBIN, Competition.Format.KNOCKOUT, Competition.Format.GROUPS_KNOCKOUT)
TO_PLAY = Q(status=Match.Status.SCHEDULED, home__isnull=False, away__isnull=False)
DECIDED = Q(status__in=(Match.Status.PLAYED, Match.Status.WALKOVER))
FILTERS = ("todo", "done", "all")
DECIDED_STATUSES = (Match.Status.PLAYED, Match.Status.WALKOVER)
MATCH_HAS_TEAMS = Q(matches__home__isnull=False, matches__away__isnull=False)


def refereed_competitions(user):
    """The competitions with matches whose results `user` may enter, with to-do and done counts (one query).

    Staff see every running competition with matches; a referee the ones assigned to them.
    """
    assigned = Q(pk__in=Competition.referees.through.objects.filter(user_id=user.pk).values("competition_id"))
    if is_committee_staff(user):
        assigned |= Q(activity__status__in=(Activity.Status.PUBLISHED, Activity.Status.CLOSED))
    return (
        Competition.objects.filter(assigned, format__in=MATCH_FORMATS)
        .select_related("activity")
        .annotate(
            to_play=Count("matches", filter=Q(matches__status=Match.Status.SCHEDULED) & MATCH_HAS_TEAMS),
            decided=Count("matches", filter=Q(matches__status__in=DECIDED_STATUSES)),
            next_at=Min("matches__scheduled_at", filter=Q(matches__status=Match.Status.SCHEDULED) & MATCH_HAS_TEAMS),
        )
        .order_by("activity__starts_at", "activity_id", "sort_order", "id")
    )


def is_referee(user) -> bool:
    """Whether the referee pages are open to the user: staff, or a referee of at least one competition."""
    return bool(user.is_authenticated and (is_committee_staff(user) or user.refereed_competitions.exists()))


class RefereeAccessMixin(PortalAccessMixin):
    def has_access(self, user):
        return is_referee(user)


class RefereeHomeView(RefereeAccessMixin, TemplateView):
    template_name = "activities/referee/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(competitions=list(refereed_competitions(self.request.user)), **kwargs)


class RefereeCompetitionView(RefereeAccessMixin, TemplateView):
    """A competition's matches for entering results: to play (default), with results, or all; 30 a page."""

    template_name = "activities/referee/competition.html"
    paginate_by = 30

    def get_context_data(self, **kwargs):
        competition = get_object_or_404(
            Competition.objects.select_related("activity"), pk=self.kwargs["pk"], format__in=MATCH_FORMATS
        )
        self.require(can_enter_results(self.request.user, competition))
        show = self.request.GET.get("show")
        show = show if show in FILTERS else "todo"
        matches = Match.objects.filter(competition=competition).select_related("home", "away")
        if show == "todo":
            matches = matches.filter(TO_PLAY)
        elif show == "done":
            matches = matches.filter(DECIDED)
        else:
            matches = matches.exclude(status=Match.Status.BYE)
        matches = matches.order_by("scheduled_at", "stage", "group", "round_no", "slot", "id")
        page = Paginator(matches, self.paginate_by).get_page(self.request.GET.get("page"))
        for match in page.object_list:
            match.sets_text = format_sets(match.detail.get("sets"))
        return super().get_context_data(
            competition=competition,
            show=show,
            filters=[("todo", _("To play")), ("done", _("With results")), ("all", _("All"))],
            page_obj=page,
            matches=page.object_list,
            query=f"show={show}",
            **kwargs,
        )


class RefereeMatchView(RefereeAccessMixin, TemplateView):
    """The result form of one match; a broken rule shows as a form error and nothing is saved."""

    template_name = "activities/referee/match.html"

    def get_match(self) -> Match:
        match = get_object_or_404(
            Match.objects.select_related("competition__activity", "home__unit", "away__unit"), pk=self.kwargs["pk"]
        )
        self.require(can_enter_results(self.request.user, match.competition))
        return match

    def get(self, request, *args, **kwargs):
        match = self.get_match()
        return self.render_to_response(self.get_context_data(match=match, form=MatchResultForm(match=match)))

    def post(self, request, *args, **kwargs):
        match = self.get_match()
        form = MatchResultForm(request.POST, match=match)
        if form.is_valid() and form.save(actor=request.user) is not None:
            messages.success(request, _("Result saved: %(match)s.") % {"match": match})
            return redirect("activities:referee_competition", pk=match.competition_id)
        return self.render_to_response(self.get_context_data(match=match, form=form), status=200)

    def get_context_data(self, **kwargs):
        match = kwargs["match"]
        return super().get_context_data(
            competition=match.competition,
            ready=bool(
                match.home_id
                and match.away_id
                and match.scheduled_at
                and match.status not in (Match.Status.BYE, Match.Status.CANCELLED)
            ),
            **kwargs,
        )


urlpatterns = [
    path("referee/", RefereeHomeView.as_view(), name="referee_home"),
    path("referee/competitions/<id:pk>/", RefereeCompetitionView.as_view(), name="referee_competition"),
    path("referee/matches/<id:pk>/", RefereeMatchView.as_view(), name="referee_match"),
]

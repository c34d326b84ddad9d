"""Anchors for `bench_pages`: a view returning a constant response, and the naive version of each measured page.

A naive version is what the obvious code would be: a ListView with `select_related` over the same rows, in a
plain template without the navigation, forms or caching. It runs behind the same middleware in the same server,
so a page's throughput divided by its anchor's says what the page's own work costs, whatever the machine.
"""

from django.db.models import Count, Q
from django.http import HttpResponse
from django.views.generic import ListView

from portal.models import Cadre

from ..models import Activity, Match, TeamMember


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


class NaiveUnitCadres(ListView):
    template_name = "bench/naive_unit.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Cadre.objects.filter(unit_id=self.kwargs["pk"])
            .select_related("unit")
            .order_by("-is_liaison", "employee_no")
        )


class NaiveActivities(ListView):
    template_name = "bench/naive_activities.html"
    paginate_by = 20

    def get_queryset(self):
        return (
            Activity.objects.filter(status__in=Activity.PUBLIC_STATUSES)
            .select_related("organiser_unit")
            .annotate(competition_count=Count("competitions"))
            .order_by("-starts_at", "id")
        )


class NaiveSchedule(ListView):
    template_name = "bench/naive_schedule.html"

    def get_queryset(self):
        teams = TeamMember.objects.filter(cadre__user_id=self.request.user.pk).values("team_id")
        return (
            Match.objects.filter(Q(home_id__in=teams) | Q(away_id__in=teams))
            .select_related("competition__activity", "home__unit", "away__unit")
            .order_by("scheduled_at", "id")
        )


class NaiveRound(ListView):
    template_name = "bench/naive_round.html"

    def get_queryset(self):
        return (
            Match.objects.filter(competition_id=self.kwargs["pk"], round_no=self.kwargs["round_no"])
            .select_related("competition", "home__unit", "away__unit")
            .order_by("slot", "id")
        )

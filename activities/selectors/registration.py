"""Reads for registrations: a cadre's sign-ups, and what a liaison sees when entering the unit's teams.

Each function runs a fixed number of queries whatever the number of cadres, teams or competitions.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal.models import Cadre, Unit

from ..models import Activity, Competition, Registration, Substitution, Team, TeamMember
from ..services.eligibility import age_on, cadre_problem, competition_first_day


def registrations_for_cadre(cadre: Cadre) -> QuerySet:
    """A cadre's live sign-ups (confirmed or waitlisted) with their activity, in the activity's time order.

    Each row carries `waitlist_position` (1 = next to be promoted; None when confirmed). One query.
    """
    ahead = (
        Registration.objects.filter(activity=OuterRef("activity"), status=Registration.Status.WAITLISTED)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id")))
        .order_by()
        .values("activity")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Registration.objects.filter(cadre=cadre)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("activity")
        .annotate(
            waitlist_position=Case(
                When(
                    status=Registration.Status.WAITLISTED,
                    then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1,
                ),
                default=None,
                output_field=IntegerField(),
            )
        )
        .order_by("activity__starts_at", "id")
    )


def activities_open_to_individuals() -> QuerySet:
    """Activities a cadre may find a sign-up page for: public ones that take individual sign-ups."""
    return Activity.objects.filter(open_to_individuals=True, status__in=Activity.PUBLIC_STATUSES)


@dataclass
class SignupSummary:
    registration: Registration | None
    confirmed: int
    waitlisted: int
    capacity: int | None

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)


def signup_summary(*, activity: Activity, cadre: Cadre) -> SignupSummary:
    """The cadre's live sign-up to the activity (with its waiting-list position) and the counts. Two queries."""
    counts = Registration.objects.filter(activity=activity).aggregate(
        confirmed=Count("id", filter=Q(status=Registration.Status.CONFIRMED)),
        waitlisted=Count("id", filter=Q(status=Registration.Status.WAITLISTED)),
    )
    return SignupSummary(
        registration=registrations_for_cadre(cadre).filter(activity=activity).first(),
        confirmed=counts["confirmed"],
        waitlisted=counts["waitlisted"],
        capacity=activity.capacity,
    )


def _members_prefetch() -> Prefetch:
    return Prefetch("members", queryset=TeamMember.objects.select_related("cadre").order_by("id"))


def competitions_open_for_entries(*, unit: Unit, now) -> list[Competition]:
    """Competitions a liaison can enter teams into now, with the unit's current entries.

    Published activities whose registration has opened, deadline not passed, entries not locked; grouped by
    activity. Each competition carries `active_team_count`, `unit_team_count` and `unit_teams` (the unit's
    active teams with members). Three queries.
    """
    active = Q(teams__status=Team.Status.ACTIVE)
    unit_teams = (
        Team.objects.filter(unit=unit, status=Team.Status.ACTIVE)
        .order_by("place_no")
        .prefetch_related(_members_prefetch())
    )
    return list(
        Competition.objects.filter(
            activity__status=Activity.Status.PUBLISHED,
            registration_deadline__gte=now,
            entries_locked_at__isnull=True,
        )
        .filter(Q(activity__registration_opens_at__isnull=True) | Q(activity__registration_opens_at__lte=now))
        .select_related("activity")
        .annotate(
            active_team_count=Count("teams", filter=active),
            unit_team_count=Count("teams", filter=active & Q(teams__unit=unit)),
        )
        .prefetch_related(Prefetch("teams", queryset=unit_teams, to_attr="unit_teams"))
        .order_by("activity__starts_at", "activity_id", "sort_order", "id")
    )


def competition_for_entry(pk: int) -> Competition:
    """A competition of a public activity, with its activity; DoesNotExist for drafts and unknown ids."""
    return Competition.objects.select_related("activity").get(pk=pk, activity__status__in=Activity.PUBLIC_STATUSES)


def team_with_unit(pk: int) -> Team:
    """A team with its unit, competition and activity loaded (for the permission check and the page)."""
    return Team.objects.select_related("unit", "competition__activity").get(pk=pk)


def unit_teams(*, unit: Unit) -> QuerySet:
    """Every team the unit has entered, active first, with members and substitution requests. Four queries."""
    substitutions = Substitution.objects.select_related("outgoing", "incoming").order_by("-created_at")
    return (
        Team.objects.filter(unit=unit)
        .select_related("competition__activity")
        .prefetch_related(_members_prefetch(), Prefetch("substitutions", queryset=substitutions))
        .order_by("status", "competition__activity__starts_at", "competition__sort_order", "competition_id", "id")
    )


@dataclass
class Candidate:
    """A cadre in the member picker: their age on the first day, and why they cannot be chosen (if so)."""

    cadre: Cadre
    age: int | None
    problem: str | None

    @property
    def search_text(self) -> str:
        return f"{self.cadre.name} {self.cadre.employee_no}".lower()


def team_candidates(*, competition: Competition, unit: Unit, team: Team | None = None) -> list[Candidate]:
    """The unit's active cadres for the member picker, each with their age and any rule they would break.

    The service re-checks everything; this only lets the page grey out who cannot be chosen. Two or three
    queries whatever the unit's size.
    """
    first_day: date = competition_first_day(competition)
    cadres = Cadre.objects.filter(unit=unit, is_active=True).order_by("name", "employee_no")
    elsewhere = TeamMember.objects.filter(competition=competition, cadre__unit=unit).select_related("team")
    if team is not None:
        elsewhere = elsewhere.exclude(team=team)
    taken = {m.cadre_id: m.team.name for m in elsewhere}
    activity = competition.activity
    limit = activity.max_events_per_athlete
    events = {}
    if limit is not None:
        events = dict(
            TeamMember.objects.filter(competition__activity=activity, team__status=Team.Status.ACTIVE, cadre__unit=unit)
            .exclude(competition=competition)
            .values("cadre_id")
            .annotate(n=Count("competition", distinct=True))
            .values_list("cadre_id", "n")
        )
    rows = []
    for cadre in cadres:
        problem = cadre_problem(competition, cadre, first_day)
        if problem is None and cadre.pk in taken:
            problem = _("Already in team %(team)s.") % {"team": taken[cadre.pk]}
        if problem is None and limit is not None and events.get(cadre.pk, 0) >= limit:
            problem = _("Already in %(count)s events, the limit.") % {"count": events[cadre.pk]}
        age = age_on(cadre.birth_date, first_day) if cadre.birth_date else None
        rows.append(Candidate(cadre=cadre, age=age, problem=problem))
    # Who can be chosen comes first, so a phone does not scroll past everyone who cannot.
    rows.sort(key=lambda row: row.problem is not None)
    return rows

"""Reads for a cadre's own schedule: the matches of the teams they play in and their individual sign-ups.

Only the given cadre's rows are ever read, and only those of public activities (a draft stays with the staff
even for the people in it). Two queries whatever the number of matches or sign-ups.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from portal.models import Cadre

from ..models import Activity, Match, Registration, TeamMember
from .matches import conceal_advanced_entrants

# Matches have a start time only; calendars and "is it over yet" assume this long.
MATCH_DURATION = timedelta(hours=1)
LIVE_REGISTRATION = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)


def cadre_matches(cadre: Cadre) -> QuerySet:
    """Matches in which a team the cadre belongs to plays (byes left out), with competition, activity and units."""
    team_ids = TeamMember.objects.filter(cadre=cadre).values("team_id")
    return (
        Match.objects.filter(Q(home_id__in=team_ids) | Q(away_id__in=team_ids))
        .filter(competition__activity__status__in=Activity.PUBLIC_STATUSES)
        .exclude(status=Match.Status.BYE)
        .select_related("competition__activity", "home__unit", "away__unit")
        .order_by("scheduled_at", "id")
    )


def conceal_unpublished(matches) -> list[Match]:
    """The matches (with their competitions loaded) as a list, with the teams that advanced by a result not yet
    published replaced by placeholders (`conceal_advanced_entrants`): the same rule as on the public pages, so a
    cadre's schedule or feed never shows who won someone else's match. At most one query.
    """
    matches = list(matches)
    hidden = {m.competition_id for m in matches if not m.competition.results_published}
    return conceal_advanced_entrants(matches, hidden_competitions=hidden)


def cadre_registrations(cadre: Cadre) -> QuerySet:
    """The cadre's confirmed and waitlisted sign-ups to public activities, with the activity."""
    return (
        Registration.objects.filter(cadre=cadre, status__in=LIVE_REGISTRATION)
        .filter(activity__status__in=Activity.PUBLIC_STATUSES)
        .select_related("activity")
        .order_by("activity__starts_at", "id")
    )


@dataclass
class ScheduleItem:
    """One line of "my schedule": a match or an individual sign-up."""

    starts_at: datetime | None
    ends_at: datetime | None
    match: Match | None = None
    registration: Registration | None = None

    @property
    def activity(self) -> Activity:
        return self.match.competition.activity if self.match else self.registration.activity

    @property
    def venue(self) -> str:
        if self.match:
            return self.match.venue or self.match.competition.venue or self.match.competition.activity.venue
        return self.registration.activity.venue


@dataclass
class Schedule:
    upcoming: list[ScheduleItem] = field(default_factory=list)
    unscheduled: list[ScheduleItem] = field(default_factory=list)
    past: list[ScheduleItem] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.upcoming or self.unscheduled or self.past)


def cadre_schedule(cadre: Cadre, *, now) -> Schedule:
    """The cadre's matches and sign-ups merged in time order: upcoming (soonest first), not yet timed, past
    (most recent first). A match counts as past MATCH_DURATION after its start; a sign-up once its activity ends.
    Two queries, three while a knockout result is unpublished (see `conceal_unpublished`).
    """
    schedule = Schedule()
    items = [
        ScheduleItem(starts_at=m.scheduled_at, ends_at=m.scheduled_at and m.scheduled_at + MATCH_DURATION, match=m)
        for m in conceal_unpublished(cadre_matches(cadre))
    ]
    items += [
        ScheduleItem(starts_at=r.activity.starts_at, ends_at=r.activity.ends_at, registration=r)
        for r in cadre_registrations(cadre)
    ]
    for item in items:
        if item.starts_at is None:
            schedule.unscheduled.append(item)
        elif item.ends_at >= now:
            schedule.upcoming.append(item)
        else:
            schedule.past.append(item)
    schedule.upcoming.sort(key=lambda item: (item.starts_at, item.match is None))
    schedule.past.sort(key=lambda item: (item.starts_at, item.match is None), reverse=True)
    return schedule

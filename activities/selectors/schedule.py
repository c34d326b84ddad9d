"""Reads for a cadre's own schedule: the matches of the teams they play in and their individual sign-ups.

Only the given cadre's rows are ever read, and only those of public activities (a draft stays with the staff
even for the people in it). Two queries whatever the number of matches or sign-ups.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet

from portal.models import Cadre

from ..models import Activity, Competition, Match, Registration, Team, TeamMember
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


def _status_checksum(column: str) -> str:
    """SQL: a number per activity status, so that a sum over rows changes when a status changes (a bulk status
    update leaves `updated_at` alone)."""
    cases = " ".join(f"WHEN '{status}' THEN {number}" for number, status in enumerate(Activity.Status.values, start=1))
    return f"CASE {column} {cases} ELSE 0 END"


def cadre_schedule_version(cadre: Cadre, *, now) -> str:
    """A text that changes whenever the cadre's schedule may show something else: their matches (count, latest
    edit, how many are over by `now`), those matches' teams, competitions and activities (latest edit, results
    published, statuses) and their sign-ups (count, latest edit, the activities' edits and statuses, how many are over).
    A unit renamed shows once the cached page expires. One query in plain SQL.
    """
    q = connection.ops.quote_name
    match, competition = q(Match._meta.db_table), q(Competition._meta.db_table)
    activity, member = q(Activity._meta.db_table), q(TeamMember._meta.db_table)
    registration, team = q(Registration._meta.db_table), q(Team._meta.db_table)
    updated, id_ = q("updated_at"), q("id")
    status_sum = "SUM(a.{id} * {checksum})".format(id=id_, checksum=_status_checksum("a." + q("status")))

    def joined(*expressions):
        return " || '/' || ".join(f"COALESCE(CAST({expression} AS TEXT), '')" for expression in expressions)

    teams = f"(SELECT t.{q('team_id')} FROM {member} t WHERE t.{q('cadre_id')} = %s)"
    matches = joined(
        "COUNT(*)",
        f"MAX(m.{updated})",
        f"MAX(c.{updated})",
        f"MAX(a.{updated})",
        f"MAX(h.{updated})",
        f"MAX(w.{updated})",
        f"SUM(CASE WHEN c.{q('results_published')} THEN c.{id_} ELSE 0 END)",
        status_sum,
        f"SUM(CASE WHEN m.{q('scheduled_at')} < %s THEN 1 ELSE 0 END)",
    )
    matches = (
        f"(SELECT {matches} FROM {match} m INNER JOIN {competition} c ON m.{q('competition_id')} = c.{id_} "
        f"INNER JOIN {activity} a ON c.{q('activity_id')} = a.{id_} "
        f"LEFT OUTER JOIN {team} h ON m.{q('home_id')} = h.{id_} "
        f"LEFT OUTER JOIN {team} w ON m.{q('away_id')} = w.{id_} "
        f"WHERE m.{q('home_id')} IN {teams} OR m.{q('away_id')} IN {teams})"
    )
    signups = joined(
        "COUNT(*)",
        f"MAX(r.{updated})",
        f"MAX(a.{updated})",
        status_sum,
        f"SUM(CASE WHEN a.{q('ends_at')} < %s THEN 1 ELSE 0 END)",
    )
    signups = (
        f"(SELECT {signups} FROM {registration} r INNER JOIN {activity} a ON r.{q('activity_id')} = a.{id_} "
        f"WHERE r.{q('cadre_id')} = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {matches}, {signups}", [now - MATCH_DURATION, cadre.pk, cadre.pk, now, cadre.pk])
        return "|".join(cursor.fetchone())

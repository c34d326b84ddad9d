"""Reads for the public activity pages: the list with its filters, an activity's detail, and the month calendar.

Every function runs a fixed number of queries whatever the number of activities, competitions or matches.
Drafts never leave these functions except for committee staff (`activity_for_viewer`).
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from portal.models import Unit
from portal.permissions import is_committee_staff

from ..models import Activity, Competition, Match, Team

# An activity longer than this is listed once above the calendar grid rather than in every day cell.
LONG_RUNNING_DAYS = 7


def local_midnight(day: date) -> datetime:
    """The aware datetime at 00:00 of `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the calendar month containing `month`, as aware datetimes in the current time zone."""
    first = month.replace(day=1)
    last_day = monthrange(first.year, first.month)[1]
    return local_midnight(first), local_midnight(first + timedelta(days=last_day))


def shift_month(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def public_activities(
    *, search: str = "", kind: str = "", month: date | None = None, unit: Unit | None = None, now=None
):
    """Published, closed, finished and cancelled activities (never drafts), filtered and ordered for the list.

    `search` matches the title; `kind` is an Activity.Kind value; `month` keeps activities that overlap that
    month; `unit` keeps activities in which the unit has an active team. Ongoing and upcoming activities come
    first, soonest first, then past ones, most recent first. Each row carries `competition_count`. One query.
    """
    now = now or timezone.now()
    activities = Activity.objects.filter(status__in=Activity.PUBLIC_STATUSES)
    if search:
        activities = activities.filter(title__icontains=search)
    if kind:
        activities = activities.filter(kind=kind)
    if month is not None:
        start, end = month_bounds(month)
        activities = activities.filter(starts_at__lt=end, ends_at__gte=start)
    if unit is not None:
        activities = activities.filter(
            Exists(Team.objects.filter(competition__activity=OuterRef("pk"), unit=unit, status=Team.Status.ACTIVE))
        )
    competitions = (
        Competition.objects.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        activities.defer("description", "points_by_place")
        .annotate(
            competition_count=Coalesce(Subquery(competitions, output_field=IntegerField()), Value(0)),
            is_past=Q(ends_at__lt=now),
        )
        .order_by(
            "is_past",
            # Upcoming rows sort on their start ascending, past rows on their start descending.
            Case(When(ends_at__gte=now, then=F("starts_at")), default=None).asc(nulls_last=True),
            Case(When(ends_at__lt=now, then=F("starts_at")), default=None).desc(nulls_last=True),
            "-id",
        )
    )


def activity_for_viewer(pk: int, *, user) -> Activity:
    """One activity for its detail page: public ones for everyone, drafts only for committee staff.

    Raises Activity.DoesNotExist otherwise (the view answers 404). One query.
    """
    activities = Activity.objects.select_related("organiser_unit")
    if not is_committee_staff(user):
        activities = activities.filter(status__in=Activity.PUBLIC_STATUSES)
    return activities.get(pk=pk)


def activity_competitions(activity: Activity) -> list[Competition]:
    """The activity's competitions in display order, each with `team_count` (active teams). One query."""
    return list(
        Competition.objects.filter(activity=activity)
        .annotate(team_count=Count("teams", filter=Q(teams__status=Team.Status.ACTIVE)))
        .order_by("sort_order", "id")
    )


@dataclass(frozen=True)
class RegistrationWindow:
    """Where an activity's individual registration stands now: "open", "not_yet", "closed" or "none"."""

    state: str
    opens_at: datetime | None
    closes_at: datetime | None


def registration_window(activity: Activity, now) -> RegistrationWindow:
    """The state of the activity's registration window at `now` (no query).

    "none" when the activity has no window and takes no individual sign-ups (nothing to show).
    """
    opens, closes = activity.registration_opens_at, activity.registration_closes_at
    if opens is None and closes is None and not activity.open_to_individuals:
        state = "none"
    elif activity.status != Activity.Status.PUBLISHED:
        state = "closed"
    elif opens and now < opens:
        state = "not_yet"
    elif closes and now > closes:
        state = "closed"
    else:
        state = "open"
    return RegistrationWindow(state, opens, closes)


@dataclass
class MatchDay:
    """The matches of one competition on one day of the calendar."""

    competition_id: int
    competition_name: str
    activity_title: str
    count: int
    first_at: datetime


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    activities: list = field(default_factory=list)
    match_days: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.activities and not self.match_days


@dataclass
class CalendarMonth:
    month: date
    weeks: list[list[CalendarDay]]
    long_running: list[Activity]

    @property
    def previous(self) -> date:
        return shift_month(self.month, -1)

    @property
    def next(self) -> date:
        return shift_month(self.month, 1)

    @property
    def busy_days(self) -> list[CalendarDay]:
        """Days of the month with something on, for the phone's list view."""
        return [day for week in self.weeks for day in week if day.in_month and not day.is_empty]


def calendar_month(*, month: date, today: date | None = None) -> CalendarMonth:
    """A month grid (weeks from Monday) of public activities and of matches grouped per competition and day.

    Activities lasting more than LONG_RUNNING_DAYS are returned in `long_running` instead of filling every cell.
    Matches of public activities with a time (byes and cancelled matches left out) are counted per day in SQL,
    so a season of thousands of matches costs the same. Two queries.
    """
    today = today or timezone.localdate()
    first = month.replace(day=1)
    last = first + timedelta(days=monthrange(first.year, first.month)[1] - 1)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    start, end = local_midnight(grid_start), local_midnight(grid_end + timedelta(days=1))

    days = {}
    weeks = []
    day = grid_start
    while day <= grid_end:
        week = []
        for _ in range(7):
            days[day] = CalendarDay(day=day, in_month=day.month == first.month, is_today=day == today)
            week.append(days[day])
            day += timedelta(days=1)
        weeks.append(week)

    long_running = []
    activities = (
        Activity.objects.filter(status__in=Activity.PUBLIC_STATUSES, starts_at__lt=end, ends_at__gte=start)
        .only("id", "title", "kind", "status", "venue", "starts_at", "ends_at")
        .order_by("starts_at", "id")
    )
    for activity in activities:
        first_day = timezone.localtime(activity.starts_at).date()
        last_day = timezone.localtime(activity.ends_at).date()
        if (last_day - first_day).days >= LONG_RUNNING_DAYS:
            long_running.append(activity)
            continue
        current = max(first_day, grid_start)
        while current <= min(last_day, grid_end):
            days[current].activities.append(activity)
            current += timedelta(days=1)

    tz = timezone.get_current_timezone()
    match_days = (
        Match.objects.filter(
            competition__activity__status__in=Activity.PUBLIC_STATUSES,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        .exclude(status__in=[Match.Status.BYE, Match.Status.CANCELLED])
        .annotate(day=TruncDate("scheduled_at", tzinfo=tz))
        .values("day", "competition_id", "competition__name", "competition__activity__title")
        .annotate(count=Count("id"), first_at=Min("scheduled_at"))
        .order_by("day", "first_at", "competition_id")
    )
    for row in match_days:
        if row["day"] in days:
            days[row["day"]].match_days.append(
                MatchDay(
                    competition_id=row["competition_id"],
                    competition_name=row["competition__name"],
                    activity_title=row["competition__activity__title"],
                    count=row["count"],
                    first_at=row["first_at"],
                )
            )
    return CalendarMonth(month=first, weeks=weeks, long_running=long_running)


def _table_summary(model, *, where: str = "") -> str:
    """SQL for one text column: a table's row count and latest `updated_at` (what changes on any insert, edit or
    delete made through the ORM's save)."""
    quote = connection.ops.quote_name
    return (
        f"(SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX({quote('updated_at')}) AS TEXT), '') "
        f"FROM {quote(model._meta.db_table)}{where})"
    )


def activity_list_version(*, now, with_teams: bool = False) -> str:
    """A text that changes whenever anything the public activity list shows may have changed: activities
    (their count, latest edit, a checksum of their statuses, which a bulk status update would change without
    touching `updated_at`, and how many have ended by `now`, which moves rows from "upcoming" to "past"),
    competitions (the counts on the cards), units (the unit filter's options) and, with `with_teams` (the unit
    filter is used), teams. One query in plain SQL, whatever the number of activities.
    """
    quote = connection.ops.quote_name
    table = quote(Activity._meta.db_table)
    statuses = " ".join(
        f"WHEN '{status}' THEN {number}" for number, status in enumerate(Activity.Status.values, start=1)
    )
    activity_part = (
        f"(SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX({quote('updated_at')}) AS TEXT), '') || '/' "
        f"|| CAST(COALESCE(SUM({quote('id')} * CASE {quote('status')} {statuses} ELSE 0 END), 0) AS TEXT) || '/' "
        f"|| CAST(COALESCE(SUM(CASE WHEN {quote('ends_at')} < %s THEN 1 ELSE 0 END), 0) AS TEXT) FROM {table})"
    )
    parts = [activity_part, _table_summary(Competition), _table_summary(Unit)]
    if with_teams:
        active = f"CASE WHEN {quote('status')} = %s THEN {quote('id')} ELSE 0 END"
        team_table = quote(Team._meta.db_table)
        parts.append(
            f"(SELECT CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX({quote('updated_at')}) AS TEXT), '') "
            f"|| '/' || CAST(COALESCE(SUM({active}), 0) AS TEXT) FROM {team_table})"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), [now, Team.Status.ACTIVE] if with_teams else [now])
        return "|".join(str(value) for value in cursor.fetchone())

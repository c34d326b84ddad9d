"""Demo data for events and competitions: a year of the committee's calendar, run through the real services.

`seed_demo` calls seed_activities_demo after the shared model is seeded (registered in ActivitiesConfig.ready()),
with the season calendar of `portal.demo_registry`. It builds:

- the committee's year (PROGRAMME, by quarter number) in each of the four finished quarters of the past year and
  in this quarter so far: spring-festival walk, calligraphy show, tree planting and a table-tennis round robin in
  Q1; reading day, a youth debate scored by a judges' panel, a hill walk and a chess knockout in Q2; a 七一 chorus
  contest, a swimming gala, a blood drive and a quiz in Q3; the sports meet (ranked, knockout and judged events,
  medals, team points, organisation awards), a fire-safety talk and the 一二·九 winter run in Q4. Everything held
  is finished, with results published and hundreds of person-times per quarter at the demo scale;
- around today: a badminton knockout in progress with matches in the coming days (the 市教育局 pair, the demo
  liaison D00007 and cadre D00045, among them; a referee assigned), a basketball league and an air-volleyball
  tournament open for entries, a lecture and a walk open for sign-up, and the programme's individual events of
  the coming two months (registration open, or opening soon).

Draws, match results and placings go through the services, so the demo is also a check that they hold together;
ranked results and judges' scores are loaded in bulk and their placings computed once by the service (through
the per-score services a year of them would recompute the placings after every score). Deterministic (a random
stream seeded by each activity's title), idempotent (an activity whose title exists is left alone; titles carry
the year of their date), and a few seconds at the demo scale.
"""

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from portal.audit import audit_record
from portal.demo_registry import DemoCalendar, demo_calendar
from portal.models import Cadre, Unit
from portal.permissions import is_committee_staff

from .exports import age_on
from .models import (
    Activity,
    Competition,
    JudgeScore,
    Match,
    OrganisationAward,
    Placing,
    RankedResult,
    Registration,
    Team,
    TeamMember,
)
from .services.fixtures import fixtures_generate
from .services.placings import competition_compute_placings
from .services.results import competition_publish_results, match_record_result

User = get_user_model()
SEED = 2026
# Below this many demo cadres the units are too thin for the teams below (and `seed_demo --cadres 200`, used by
# the portal's own tests, stays a quick seed of the shared model alone).
MIN_DEMO_CADRES = 1500
STAFF_USERNAME = "staff"
EDUCATION_BUREAU = "U007"
DEMO_LIAISON, DEMO_CADRE = "D00007", "D00045"
M, F = Cadre.Gender.MALE, Cadre.Gender.FEMALE
JUDGES = ["王评委", "李评委", "张评委", "刘评委", "陈评委"]
# Individual sign-ups grow with the scale: a city has fifteen times the cadres of the demo.
CROWD_FACTOR = {"demo": 1, "city": 3}


@dataclass
class Person:
    pk: int
    employee_no: str
    unit_id: int
    gender: str
    birth_date: date | None
    user_id: int
    is_liaison: bool
    talents: list


@dataclass
class Demo:
    """What every part of the demo draws on: the staff actor, the calendar, the random stream, units and people."""

    staff: object
    calendar: DemoCalendar
    rng: random.Random
    units: dict  # code -> Unit
    people: dict  # unit id -> [Person]
    by_employee_no: dict
    everyone: list  # every Person, by employee number
    liaisons: dict  # unit id -> the liaison's user id
    crowd: int = 1
    created: list = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.calendar.now

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """A local time `days` from today, at `hour` o'clock plus `minute` minutes (which may pass the hour)."""
        return self.calendar.from_today(days, hour, minute)

    def pick(
        self,
        unit: Unit,
        count: int,
        *,
        on: date,
        gender: str | None = None,
        mixed: bool = False,
        max_age: int | None = None,
        avoid: set | frozenset = frozenset(),
        first: tuple = (),
    ) -> list[Person] | None:
        """`count` eligible cadres of the unit (those in `first` first), or None when the unit has too few."""
        pool = [
            p
            for p in self.people.get(unit.pk, [])
            if p.pk not in avoid
            and (gender is None or p.gender == gender)
            and (max_age is None or (p.birth_date and age_on(p.birth_date, on) <= max_age))
        ]
        chosen = [p for p in pool if p.employee_no in first]
        rest = [p for p in pool if p.employee_no not in first]
        self.rng.shuffle(rest)
        if mixed:
            for wanted in (M, F):
                if not any(p.gender == wanted for p in chosen):
                    extra = next((p for p in rest if p.gender == wanted), None)
                    if extra is None:
                        return None
                    chosen.append(extra)
                    rest.remove(extra)
        chosen += rest[: max(0, count - len(chosen))]
        return chosen[:count] if len(chosen) >= count else None


def _day(moment: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """Local time `days` after the local day of `moment`, at `hour` o'clock plus `minute` minutes."""
    day = timezone.localdate(moment) + timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour)) + timedelta(minutes=minute)


# --- The plan: the committee's year, and what is on around today -----------------------------------------------


@dataclass(frozen=True)
class Event:
    """One yearly event of the programme: its name (the title without the year) and its place in the quarter."""

    name: str
    when: tuple[int, int, int]  # (month of the quarter 0-2, day, hour)
    duration: timedelta
    build: Callable  # build(demo, title, *, starts, upcoming)
    individual: bool = False  # open to individual sign-up: also offered ahead of time


def seed_activities_demo(*, scale: str = "demo", progress=print, calendar: DemoCalendar | None = None) -> str:
    """Create the demo season (see the module docstring); returns a one-line summary for `seed_demo`.

    Needs the portal's demo units, cadres and the "staff" account (seeded first). `calendar` places everything
    (default: the season around now). Activities are keyed by title: those that exist are skipped, so a second
    run creates nothing. One transaction; one audit entry when it created anything (the services add their own
    for draws, results and placings).
    """
    started = time.perf_counter()
    calendar = calendar or demo_calendar()
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is None or not is_committee_staff(staff):
        return "skipped: the demo staff account is missing"
    demo_cadres = Cadre.objects.filter(employee_no__startswith="D", is_active=True)
    if demo_cadres.count() < MIN_DEMO_CADRES:
        return f"skipped: needs the demo scale's cadres (at least {MIN_DEMO_CADRES})"

    plan = season_plan(calendar)
    existing = set(Activity.objects.filter(title__in=[title for title, _build in plan]).values_list("title", flat=True))
    todo = [(title, build) for title, build in plan if title not in existing]
    if not todo:
        return f"nothing to create, {len(plan)} activities already there ({time.perf_counter() - started:.1f} s)"

    demo = _load(staff, calendar, crowd=CROWD_FACTOR.get(scale, 1))
    with transaction.atomic():
        for title, build in todo:
            # A stream per activity: the same activity gets the same people whichever others exist already.
            demo.rng = random.Random(f"{SEED}:{title}")
            build(demo, title)
            demo.created.append(title)
            progress(f"  活动 Activity: {title}")
        audit_record(
            actor=None,
            action="demo.seed_activities",
            object_type="activities.activity",
            changes={"new": {"activities": demo.created}},
        )
    referees = ", ".join(
        sorted(
            Competition.objects.filter(activity__title__in=demo.created, referees__isnull=False)
            .values_list("referees__username", flat=True)
            .distinct()
        )
    )
    note = f"; referee login {referees}" if referees else ""
    return f"{len(demo.created)} activities created in {time.perf_counter() - started:.1f} s{note}"


def season_plan(calendar: DemoCalendar) -> list[tuple[str, Callable]]:
    """(title, build(demo, title)) for the whole season, in date order of the programme, then what is on now.

    A programme event over before now is built finished; one that starts within the coming months is offered
    for sign-up when it is an individual event (others are left out until they happen); one under way right now
    is left out. The events around today (LIVE) are placed relative to today.
    """
    plan = []
    quarters = [*calendar.quarters, calendar.current_quarter.next_quarter()]
    for period in quarters:
        for event in PROGRAMME[period.quarter]:
            starts = calendar.on(period, *event.when)
            if calendar.is_past(starts + event.duration):
                upcoming = False
            elif event.individual and calendar.is_ahead(starts):
                upcoming = True
            else:
                continue
            title = f"{timezone.localdate(starts).year}年{event.name}"
            plan.append((title, partial(event.build, starts=starts, upcoming=upcoming)))
    year = calendar.today.year
    plan += [(f"{year}年{name}", build) for name, build in LIVE]
    return plan


def _load(staff, calendar: DemoCalendar, *, crowd: int) -> Demo:
    units = {u.code: u for u in Unit.objects.filter(code__startswith="U").order_by("sort_order", "code")}
    people = defaultdict(list)
    by_employee_no = {}
    rows = Cadre.objects.filter(employee_no__startswith="D", is_active=True).values_list(
        "pk", "employee_no", "unit_id", "gender", "birth_date", "user_id", "is_liaison", "talents"
    )
    for row in rows.order_by("employee_no"):
        person = Person(*row)
        people[person.unit_id].append(person)
        by_employee_no[person.employee_no] = person
    everyone = list(by_employee_no.values())
    return Demo(
        staff=staff,
        calendar=calendar,
        rng=random.Random(SEED),
        units=units,
        people=people,
        by_employee_no=by_employee_no,
        everyone=everyone,
        liaisons={p.unit_id: p.user_id for p in everyone if p.is_liaison},
        crowd=crowd,
    )


def _activity(
    demo: Demo,
    title: str,
    *,
    kind=Activity.Kind.SPORT,
    status,
    starts: datetime,
    ends: datetime,
    opens: datetime,
    closes: datetime,
    venue: str,
    description: str,
    **extra,
) -> Activity:
    return Activity.objects.create(
        title=title,
        kind=kind,
        status=status,
        description=description,
        venue=venue,
        starts_at=starts,
        ends_at=ends,
        registration_opens_at=opens,
        registration_closes_at=closes,
        organiser="市直机关工委",
        created_by=demo.staff,
        **extra,
    )


def _competition(activity: Activity, name: str, **fields) -> Competition:
    fields.setdefault("registration_deadline", activity.registration_closes_at)
    fields.setdefault("venue", activity.venue)
    return Competition.objects.create(activity=activity, name=name, **fields)


def _enter_teams(
    demo: Demo,
    competition: Competition,
    size: int,
    count: int,
    *,
    units=None,
    on: date | None = None,
    usage: Counter | None = None,
    max_uses: int | None = None,
    name_suffix: str = "",
    first_unit: str | None = None,
    first_people: tuple = (),
) -> list[Team]:
    """Enter up to `count` teams of `size` eligible cadres, one per unit, in bulk; returns the teams."""
    on = on or timezone.localdate(competition.activity.starts_at)
    rule = competition.gender_rule
    candidates = list(units or demo.units.values())
    if first_unit:
        candidates.sort(key=lambda u: u.code != first_unit)
    chosen = []
    for unit in candidates:
        if len(chosen) == count:
            break
        avoid = {pk for pk, uses in (usage or {}).items() if max_uses is not None and uses >= max_uses}
        members = demo.pick(
            unit,
            size,
            on=on,
            gender=rule if rule in (M, F) else None,
            mixed=rule == Competition.GenderRule.MIXED,
            max_age=competition.max_age,
            avoid=avoid,
            first=first_people if unit.code == first_unit else (),
        )
        if members:
            chosen.append((unit, members))
    teams = Team.objects.bulk_create(
        [
            Team(
                competition=competition,
                unit=unit,
                name=f"{unit.short_name or unit.name}{name_suffix}",
                place_no=index,
                registered_by_id=demo.liaisons.get(unit.pk),
            )
            for index, (unit, _members) in enumerate(chosen, start=1)
        ]
    )
    TeamMember.objects.bulk_create(
        [
            TeamMember(team=team, competition=competition, cadre_id=person.pk)
            for team, (_unit, members) in zip(teams, chosen, strict=True)
            for person in members
        ]
    )
    if usage is not None:
        usage.update(person.pk for _unit, members in chosen for person in members)
    return teams


def _units(demo: Demo, start: int, stop: int | None = None, *, reverse: bool = False) -> list[Unit]:
    """A slice of the units in display order, so that each event draws on different units."""
    units = list(demo.units.values())
    return (units[::-1] if reverse else units)[start:stop]


def _schedule(demo: Demo, competition: Competition, slots) -> None:
    """Give matches their times, venues and courts: `slots(match) -> (datetime, court)` or None."""
    matches = list(competition.matches.exclude(status=Match.Status.BYE))
    changed = []
    for match in matches:
        slot = slots(match)
        if slot:
            match.scheduled_at, match.court = slot
            match.venue = match.venue or competition.venue
            changed.append(match)
    Match.objects.bulk_update(changed, ["scheduled_at", "venue", "court"])


def _sets(rng: random.Random, home_wins: bool, *, best_of: int, points: int, cap: int | None) -> list[list[int]]:
    """Plausible set scores: the winner takes best_of // 2 + 1 sets, the last one included."""
    need = best_of // 2 + 1
    lost = rng.randrange(need)
    order = [False] * lost + [True] * (need - 1)
    rng.shuffle(order)
    order.append(True)
    sets = []
    for winner_set in order:
        if rng.random() < 0.2:
            won = rng.randint(points + 1, cap if cap else points + 4)
            lost_points = won - 1 if cap and won == cap else won - 2
        else:
            won, lost_points = points, rng.randint(max(0, points - 13), points - 2)
        pair = [won, lost_points] if winner_set == home_wins else [lost_points, won]
        sets.append(pair)
    return sets


def _play(demo: Demo, match: Match, strength: dict, *, sets=None, best_of=3, points=21, cap=None, favour=None):
    """Record a result through the service; the stronger team wins three times in four."""
    favourite = max((match.home_id, match.away_id), key=lambda t: strength[t])
    home_wins = (match.home_id == favourite) == (demo.rng.random() < 0.75)
    if favour in (match.home_id, match.away_id):
        home_wins = match.home_id == favour
    if sets:
        detail = {"sets": _sets(demo.rng, home_wins, best_of=best_of, points=points, cap=cap)}
        home = sum(a > b for a, b in detail["sets"])
        away = len(detail["sets"]) - home
    else:
        detail = None
        need = best_of // 2 + 1
        loser = demo.rng.randrange(need)
        home, away = (need, loser) if home_wins else (loser, need)
    match_record_result(actor=demo.staff, match=match, home_score=home, away_score=away, detail=detail)


def _play_knockout(demo: Demo, competition: Competition, strength: dict, **play) -> None:
    """Play every round of a knockout in order (the winners move on by themselves)."""
    while True:
        pending = competition.matches.filter(status=Match.Status.SCHEDULED).exclude(home=None).exclude(away=None)
        matches = list(pending.order_by("stage", "round_no", "slot"))
        if not matches:
            return
        for match in matches:
            _play(demo, match, strength, **play)


def _ranked_results(demo: Demo, competition: Competition, teams: list[Team], values) -> None:
    """Results of a ranked event, loaded at once, then the placings computed by the service."""
    RankedResult.objects.bulk_create(
        [
            RankedResult(team=team, value=value, note="" if value is not None else "犯规")
            for team, value in zip(teams, values, strict=False)
        ]
    )
    competition_compute_placings(competition=competition, actor=demo.staff)


def _judged_scores(demo: Demo, competition: Competition, teams: list[Team], low: float, high: float, spread: float):
    """Every judge's score for every team (a team's level plus each judge's taste), then the placings."""
    rows = []
    for team in teams:
        base = demo.rng.uniform(low, high)
        for judge in JUDGES:
            score = min(99.5, base + demo.rng.uniform(-spread, spread))
            rows.append(JudgeScore(team=team, judge=judge, score=Decimal(f"{score:.2f}")))
    JudgeScore.objects.bulk_create(rows)
    competition_compute_placings(competition=competition, actor=demo.staff)


def _publish(demo: Demo, activity: Activity) -> None:
    for competition in activity.competitions.all():
        competition_publish_results(actor=demo.staff, competition=competition)


def _individuals(
    demo: Demo,
    activity: Activity,
    confirmed: int,
    waitlisted: int = 0,
    *,
    first: tuple = (),
    talent: str | None = None,
) -> None:
    """Sign up `confirmed` cadres (then `waitlisted` more), in bulk: those in `first`, half with the talent if one
    is named, then anyone."""
    chosen = [demo.by_employee_no[no] for no in first if no in demo.by_employee_no]
    taken = {p.pk for p in chosen}
    pool = [p for p in demo.everyone if p.pk not in taken]
    if talent:
        gifted = [p for p in pool if talent in (p.talents or [])]
        chosen += demo.rng.sample(gifted, min(len(gifted), (confirmed + waitlisted) // 2))
        taken = {p.pk for p in chosen}
        pool = [p for p in pool if p.pk not in taken]
    wanted = max(0, min(len(pool), confirmed + waitlisted - len(chosen)))
    chosen += demo.rng.sample(pool, wanted)
    Registration.objects.bulk_create(
        [
            Registration(
                activity=activity,
                cadre_id=person.pk,
                status=Registration.Status.CONFIRMED if index < confirmed else Registration.Status.WAITLISTED,
            )
            for index, person in enumerate(chosen[: confirmed + waitlisted])
        ]
    )


# --- Individual events: finished, or offered ahead of time ------------------------------------------------------


def _gathering(
    demo: Demo,
    title: str,
    *,
    starts: datetime,
    upcoming: bool = False,
    kind: str,
    hours: int,
    venue: str,
    description: str,
    capacity: int,
    confirmed: int,
    talent: str | None = None,
    first: tuple = (),
) -> None:
    """An event cadres sign up to themselves. Held: finished, its places filled. Ahead: registration opens a month
    before and closes two days before; the sign-ups so far grow with the share of the window gone by."""
    capacity, target = capacity * demo.crowd, min(capacity, confirmed) * demo.crowd
    opens, closes = _day(starts, -30, 9), _day(starts, -2, 17)
    status = Activity.Status.FINISHED
    if upcoming:
        status = Activity.Status.CLOSED if demo.now > closes else Activity.Status.PUBLISHED
        gone_by = (demo.now - opens) / (closes - opens)
        target = 0 if gone_by < 0 else round(target * min(1.0, 0.25 + 0.6 * gone_by))
    activity = _activity(
        demo,
        title,
        kind=kind,
        status=status,
        starts=starts,
        ends=starts + timedelta(hours=hours),
        opens=opens,
        closes=closes,
        venue=venue,
        description=description,
        open_to_individuals=True,
        capacity=capacity,
    )
    _individuals(demo, activity, target, first=first, talent=talent)


# --- Competitions of the programme (always built after they happened) ---------------------------------------------


def _held(demo: Demo, title: str, starts: datetime, *, days: int = 1, end_hour: int = 17, **fields) -> Activity:
    """A finished activity starting at `starts`: registration opened seven weeks and closed two weeks before."""
    return _activity(
        demo,
        title,
        status=Activity.Status.FINISHED,
        starts=starts,
        ends=_day(starts, days - 1, end_hour),
        opens=_day(starts, -50, 9),
        closes=_day(starts, -14, 17),
        **fields,
    )


def _table_tennis(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """A men's singles round robin of eight units over two days, every result with its sets."""
    activity = _held(
        demo,
        title,
        starts,
        days=2,
        venue="市全民健身中心乒乓球馆",
        description="“小球大球”系列赛第一站。男子单打循环赛，每场五局三胜，按积分排名（胜2分、负1分）。",
    )
    competition = _competition(
        activity,
        "男子单打",
        discipline="乒乓球",
        format=Competition.Format.ROUND_ROBIN,
        gender_rule=M,
        capacity=16,
    )
    teams = _enter_teams(demo, competition, 1, 8, units=_units(demo, 8, 24))
    fixtures_generate(actor=demo.staff, competition=competition)
    _schedule(
        demo,
        competition,
        lambda m: (_day(starts, (m.round_no - 1) // 4, 9 + (m.round_no - 1) % 4 * 2), f"{m.slot + 1}号台"),
    )
    strength = {t.pk: demo.rng.random() for t in teams}
    for match in competition.matches.select_related("competition").order_by("round_no", "slot"):
        _play(demo, match, strength, sets=True, best_of=5, points=11)
    _publish(demo, activity)


def _chess(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """A sixteen-player knockout over two days, with a third-place match."""
    activity = _held(
        demo,
        title,
        starts,
        days=2,
        venue="市老干部活动中心棋牌室",
        description="中国象棋个人赛，每单位限报一人，单败淘汰，每轮三局两胜，设三四名决赛。",
    )
    competition = _competition(
        activity,
        "象棋个人赛",
        discipline="象棋",
        format=Competition.Format.KNOCKOUT,
        capacity=16,
        third_place_match=True,
    )
    teams = _enter_teams(demo, competition, 1, 16, units=_units(demo, 4, 40))
    fixtures_generate(actor=demo.staff, competition=competition)
    _schedule(
        demo,
        competition,
        lambda m: (_day(starts, (m.round_no - 1) // 2, 9 + (m.round_no - 1) % 2 * 3), f"{m.slot + 1}号桌"),
    )
    _play_knockout(demo, competition, {t.pk: demo.rng.random() for t in teams}, best_of=3)
    _publish(demo, activity)


def _sports_meet(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """Two days of ranked, knockout and judged events: medals, team points and organisation awards."""
    activity = _held(
        demo,
        title,
        starts,
        days=2,
        venue="市体育中心",
        description="全市机关干部职工运动会：田径、拔河、合唱。名次按 7-5-4-3-2-1 计团体积分，评选优秀组织奖。",
        has_medal_table=True,
        max_events_per_athlete=2,
    )
    usage = Counter()
    on = timezone.localdate(starts)
    units = _units(demo, 0)
    order = Competition.Ordering

    def ranked(name, gender, count, ordering, label, values):
        competition = _competition(
            activity,
            name,
            discipline="田径",
            format=Competition.Format.RANKED,
            gender_rule=gender,
            result_ordering=ordering,
            result_label=label,
            sort_order=len(activity.competitions.all()),
        )
        teams = _enter_teams(demo, competition, 1, count, units=units, on=on, usage=usage, max_uses=2)
        _ranked_results(demo, competition, teams, values(len(teams)))

    def times(low, high):
        def make(count):
            values = sorted(Decimal(f"{demo.rng.uniform(low, high):.2f}") for _ in range(count))
            values[3] = values[2]  # a dead heat for third: two bronzes, shared points
            demo.rng.shuffle(values)
            return values

        return make

    def jumps(count):
        values = [Decimal(f"{demo.rng.uniform(4.2, 6.1):.2f}") for _ in range(count)]
        values[-1] = None  # three fouls: no result, no placing
        return values

    ranked("男子100米", M, 12, order.LOWER_IS_BETTER, "秒", times(11.8, 14.5))
    ranked("女子100米", F, 10, order.LOWER_IS_BETTER, "秒", times(13.6, 17.2))
    ranked("男子跳远", M, 10, order.HIGHER_IS_BETTER, "米", jumps)

    tug = _competition(
        activity,
        "拔河",
        discipline="拔河",
        format=Competition.Format.KNOCKOUT,
        gender_rule=Competition.GenderRule.MIXED,
        team_size_min=8,
        team_size_max=10,
        third_place_match=True,
        sort_order=3,
    )
    tug_teams = _enter_teams(demo, tug, 8, 8, units=units, on=on, usage=usage, max_uses=2)
    fixtures_generate(actor=demo.staff, competition=tug)
    _schedule(demo, tug, lambda m: (_day(starts, 0, 9 + m.round_no, 20 * m.slot), "拔河场地"))
    _play_knockout(demo, tug, {t.pk: demo.rng.random() for t in tug_teams}, best_of=3)

    chorus = _competition(
        activity,
        "合唱",
        discipline="合唱",
        format=Competition.Format.JUDGED,
        team_size_min=8,
        team_size_max=12,
        drop_extreme_scores=True,
        result_label="分",
        sort_order=4,
    )
    chorus_teams = _enter_teams(demo, chorus, 10, 10, units=units[::-1], on=on, usage=usage, max_uses=2)
    _judged_scores(demo, chorus, chorus_teams, 86, 94, 3)

    _publish(demo, activity)
    totals = list(
        Placing.objects.filter(competition__activity=activity)
        .values("unit_id")
        .annotate(points=Sum("points"))
        .order_by("-points", "unit_id")
    )
    awards = [
        OrganisationAward(activity=activity, unit_id=row["unit_id"], note="赛会组织周密、参赛人数多")
        for row in totals[:6]
    ]
    awards += [
        OrganisationAward(
            activity=activity, unit_id=row["unit_id"], kind=OrganisationAward.Kind.CONTRIBUTION, note="承担赛事志愿服务"
        )
        for row in totals[6:8]
    ]
    OrganisationAward.objects.bulk_create(awards)


def _debate(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """Eight units' teams of four debaters aged 35 or under, scored by a panel of five judges."""
    activity = _held(
        demo,
        title,
        starts,
        end_hour=18,
        kind=Activity.Kind.DEBATE,
        venue="市委党校报告厅",
        description="辩题：“数字化办公让机关工作更高效”。各单位35周岁以下青年干部组队，评委团打分（去掉最高分和最低分）。",
    )
    competition = _competition(
        activity,
        "青年辩论赛决赛",
        discipline="辩论",
        format=Competition.Format.JUDGED,
        max_age=35,
        team_size_min=4,
        team_size_max=4,
        drop_extreme_scores=True,
        result_label="分",
    )
    teams = _enter_teams(demo, competition, 4, 8, units=_units(demo, 1))
    _judged_scores(demo, competition, teams, 82, 93, 4)
    _publish(demo, activity)


def _chorus(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """Twelve units' choirs sing for the Party's founding day, scored by a panel (highest and lowest dropped)."""
    activity = _held(
        demo,
        title,
        starts,
        end_hour=18,
        kind=Activity.Kind.CULTURE,
        venue="市文化艺术中心音乐厅",
        description="庆祝中国共产党成立纪念日。各单位组队演唱两首曲目，每队10至12人，评委团打分（去掉最高分和最低分）。",
    )
    competition = _competition(
        activity,
        "合唱比赛",
        discipline="合唱",
        format=Competition.Format.JUDGED,
        team_size_min=10,
        team_size_max=12,
        drop_extreme_scores=True,
        result_label="分",
    )
    teams = _enter_teams(demo, competition, 11, 12, units=_units(demo, 12))
    _judged_scores(demo, competition, teams, 85, 95, 2.5)
    _publish(demo, activity)


def _swimming(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """National fitness day: men's and women's 50 m freestyle, timed, with medals."""
    activity = _held(
        demo,
        title,
        starts,
        end_hour=12,
        venue="市游泳馆",
        description="8月8日全民健身日。男子、女子50米自由泳，按成绩排名，前三名颁发奖牌。",
        has_medal_table=True,
        max_events_per_athlete=1,
    )
    usage = Counter()
    for sort_order, (name, gender, count, low, high) in enumerate(
        (("男子50米自由泳", M, 12, 28.5, 41.0), ("女子50米自由泳", F, 10, 33.0, 48.0))
    ):
        competition = _competition(
            activity,
            name,
            discipline="游泳",
            format=Competition.Format.RANKED,
            gender_rule=gender,
            result_ordering=Competition.Ordering.LOWER_IS_BETTER,
            result_label="秒",
            sort_order=sort_order,
        )
        teams = _enter_teams(demo, competition, 1, count, units=_units(demo, 2 + sort_order), usage=usage, max_uses=1)
        values = [Decimal(f"{demo.rng.uniform(low, high):.2f}") for _ in teams]
        _ranked_results(demo, competition, teams, values)
    _publish(demo, activity)


def _quiz(demo: Demo, title: str, *, starts: datetime, upcoming: bool = False) -> None:
    """Ten units' teams of three answer questions on Party history; the panel's scores decide."""
    activity = _held(
        demo,
        title,
        starts,
        end_hour=17,
        kind=Activity.Kind.CULTURE,
        venue="市委党校报告厅",
        description="党史学习教育知识竞赛。每单位三人一队，必答、抢答、风险题三轮，评委计分。",
    )
    competition = _competition(
        activity,
        "知识竞赛决赛",
        discipline="知识竞赛",
        format=Competition.Format.JUDGED,
        team_size_min=3,
        team_size_max=3,
        result_label="分",
    )
    teams = _enter_teams(demo, competition, 3, 10, units=_units(demo, 5, reverse=True))
    _judged_scores(demo, competition, teams, 78, 96, 1.5)
    _publish(demo, activity)


def _sign_up_event(name: str, when: tuple[int, int, int], hours: int, **gathering) -> Event:
    """A programme event cadres sign up to themselves (see _gathering for the other arguments)."""
    build = partial(_gathering, hours=hours, **gathering)
    return Event(name, when, timedelta(hours=hours), build, individual=True)


K = Activity.Kind
# The committee's year, by quarter number: Event(name without the year, (month of the quarter 0-2, day, hour),
# length, builder), or _sign_up_event(name, (month, day, hour), hours, kind=..., venue=..., capacity=...).
PROGRAMME = {
    1: [
        _sign_up_event(
            "迎新春健步走",
            (0, 10, 9),
            3,
            kind=K.SPORT,
            venue="城市绿道南门集合",
            description="迎新春健步走，全程约6公里，沿途设打卡点。个人报名。",
            capacity=300,
            confirmed=260,
            first=(DEMO_CADRE,),
        ),
        _sign_up_event(
            "翰墨迎春·机关干部书法作品展",
            (1, 3, 14),
            3,
            kind=K.CULTURE,
            venue="市文化艺术中心展厅",
            description="现场书写春联、福字，作品展出一周。书法爱好者个人报名。",
            capacity=80,
            confirmed=60,
            talent=Cadre.Talent.CALLIGRAPHY,
        ),
        _sign_up_event(
            "义务植树活动",
            (2, 12, 8),
            4,
            kind=K.VOLUNTEERING,
            venue="城郊生态林场",
            description="植树节义务植树，统一乘车前往，自备手套。个人报名。",
            capacity=200,
            confirmed=180,
        ),
        Event("市直机关乒乓球比赛", (2, 20, 9), timedelta(days=1, hours=8), _table_tennis),
    ],
    2: [
        _sign_up_event(
            "世界读书日·机关读书分享会",
            (0, 23, 14),
            2,
            kind=K.READING,
            venue="市图书馆报告厅",
            description="4月23日世界读书日。干部分享读书心得，现场交换图书。个人报名。",
            capacity=150,
            confirmed=150,
            first=(DEMO_CADRE,),
        ),
        Event("市直机关青年辩论赛", (1, 4, 14), timedelta(hours=4), _debate),
        _sign_up_event(
            "春季登山健身活动",
            (1, 17, 8),
            4,
            kind=K.SPORT,
            venue="北山森林公园",
            description="春季登山，全程约5公里，设两条难度不同的路线。个人报名。",
            capacity=300,
            confirmed=240,
        ),
        Event("市直机关象棋比赛", (2, 13, 9), timedelta(days=1, hours=8), _chess),
    ],
    3: [
        Event("庆“七一”歌咏比赛", (0, 1, 14), timedelta(hours=4), _chorus),
        Event("全民健身日游泳比赛", (1, 8, 9), timedelta(hours=3), _swimming),
        _sign_up_event(
            "无偿献血志愿服务",
            (1, 22, 9),
            4,
            kind=K.VOLUNTEERING,
            venue="市中心血站献血车（市政府广场）",
            description="机关干部无偿献血，18至55周岁、身体健康者均可报名。",
            capacity=150,
            confirmed=120,
        ),
        Event("党史知识竞赛", (2, 16, 14), timedelta(hours=3), _quiz),
    ],
    4: [
        Event("市直机关职工运动会", (0, 18, 8), timedelta(days=1, hours=9), _sports_meet),
        _sign_up_event(
            "消防安全知识讲座",
            (1, 9, 15),
            2,
            kind=K.OTHER,
            venue="市机关事务服务中心三楼会议室",
            description="11月9日全国消防日。消防救援支队讲解办公场所火灾预防与逃生，现场演示灭火器使用。",
            capacity=120,
            confirmed=100,
        ),
        _sign_up_event(
            "“一二·九”冬季长跑",
            (2, 9, 8),
            3,
            kind=K.SPORT,
            venue="市政府广场起跑",
            description="纪念“一二·九”运动，环城冬季长跑约5公里。个人报名。",
            capacity=400,
            confirmed=300,
            first=(DEMO_CADRE,),
        ),
    ],
}


# --- Around today ---------------------------------------------------------------------------------------------


def _badminton(demo: Demo, title: str) -> None:
    """In progress: a sixteen-pair knockout; the first round is played, the rest is on in the coming days."""
    activity = _activity(
        demo,
        title,
        status=Activity.Status.CLOSED,
        starts=demo.at(-2, 9),
        ends=demo.at(5, 17),
        opens=demo.at(-30, 9),
        closes=demo.at(-10, 17),
        venue="市全民健身中心羽毛球馆",
        description="“小球大球”系列赛第二站。双打淘汰赛，每场三局两胜；第一轮已赛完，四分之一决赛起在本周进行。",
    )
    competition = _competition(
        activity,
        "双打",
        discipline="羽毛球",
        format=Competition.Format.KNOCKOUT,
        team_size_min=2,
        team_size_max=2,
        capacity=16,
        third_place_match=True,
    )
    bureau = demo.units.get(EDUCATION_BUREAU)
    first_people = tuple(no for no in (DEMO_LIAISON, DEMO_CADRE) if no in demo.by_employee_no)
    teams = _enter_teams(
        demo, competition, 2, 16, first_unit=bureau.code if bureau else None, first_people=first_people
    )
    # The 市教育局 pair is the top seed: it wins its first match and plays again in the coming days.
    Team.objects.filter(pk=teams[0].pk).update(seed=1)
    fixtures_generate(actor=demo.staff, competition=competition)
    courts = ["1号场", "2号场", "3号场", "4号场"]
    timetable = {1: (-2, 9), 2: (1, 9), 3: (4, 14), 4: (5, 15)}

    def slot(match):
        days, hour = timetable[match.round_no]
        if match.stage == Match.Stage.THIRD_PLACE:
            return demo.at(days, hour - 1), courts[1]
        return demo.at(days, hour + match.slot // 4, 30 * (match.slot % 2)), courts[match.slot % 4]

    _schedule(demo, competition, slot)
    strength = {t.pk: demo.rng.random() for t in teams}
    for match in competition.matches.filter(round_no=1, stage=Match.Stage.KNOCKOUT).order_by("slot"):
        _play(demo, match, strength, sets=True, best_of=3, points=21, cap=30, favour=teams[0].pk)
    competition_publish_results(actor=demo.staff, competition=competition)
    # Not drawn at random: the referee login stays the same person (D01864 at the demo scale) whatever else changes.
    referee = next(
        (
            p
            for ps in demo.people.values()
            for p in ps
            if Cadre.Talent.SPORTS_REFEREE in (p.talents or []) and p.employee_no not in first_people
        ),
        None,
    )
    if referee is not None:
        competition.referees.add(referee.user_id)


def _basketball(demo: Demo, title: str) -> None:
    """Open now: a men's league with six units entered; 市教育局 has not entered yet (the liaison's journey)."""
    activity = _activity(
        demo,
        title,
        status=Activity.Status.PUBLISHED,
        starts=demo.at(30, 9),
        ends=demo.at(45, 17),
        opens=demo.at(-5, 9),
        closes=demo.at(14, 17),
        venue="市体育中心篮球馆",
        description="“小球大球”系列赛第三站。每单位限报一队，5至10人，单循环。",
    )
    competition = _competition(
        activity,
        "男子篮球",
        discipline="篮球",
        format=Competition.Format.ROUND_ROBIN,
        gender_rule=M,
        team_size_min=5,
        team_size_max=10,
        capacity=16,
        points_win=2,
        points_loss=1,
    )
    units = [u for code, u in demo.units.items() if code != EDUCATION_BUREAU][10:]
    _enter_teams(demo, competition, 6, 6, units=units)


def _air_volleyball(demo: Demo, title: str) -> None:
    activity = _activity(
        demo,
        title,
        status=Activity.Status.PUBLISHED,
        starts=demo.at(21, 9),
        ends=demo.at(22, 17),
        opens=demo.at(-3, 9),
        closes=demo.at(10, 17),
        venue="市全民健身中心综合馆",
        description="混合气排球，每队6至8人，至少一名男队员和一名女队员；先分组循环，再淘汰。",
    )
    competition = _competition(
        activity,
        "混合气排球",
        discipline="气排球",
        format=Competition.Format.GROUPS_KNOCKOUT,
        gender_rule=Competition.GenderRule.MIXED,
        team_size_min=6,
        team_size_max=8,
        capacity=12,
        group_count=2,
        advance_per_group=2,
    )
    units = [u for code, u in demo.units.items() if code != EDUCATION_BUREAU][20:]
    _enter_teams(demo, competition, 6, 3, units=units)


def _lecture(demo: Demo, title: str) -> None:
    activity = _activity(
        demo,
        title,
        kind=Activity.Kind.OTHER,
        status=Activity.Status.PUBLISHED,
        starts=demo.at(7, 15),
        ends=demo.at(7, 17),
        opens=demo.at(-7, 9),
        closes=demo.at(6, 12),
        venue="市机关事务服务中心三楼会议室",
        description="邀请市中心医院康复科专家讲解机关干部常见运动损伤的预防与处理。个人报名，限80人。",
        open_to_individuals=True,
        capacity=80,
    )
    _individuals(demo, activity, 25, first=(DEMO_CADRE,))


def _walk(demo: Demo, title: str) -> None:
    activity = _activity(
        demo,
        title,
        status=Activity.Status.PUBLISHED,
        starts=demo.at(10, 8),
        ends=demo.at(10, 11),
        opens=demo.at(-10, 9),
        closes=demo.at(8, 17),
        venue="城市绿道北门集合",
        description="周末健步走，全程约8公里。个人报名，限30人；名额已满的可排队候补，有人取消时自动递补。",
        open_to_individuals=True,
        capacity=30,
    )
    _individuals(demo, activity, 30, 5)


# What is on around today, placed relative to today: (name without the year, builder).
LIVE = [
    ("市直机关羽毛球比赛", _badminton),
    ("市直机关篮球联赛", _basketball),
    ("市直机关气排球比赛", _air_volleyball),
    ("机关干部运动损伤预防讲座", _lecture),
    ("周末健步走·城市绿道", _walk),
]

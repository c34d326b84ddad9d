"""Demo data for events and competitions: one season of the committee's calendar, run through the real services.

`seed_demo` calls seed_activities_demo after the shared model is seeded (registered in ActivitiesConfig.ready()).
It builds, around today's date: a finished table-tennis round robin; a badminton knockout in progress with
matches in the coming days (the 市教育局 pair, the demo liaison D00007 and cadre D00045, among them); a finished
sports meet with ranked, knockout and judged events, medals, team points and organisation awards; a youth
debate scored by a judges' panel; and events open for registration now. Draws, results and placings go through
the services, so the demo is also a check that they hold together. Deterministic (one seeded random stream),
idempotent (an activity whose title exists is left alone), and a few seconds at the demo scale.
"""

import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from portal.audit import audit_record
from portal.models import Cadre, Unit
from portal.permissions import is_committee_staff

from .exports import age_on
from .models import (
    Activity,
    Competition,
    Match,
    OrganisationAward,
    Placing,
    Registration,
    Team,
    TeamMember,
)
from .services.fixtures import fixtures_generate
from .services.results import (
    competition_publish_results,
    judge_score_record,
    match_record_result,
    ranked_result_record,
)

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
    """What every part of the demo draws on: the staff actor, the clock, the random stream, units and people."""

    staff: object
    now: datetime
    rng: random.Random
    units: dict  # code -> Unit
    people: dict  # unit id -> [Person]
    by_employee_no: dict
    created: list = field(default_factory=list)

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """A local time `days` from today, at `hour` o'clock plus `minute` minutes (which may pass the hour)."""
        day = timezone.localdate(self.now) + timedelta(days=days)
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour)) + timedelta(minutes=minute)

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


def seed_activities_demo(*, scale: str = "demo", progress=print) -> str:
    """Create the demo season (see the module docstring); returns a one-line summary for `seed_demo`.

    Needs the portal's demo units, cadres and the "staff" account (seeded first). Activities are keyed by title:
    those that exist are skipped, so a second run creates nothing. One transaction; one audit entry when it
    created anything (the services add their own for draws and results).
    """
    started = time.perf_counter()
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is None or not is_committee_staff(staff):
        return "skipped: the demo staff account is missing"
    demo_cadres = Cadre.objects.filter(employee_no__startswith="D", is_active=True)
    if demo_cadres.count() < MIN_DEMO_CADRES:
        return f"skipped: needs the demo scale's cadres (at least {MIN_DEMO_CADRES})"

    now = timezone.now()
    year = timezone.localdate(now).year
    plan = [
        (f"{year}年市直机关乒乓球比赛", _table_tennis),
        (f"{year}年市直机关羽毛球比赛", _badminton),
        (f"{year}年市直机关职工运动会", _sports_meet),
        (f"{year}年市直机关青年辩论赛", _debate),
        (f"{year}年市直机关篮球联赛", _basketball),
        (f"{year}年市直机关气排球比赛", _air_volleyball),
        ("机关干部运动损伤预防讲座", _lecture),
        ("周末健步走·城市绿道", _walk),
    ]
    existing = set(Activity.objects.filter(title__in=[title for title, _build in plan]).values_list("title", flat=True))
    todo = [(title, build) for title, build in plan if title not in existing]
    if not todo:
        return f"nothing to create, {len(plan)} activities already there ({time.perf_counter() - started:.1f} s)"

    demo = _load(staff, now)
    with transaction.atomic():
        for title, build in todo:
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


def _load(staff, now) -> Demo:
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
    return Demo(
        staff=staff, now=now, rng=random.Random(SEED), units=units, people=people, by_employee_no=by_employee_no
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
    liaisons = {p.unit_id: p.user_id for ps in demo.people.values() for p in ps if p.is_liaison}
    teams = Team.objects.bulk_create(
        [
            Team(
                competition=competition,
                unit=unit,
                name=f"{unit.short_name or unit.name}{name_suffix}",
                place_no=index,
                registered_by_id=liaisons.get(unit.pk),
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


# --- The activities -------------------------------------------------------------------------------------------


def _table_tennis(demo: Demo, title: str) -> None:
    """Finished about two months ago: a men's singles round robin of eight units, every result with its sets."""
    activity = _activity(
        demo,
        title,
        status=Activity.Status.FINISHED,
        starts=demo.at(-60, 9),
        ends=demo.at(-59, 17),
        opens=demo.at(-90, 9),
        closes=demo.at(-70, 17),
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
    teams = _enter_teams(demo, competition, 1, 8, units=list(demo.units.values())[8:24])
    fixtures_generate(actor=demo.staff, competition=competition)
    _schedule(
        demo,
        competition,
        lambda m: (demo.at(-60 + (m.round_no - 1) // 4, 9 + (m.round_no - 1) % 4 * 2), f"{m.slot + 1}号台"),
    )
    strength = {t.pk: demo.rng.random() for t in teams}
    for match in competition.matches.select_related("competition").order_by("round_no", "slot"):
        _play(demo, match, strength, sets=True, best_of=5, points=11)
    competition_publish_results(actor=demo.staff, competition=competition)


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


def _sports_meet(demo: Demo, title: str) -> None:
    """Finished last month: ranked, knockout and judged events, medals, team points and organisation awards."""
    activity = _activity(
        demo,
        title,
        status=Activity.Status.FINISHED,
        starts=demo.at(-35, 8),
        ends=demo.at(-34, 17),
        opens=demo.at(-70, 9),
        closes=demo.at(-45, 17),
        venue="市体育中心",
        description="全市机关干部职工运动会：田径、拔河、合唱。名次按 7-5-4-3-2-1 计团体积分，评选优秀组织奖。",
        has_medal_table=True,
        max_events_per_athlete=2,
    )
    usage = Counter()
    on = timezone.localdate(activity.starts_at)
    units = list(demo.units.values())
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
        for team, value in zip(teams, values(len(teams)), strict=False):
            note = "" if value is not None else "三次试跳犯规"
            ranked_result_record(actor=demo.staff, team=team, value=value, note=note)
        return competition

    def times(low, high):
        def make(count):
            values = sorted(Decimal(f"{demo.rng.uniform(low, high):.2f}") for _ in range(count))
            values[3] = values[2]  # a dead heat for third: two bronzes, shared points
            demo.rng.shuffle(values)
            return values

        return make

    def jumps(count):
        values = [Decimal(f"{demo.rng.uniform(4.2, 6.1):.2f}") for _ in range(count)]
        values[-1] = None
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
    _schedule(demo, tug, lambda m: (demo.at(-35, 9 + m.round_no, 20 * m.slot), "拔河场地"))
    strength = {t.pk: demo.rng.random() for t in tug_teams}
    for _round in range(3):
        pending = tug.matches.filter(status=Match.Status.SCHEDULED).exclude(home=None).exclude(away=None)
        for match in pending.order_by("stage", "round_no", "slot"):
            _play(demo, match, strength, best_of=3)

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
    for team in _enter_teams(demo, chorus, 10, 10, units=units[::-1], on=on, usage=usage, max_uses=2):
        base = demo.rng.uniform(86, 94)
        for judge in JUDGES:
            score = Decimal(f"{min(99.5, base + demo.rng.uniform(-3, 3)):.2f}")
            judge_score_record(actor=demo.staff, team=team, judge=judge, score=score)

    for competition in activity.competitions.all():
        competition_publish_results(actor=demo.staff, competition=competition)
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


def _debate(demo: Demo, title: str) -> None:
    """Finished: eight units' teams of four debaters aged 35 or under, scored by a panel of five judges."""
    activity = _activity(
        demo,
        title,
        kind=Activity.Kind.DEBATE,
        status=Activity.Status.FINISHED,
        starts=demo.at(-14, 14),
        ends=demo.at(-14, 18),
        opens=demo.at(-45, 9),
        closes=demo.at(-25, 17),
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
    for team in _enter_teams(demo, competition, 4, 8, units=list(demo.units.values())[1:]):
        base = demo.rng.uniform(82, 93)
        for judge in JUDGES:
            score = Decimal(f"{base + demo.rng.uniform(-4, 4):.2f}")
            judge_score_record(actor=demo.staff, team=team, judge=judge, score=score)
    competition_publish_results(actor=demo.staff, competition=competition)


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


def _individuals(demo: Demo, activity: Activity, confirmed: int, waitlisted: int, first: tuple = ()) -> None:
    people = [p for ps in demo.people.values() for p in ps if p.employee_no not in first]
    demo.rng.shuffle(people)
    chosen = [demo.by_employee_no[no] for no in first if no in demo.by_employee_no] + people
    rows = []
    for index, person in enumerate(chosen[: confirmed + waitlisted]):
        status = Registration.Status.CONFIRMED if index < confirmed else Registration.Status.WAITLISTED
        rows.append(Registration(activity=activity, cadre_id=person.pk, status=status))
    Registration.objects.bulk_create(rows)


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
    _individuals(demo, activity, 25, 0, first=(DEMO_CADRE,))


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

"""The demo season: what it builds, that every team is eligible, that it is idempotent and quick."""

import re
import time
from datetime import datetime
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from activities.demo import DEMO_CADRE, DEMO_LIAISON, season_plan, seed_activities_demo
from activities.exports import age_on
from activities.models import (
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
from portal.demo_registry import DemoCalendar, demo_seeders
from portal.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = StringIO()
    started = time.perf_counter()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue(), time.perf_counter() - started


def counts():
    return [
        model.objects.count()
        for model in (
            Activity,
            Competition,
            Team,
            TeamMember,
            Match,
            RankedResult,
            JudgeScore,
            Placing,
            Registration,
            OrganisationAward,
            AuditEntry,
        )
    ]


def test_the_seeder_is_registered():
    assert ("activities", seed_activities_demo) in demo_seeders()


def test_the_demo_season(seeded):
    output, seconds = seeded
    created = re.search(r"activities: (\d+) activities created", output)
    assert created and int(created[1]) == Activity.objects.count() >= 20
    assert seconds < 30
    now = timezone.now()
    finished = Activity.objects.filter(status=Activity.Status.FINISHED)
    assert finished.count() >= 12 and not finished.filter(ends_at__gt=now).exists()

    table_tennis = Competition.objects.filter(activity__title__endswith="乒乓球比赛").latest("activity__starts_at")
    assert table_tennis.activity.status == Activity.Status.FINISHED
    assert table_tennis.teams.count() == 8 and table_tennis.results_published
    assert table_tennis.matches.filter(status=Match.Status.PLAYED).count() == 28
    assert all(m.detail["sets"] for m in table_tennis.matches.all())
    assert table_tennis.placings.count() == 8

    badminton = Competition.objects.get(activity__title__endswith="羽毛球比赛")
    assert badminton.teams.count() == 16
    assert badminton.matches.filter(round_no=1, status=Match.Status.PLAYED).count() == 8
    upcoming = badminton.matches.filter(status=Match.Status.SCHEDULED, scheduled_at__gt=now)
    assert upcoming.count() == 8 and not upcoming.filter(court="").exists()
    assert badminton.referees.exists()

    # The demo liaison and cadre of 市教育局 play together, and have a match in the coming days.
    pair = Team.objects.get(competition=badminton, members__cadre__employee_no=DEMO_LIAISON)
    assert set(pair.members.values_list("cadre__employee_no", flat=True)) == {DEMO_LIAISON, DEMO_CADRE}
    next_match = upcoming.filter(home=pair).first() or upcoming.filter(away=pair).first()
    assert next_match is not None and next_match.scheduled_at < now + timezone.timedelta(days=3)

    meets = Activity.objects.filter(title__endswith="职工运动会")
    assert meets.exists()
    for meet in meets:
        assert meet.has_medal_table and meet.status == Activity.Status.FINISHED
        events = {c.name: c for c in meet.competitions.all()}
        assert {"男子100米", "女子100米", "男子跳远", "拔河", "合唱"} <= set(events)
        assert all(c.placings.exists() and c.results_published for c in events.values())
        assert events["拔河"].placings.filter(place=1).count() == 1
        # The dead heat in the 100 m gives two bronzes.
        assert events["男子100米"].placings.filter(place=3).count() == 2
        # The long jumper with three fouls has no placing.
        assert events["男子跳远"].placings.count() == events["男子跳远"].teams.count() - 1
        assert Placing.objects.filter(competition__activity=meet, points__gt=0).exists()
        assert OrganisationAward.objects.filter(activity=meet, kind=OrganisationAward.Kind.ORGANISATION).count() == 6

    debates = Competition.objects.filter(activity__kind=Activity.Kind.DEBATE)
    assert debates.exists()
    for debate in debates:
        assert debate.max_age == 35 and debate.placings.count() == debate.teams.count()
        assert JudgeScore.objects.filter(team__competition=debate).count() == debate.teams.count() * 5

    open_now = [a for a in Activity.objects.all() if a.registration_is_open(now)]
    assert len(open_now) >= 3
    assert any(a.open_to_individuals and a.capacity for a in open_now)
    walk = Activity.objects.get(title__contains="周末健步走")
    assert walk.registrations.filter(status=Registration.Status.CONFIRMED).count() == walk.capacity
    assert walk.registrations.filter(status=Registration.Status.WAITLISTED).exists()


def test_every_team_is_eligible(seeded):
    members = TeamMember.objects.select_related("team__competition__activity", "cadre")
    per_team = {}
    for member in members:
        team, cadre, competition = member.team, member.cadre, member.team.competition
        assert cadre.unit_id == team.unit_id, f"{cadre} is not of {team.unit}"
        if competition.gender_rule in ("M", "F"):
            assert cadre.gender == competition.gender_rule, f"{cadre} in {competition}"
        if competition.max_age:
            assert age_on(cadre.birth_date, timezone.localdate(competition.activity.starts_at)) <= competition.max_age
        per_team.setdefault(team, []).append(cadre)
    for team, cadres in per_team.items():
        competition = team.competition
        assert competition.team_size_min <= len(cadres) <= competition.team_size_max, team
        if competition.gender_rule == Competition.GenderRule.MIXED:
            assert {c.gender for c in cadres} == {"M", "F"}, team
    # One team per unit per competition, and nobody over the meet's limit of events.
    assert not Team.objects.values("competition", "unit").annotate(n=Count("id")).filter(n__gt=1).exists()
    for meet in Activity.objects.filter(has_medal_table=True):
        busiest = (
            TeamMember.objects.filter(competition__activity=meet).values("cadre").annotate(n=Count("id")).order_by("-n")
        )
        assert busiest[0]["n"] <= meet.max_events_per_athlete, meet


def test_a_second_run_creates_nothing(seeded):
    before = counts()
    output = StringIO()
    call_command("seed_demo", stdout=output, stderr=StringIO())
    assert counts() == before
    assert "activities: nothing to create" in output.getvalue()


def test_too_few_cadres_skips_the_season():
    output = StringIO()
    call_command("seed_demo", "--cadres", "200", stdout=output, stderr=StringIO())
    assert "activities: skipped" in output.getvalue()
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "moment", [(2027, 1, 1, 0, 30), (2026, 3, 31, 23, 30), (2026, 5, 4, 15, 0), (2026, 10, 1, 8, 0)]
)
def test_the_season_plan_fills_every_finished_quarter_whatever_the_day(moment):
    calendar = DemoCalendar(now=timezone.make_aware(datetime(*moment)))
    plan = season_plan(calendar)
    titles = [title for title, _build in plan]
    assert len(titles) == len(set(titles))  # titles are the keys of idempotence
    programme = [build.keywords for _title, build in plan if isinstance(build, partial)]
    held = [p["starts"] for p in programme if not p["upcoming"]]
    assert all(calendar.is_past(starts) for starts in held)
    assert all(calendar.is_ahead(p["starts"]) for p in programme if p["upcoming"])
    for period in calendar.finished_quarters:
        assert sum(period.start <= starts < period.end for starts in held) >= 3, period
    assert len(plan) - len(programme) == 5  # what is on around today

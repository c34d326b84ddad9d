"""The draw persisted: match counts, byes advanced, knockout wiring, groups, refusals, reset, schedule clashes."""

import itertools
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import Competition, Match, Team
from activities.services.fixtures import (
    FixturesError,
    competition_entries_lock,
    fixtures_generate,
    fixtures_reset,
    matches_schedule,
    schedule_conflicts,
    seeded_team_ids,
)
from activities.services.results import match_record_result
from portal.errors import NotPermitted
from portal.models import AuditEntry
from tests.activities.factories import CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
RR = Competition.Format.ROUND_ROBIN
KO = Competition.Format.KNOCKOUT
GK = Competition.Format.GROUPS_KNOCKOUT


def make_competition(count, *, members=1, **kwargs):
    competition = CompetitionFactory(**kwargs)
    teams = [TeamFactory(competition=competition, members=members, place_no=i + 1) for i in range(count)]
    return competition, teams


def test_round_robin_every_pair_meets_once_and_entries_lock(staff_user):
    competition, teams = make_competition(8, format=RR)
    summary = fixtures_generate(actor=staff_user, competition=competition)

    matches = list(competition.matches.all())
    assert summary.matches == len(matches) == 28
    assert summary.rounds == 7
    assert {m.stage for m in matches} == {Match.Stage.LEAGUE}
    assert {m.group for m in matches} == {""}
    pairs = [frozenset((m.home_id, m.away_id)) for m in matches]
    assert len(set(pairs)) == 28
    assert set(pairs) == {frozenset(p) for p in itertools.combinations([t.pk for t in teams], 2)}
    competition.refresh_from_db()
    assert competition.entries_locked
    entry = AuditEntry.objects.get(action="competition.fixtures_generate")
    assert entry.changes["new"]["matches"] == 28 and entry.actor == staff_user


def test_round_robin_with_an_odd_count_gives_byes_without_matches(staff_user):
    competition, _teams = make_competition(5, format=RR)
    summary = fixtures_generate(actor=staff_user, competition=competition)
    assert summary.matches == 10 and summary.rounds == 5
    per_round = {r: competition.matches.filter(round_no=r).count() for r in range(1, 6)}
    assert set(per_round.values()) == {2}


def test_knockout_byes_go_to_the_top_seeds_and_advance_at_once(staff_user):
    competition, teams = make_competition(6, format=KO)
    for seed, team in enumerate(teams, start=1):
        Team.objects.filter(pk=team.pk).update(seed=seed)
    summary = fixtures_generate(actor=staff_user, competition=competition)

    assert summary.matches == 7 and summary.byes == 2 and summary.rounds == 3
    byes = list(competition.matches.filter(status=Match.Status.BYE).order_by("slot"))
    assert {m.home_id for m in byes} == {teams[0].pk, teams[1].pk}
    for bye in byes:
        assert bye.away_id is None and bye.winner_id == bye.home_id
        assert getattr(bye.next_match, f"{bye.next_side}_id") == bye.home_id
    final = competition.matches.get(round_no=3)
    assert final.next_match_id is None
    # Seeds 1 and 2 sit in different halves: they can only meet in the final.
    semis = list(competition.matches.filter(round_no=2))
    assert {s.next_match_id for s in semis} == {final.pk}
    assert sorted(s.next_side for s in semis) == ["away", "home"]
    halves = [{s.home_id, s.away_id} for s in semis]
    assert not any({teams[0].pk, teams[1].pk} <= half for half in halves)


def test_knockout_third_place_match_is_wired_to_the_semi_final_losers(staff_user):
    competition, _teams = make_competition(8, format=KO, third_place_match=True)
    summary = fixtures_generate(actor=staff_user, competition=competition)
    assert summary.matches == 8 and summary.byes == 0
    third = competition.matches.get(stage=Match.Stage.THIRD_PLACE)
    semis = list(competition.matches.filter(stage=Match.Stage.KNOCKOUT, round_no=2))
    assert {s.loser_next_match_id for s in semis} == {third.pk}
    assert sorted(s.loser_next_side for s in semis) == ["away", "home"]
    assert not competition.matches.filter(stage=Match.Stage.KNOCKOUT, round_no=1, loser_next_match__isnull=False)


def test_knockout_of_128_has_seven_rounds(staff_user):
    competition, _teams = make_competition(100, members=0, format=KO)
    summary = fixtures_generate(actor=staff_user, competition=competition)
    assert summary.rounds == 7 and summary.byes == 28 and summary.matches == 127
    # Every match but the final feeds exactly one slot, and no slot is fed twice.
    fed = list(competition.matches.exclude(next_match=None).values_list("next_match_id", "next_side"))
    assert len(fed) == 126 == len(set(fed))


def test_groups_then_knockout_sets_groups_and_remembers_the_feeds(staff_user):
    competition, teams = make_competition(10, format=GK, group_count=2, advance_per_group=2)
    summary = fixtures_generate(actor=staff_user, competition=competition)

    groups = dict(Team.objects.filter(competition=competition).values_list("pk", "group"))
    assert sorted(groups.values()) == ["A"] * 5 + ["B"] * 5
    assert competition.matches.filter(stage=Match.Stage.GROUP).count() == 20
    knockout = competition.matches.filter(stage=Match.Stage.KNOCKOUT)
    assert knockout.count() == 3 and summary.matches == 23
    first = list(knockout.filter(round_no=1).order_by("slot"))
    feeds = sorted(tuple(side) for m in first for side in m.detail["feed"].values())
    assert feeds == [("A", 1), ("A", 2), ("B", 1), ("B", 2)]
    assert all(m.home_id is None and m.away_id is None for m in first)
    # Group matches are only between teams of the same group.
    for match in competition.matches.filter(stage=Match.Stage.GROUP):
        assert groups[match.home_id] == groups[match.away_id] == match.group


def test_groups_then_knockout_with_too_many_groups_is_refused(staff_user):
    competition, _teams = make_competition(5, format=GK, group_count=3, advance_per_group=1)
    with pytest.raises(FixturesError, match="3 groups"):
        fixtures_generate(actor=staff_user, competition=competition)
    assert not competition.matches.exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda: make_competition(1, format=RR)[0], "at least two"),
        (lambda: make_competition(4, format=Competition.Format.RANKED)[0], "ranked or judged"),
        (lambda: make_competition(4, format=Competition.Format.JUDGED)[0], "ranked or judged"),
    ],
)
def test_refusals_save_nothing(staff_user, setup, message):
    competition = setup()
    with pytest.raises(FixturesError, match=message):
        fixtures_generate(actor=staff_user, competition=competition)
    competition.refresh_from_db()
    assert not competition.matches.exists()
    assert not competition.entries_locked
    assert not AuditEntry.objects.filter(action="competition.fixtures_generate").exists()


def test_a_second_draw_is_refused_until_reset(staff_user):
    competition, _teams = make_competition(4, format=RR)
    fixtures_generate(actor=staff_user, competition=competition)
    with pytest.raises(FixturesError, match="exist already"):
        fixtures_generate(actor=staff_user, competition=competition)
    assert competition.matches.count() == 6
    assert fixtures_reset(actor=staff_user, competition=competition) == 6
    assert not competition.matches.exists()
    fixtures_generate(actor=staff_user, competition=competition)
    assert competition.matches.count() == 6


def test_withdrawn_teams_are_not_drawn(staff_user):
    competition, teams = make_competition(5, format=RR)
    Team.objects.filter(pk=teams[0].pk).update(status=Team.Status.WITHDRAWN)
    assert fixtures_generate(actor=staff_user, competition=competition).matches == 6


def test_reset_is_refused_once_a_result_exists(staff_user):
    competition, _teams = make_competition(4, format=RR)
    fixtures_generate(actor=staff_user, competition=competition)
    match = competition.matches.first()
    Match.objects.filter(pk=match.pk).update(scheduled_at=timezone.now())
    match_record_result(actor=staff_user, match=match, home_score=3, away_score=1)
    with pytest.raises(FixturesError, match="have results"):
        fixtures_reset(actor=staff_user, competition=competition)
    assert competition.matches.count() == 6


def test_only_staff_draw_and_reset(cadre, staff_user):
    competition, _teams = make_competition(4, format=RR)
    with pytest.raises(NotPermitted):
        fixtures_generate(actor=cadre.user, competition=competition)
    fixtures_generate(actor=staff_user, competition=competition)
    with pytest.raises(NotPermitted):
        fixtures_reset(actor=cadre.user, competition=competition)
    with pytest.raises(NotPermitted):
        competition_entries_lock(actor=cadre.user, competition=competition)


def test_the_draw_is_seeded_then_deterministic():
    competition, teams = make_competition(8, format=KO)
    Team.objects.filter(pk=teams[5].pk).update(seed=1)
    Team.objects.filter(pk=teams[2].pk).update(seed=2)
    order = seeded_team_ids(competition)
    assert order[:2] == [teams[5].pk, teams[2].pk]
    assert sorted(order) == sorted(t.pk for t in teams)
    assert seeded_team_ids(competition) == order


def test_lock_and_unlock_entries(staff_user):
    competition, _teams = make_competition(4, format=RR)
    competition_entries_lock(actor=staff_user, competition=competition)
    competition.refresh_from_db()
    assert competition.entries_locked
    competition_entries_lock(actor=staff_user, competition=competition, locked=False)
    competition.refresh_from_db()
    assert not competition.entries_locked
    fixtures_generate(actor=staff_user, competition=competition)
    with pytest.raises(FixturesError, match="reset them"):
        competition_entries_lock(actor=staff_user, competition=competition, locked=False)
    assert AuditEntry.objects.filter(action="competition.unlock_entries").count() == 1


def test_draw_queries_grow_only_with_insert_batches(staff_user):
    def non_insert_queries(count):
        competition, _teams = make_competition(count, members=0, format=KO, third_place_match=True)
        with CaptureQueriesContext(connection) as queries:
            fixtures_generate(actor=staff_user, competition=competition)
        return [q for q in queries.captured_queries if not q["sql"].startswith(("INSERT", "UPDATE"))]

    non_insert_queries(4)  # the first call caches the staff member's groups on the user object
    assert len(non_insert_queries(8)) == len(non_insert_queries(64))


# --- Scheduling and double bookings ------------------------------------------------------------------------------


@pytest.fixture
def two_competitions(staff_user):
    """Two round robins in which one cadre plays for her unit in both (singles and doubles)."""
    unit = UnitFactory()
    star = CadreFactory(unit=unit, name="双打王")
    singles, _ = make_competition(2, format=RR)
    doubles, _ = make_competition(1, format=RR, team_size_min=2, team_size_max=2, members=2)
    Team.objects.filter(competition=singles).first().members.update(cadre=star)
    TeamFactory(competition=doubles, unit=unit, members=[star, CadreFactory(unit=unit)], place_no=9)
    fixtures_generate(actor=staff_user, competition=singles)
    fixtures_generate(actor=staff_user, competition=doubles)
    return singles.matches.get(), doubles.matches.get()


def test_schedule_warns_of_a_cadre_playing_twice_at_once(staff_user, two_competitions):
    first, second = two_competitions
    at = timezone.now() + timedelta(days=1)
    assert matches_schedule(actor=staff_user, match=first, scheduled_at=at, venue="体育馆", court="1号台") == []
    warnings = matches_schedule(
        actor=staff_user, match=second, scheduled_at=at + timedelta(minutes=30), venue="体育馆", court="2号台"
    )
    assert len(warnings) == 1 and warnings[0].kind == "cadre" and warnings[0].subjects == ["双打王"]
    second.refresh_from_db()
    assert second.court == "2号台"  # a warning, not an error: the schedule is saved
    assert len(schedule_conflicts(competition=first.competition)) == 1
    assert len(schedule_conflicts(activity=second.competition.activity)) == 1
    # An hour apart is no clash with the default slot; a longer slot makes it one.
    matches_schedule(actor=staff_user, match=second, scheduled_at=at + timedelta(minutes=60), venue="", court="")
    assert schedule_conflicts(competition=first.competition) == []
    assert len(schedule_conflicts(competition=first.competition, slot=90)) == 1
    entry = AuditEntry.objects.filter(action="match.schedule", object_id=str(second.pk)).first()
    assert entry.changes["old"]["court"] == "2号台" and entry.changes["new"]["court"] == ""


def test_schedule_warns_of_a_court_booked_twice(staff_user, settings):
    competition, _teams = make_competition(4, format=RR)
    fixtures_generate(actor=staff_user, competition=competition)
    a, b = competition.matches.filter(round_no=1)
    at = timezone.now() + timedelta(days=2)
    matches_schedule(actor=staff_user, match=a, scheduled_at=at, venue="市体育中心", court="3号场")
    warnings = matches_schedule(actor=staff_user, match=b, scheduled_at=at, venue="市体育中心", court="3号场")
    assert [w.kind for w in warnings] == ["venue"]
    assert warnings[0].subjects == ["市体育中心 · 3号场"]
    settings.ACTIVITIES_MATCH_SLOT_MINUTES = 0
    assert schedule_conflicts(competition=competition) == []


def test_schedule_conflicts_use_a_fixed_number_of_queries(staff_user, django_assert_max_num_queries):
    competition, _teams = make_competition(12, format=RR, members=2, team_size_max=2)
    fixtures_generate(actor=staff_user, competition=competition)
    at = timezone.now()
    Match.objects.filter(competition=competition).update(scheduled_at=at, court="1")
    with django_assert_max_num_queries(3):
        conflicts = schedule_conflicts(competition=competition)
    assert conflicts


def test_only_staff_schedule(cadre):
    competition, _teams = make_competition(2, format=RR)
    match_ = Match.objects.create(competition=competition, stage="league", round_no=1, slot=0)
    with pytest.raises(NotPermitted):
        matches_schedule(actor=cadre.user, match=match_, scheduled_at=timezone.now(), venue="", court="")


@pytest.mark.parametrize(("fmt", "expected"), [(RR, 128 * 127 // 2), (KO, 127)])
def test_time_to_draw_128_teams(staff_user, fmt, expected, capsys):
    competition, _teams = make_competition(0, format=fmt)
    unit = UnitFactory()
    Team.objects.bulk_create(
        [Team(competition=competition, unit=unit, name=f"队{i}", place_no=i + 1) for i in range(128)]
    )
    started = time.perf_counter()
    summary = fixtures_generate(actor=staff_user, competition=competition)
    seconds = time.perf_counter() - started
    assert summary.matches == expected
    with capsys.disabled():
        print(
            f"\n[fixtures] {fmt}, 128 teams: {summary.matches} matches in {seconds * 1000:.0f} ms ({connection.vendor})"
        )

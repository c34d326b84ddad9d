"""Placings for every format, with shared places splitting team points; the medal table reads them."""

from decimal import Decimal

import pytest
from django.utils import timezone

from activities.models import Competition, Match, Placing
from activities.services.fixtures import fixtures_generate
from activities.services.placings import competition_compute_placings
from activities.services.results import (
    judge_score_record,
    match_clear_result,
    match_record_result,
    ranked_result_record,
)
from activities.tournament import Placing as PlannedPlacing
from activities.tournament import medal_table
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def drawn(staff, count, **kwargs):
    competition = CompetitionFactory(**kwargs)
    teams = [TeamFactory(competition=competition, place_no=i + 1, seed=i + 1, members=0) for i in range(count)]
    if competition.uses_matches:
        fixtures_generate(actor=staff, competition=competition)
        competition.matches.update(scheduled_at=timezone.now())
    return competition, teams


def places(competition):
    return {
        team: (place, points) for team, place, points in competition.placings.values_list("team_id", "place", "points")
    }


def play(staff, competition, winner_of):
    """Play every undecided match whose teams are known, round by round; winner_of(match) -> the winning team id."""
    while True:
        pending = competition.matches.filter(status=Match.Status.SCHEDULED).exclude(home=None).exclude(away=None)
        match = pending.order_by("stage", "round_no", "slot").first()
        if match is None:
            return
        home_wins = winner_of(match) == match.home_id
        match_record_result(
            actor=staff, match=match, home_score=3 if home_wins else 1, away_score=1 if home_wins else 3
        )


def test_round_robin_three_way_tie_shares_the_place_and_the_points(staff_user):
    competition, (a, b, c, d) = drawn(staff_user, 4, format=Competition.Format.ROUND_ROBIN)
    beats = {(a.pk, b.pk), (b.pk, c.pk), (c.pk, a.pk)}  # a circle: nothing breaks it
    play(
        staff_user,
        competition,
        lambda m: (
            d.pk in (m.home_id, m.away_id)
            and ({m.home_id, m.away_id} - {d.pk}).pop()
            or (m.home_id if (m.home_id, m.away_id) in beats else m.away_id)
        ),
    )
    result = places(competition)
    share = Decimal("5.33")  # (7 + 5 + 4) / 3
    assert result == {a.pk: (1, share), b.pk: (1, share), c.pk: (1, share), d.pk: (4, Decimal("3.00"))}
    assert {p.unit_id for p in competition.placings.all()} == {a.unit_id, b.unit_id, c.unit_id, d.unit_id}


def test_round_robin_has_no_placings_until_every_match_is_in(staff_user):
    competition, teams = drawn(staff_user, 3, format=Competition.Format.ROUND_ROBIN)
    matches = list(competition.matches.all())
    for match in matches[:-1]:
        match_record_result(actor=staff_user, match=match, home_score=3, away_score=0)
        assert not competition.placings.exists()
    match_record_result(actor=staff_user, match=matches[-1], home_score=3, away_score=0)
    assert competition.placings.count() == 3
    match_clear_result(actor=staff_user, match=matches[-1])
    assert not competition.placings.exists()


def test_knockout_without_third_place_gives_two_bronzes_and_shared_fifths(staff_user):
    competition, teams = drawn(staff_user, 8, format=Competition.Format.KNOCKOUT)
    play(staff_user, competition, lambda m: min(m.home_id, m.away_id))  # the better seed always wins
    result = places(competition)
    ids = [t.pk for t in teams]
    assert result[ids[0]] == (1, Decimal("7.00"))
    assert result[ids[1]] == (2, Decimal("5.00"))
    assert result[ids[2]] == result[ids[3]] == (3, Decimal("3.50"))  # (4 + 3) / 2
    assert {result[i] for i in ids[4:]} == {(5, Decimal("0.75"))}  # (2 + 1 + 0 + 0) / 4


def test_knockout_with_byes_and_a_third_place_match(staff_user):
    competition, teams = drawn(staff_user, 6, format=Competition.Format.KNOCKOUT, third_place_match=True)
    play(staff_user, competition, lambda m: max(m.home_id, m.away_id))  # the worse seed always wins
    result = places(competition)
    assert sorted(place for place, _points in result.values()) == [1, 2, 3, 4, 5, 5]
    assert sum(points for _place, points in result.values()) == Decimal("7") + 5 + 4 + 3 + 2 + 1


def test_groups_then_knockout_places_the_group_leavers_behind(staff_user):
    competition, teams = drawn(
        staff_user, 8, format=Competition.Format.GROUPS_KNOCKOUT, group_count=2, advance_per_group=2
    )
    play(staff_user, competition, lambda m: min(m.home_id, m.away_id))
    result = places(competition)
    assert sorted(place for place, _points in result.values()) == [1, 2, 3, 3, 5, 5, 7, 7]


def test_ranked_ties_share_and_a_dnf_has_no_place(staff_user):
    competition, teams = drawn(
        staff_user, 5, format=Competition.Format.RANKED, result_ordering=Competition.Ordering.LOWER_IS_BETTER
    )
    times = ["12.1", "12.3", "12.30", "12.5", None]
    for team, value in zip(teams[:-1], times[:-1], strict=True):
        ranked_result_record(actor=staff_user, team=team, value=value)
        assert not competition.placings.exists()  # not everyone has a result yet
    ranked_result_record(actor=staff_user, team=teams[-1], value=None, note="DNF")
    result = places(competition)
    ids = [t.pk for t in teams]
    assert result == {
        ids[0]: (1, Decimal("7.00")),
        ids[1]: (2, Decimal("4.50")),
        ids[2]: (2, Decimal("4.50")),
        ids[3]: (4, Decimal("3.00")),
    }


def test_ranked_higher_is_better_with_custom_points(staff_user):
    activity = ActivityFactory(points_by_place=[9, 7, 6])
    competition, teams = drawn(staff_user, 4, activity=activity, format=Competition.Format.RANKED)
    for team, value in zip(teams, ["5.10", "6.02", "4.80", "6.02"], strict=True):
        ranked_result_record(actor=staff_user, team=team, value=value)
    result = places(competition)
    ids = [t.pk for t in teams]
    assert result[ids[1]] == result[ids[3]] == (1, Decimal("8.00"))
    assert result[ids[0]] == (3, Decimal("6.00"))
    assert result[ids[2]] == (4, Decimal("0.00"))


def test_judged_drops_the_extremes_once_every_judge_has_scored(staff_user):
    competition, (a, b) = drawn(staff_user, 2, format=Competition.Format.JUDGED, drop_extreme_scores=True)
    panel = {"甲": (99, 80), "乙": (90, 91), "丙": (88, 92)}  # a: 99 90 88 -> 90; b: 80 91 92 -> 91
    for judge, (score_a, score_b) in panel.items():
        judge_score_record(actor=staff_user, team=a, judge=judge, score=score_a)
        assert not competition.placings.exists()
        judge_score_record(actor=staff_user, team=b, judge=judge, score=score_b)
    result = places(competition)
    assert result == {b.pk: (1, Decimal("7.00")), a.pk: (2, Decimal("5.00"))}


def test_placings_are_replaced_not_added(staff_user):
    competition, teams = drawn(staff_user, 2, format=Competition.Format.RANKED)
    ranked_result_record(actor=staff_user, team=teams[0], value="5")
    ranked_result_record(actor=staff_user, team=teams[1], value="6")
    assert places(competition)[teams[1].pk][0] == 1
    ranked_result_record(actor=staff_user, team=teams[0], value="7")
    assert places(competition) == {teams[0].pk: (1, Decimal("7.00")), teams[1].pk: (2, Decimal("5.00"))}
    outcome = competition_compute_placings(competition=competition, actor=staff_user)
    assert outcome.complete and not outcome.changed
    assert Placing.objects.count() == 2


def test_medal_table_from_stored_placings(staff_user):
    activity = ActivityFactory(has_medal_table=True)
    red, blue = UnitFactory(), UnitFactory()
    for values in (["10", "11"], ["9", "9"]):
        competition = CompetitionFactory(activity=activity, format=Competition.Format.RANKED)
        teams = [
            TeamFactory(competition=competition, unit=unit, place_no=i + 1, members=0)
            for i, unit in enumerate((red, blue))
        ]
        for team, value in zip(teams, values, strict=True):
            ranked_result_record(actor=staff_user, team=team, value=value)
    rows = Placing.objects.filter(competition__activity=activity).values_list(
        "competition_id", "team_id", "unit_id", "place"
    )
    table = medal_table(PlannedPlacing(*row) for row in rows)
    # Blue: a gold and a shared gold; red: a silver and the shared gold.
    assert [(row.unit, row.gold, row.silver) for row in table] == [(blue.pk, 2, 0), (red.pk, 1, 1)]

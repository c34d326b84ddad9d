"""Results: every bad input refused with its message and nothing saved; knockout advancement; corrections; rights."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from activities.models import Competition, JudgeScore, Match, RankedResult, Team
from activities.services.fixtures import fixtures_generate
from activities.services.results import (
    ResultError,
    competition_publish_results,
    judge_score_record,
    match_clear_result,
    match_record_result,
    ranked_result_record,
    set_rule_for,
    validate_sets,
)
from portal.errors import NotPermitted
from portal.models import AuditEntry
from tests.activities.factories import CompetitionFactory, TeamFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def drawn(count, *, schedule=True, **kwargs):
    """A competition with `count` teams (seeded in entry order), drawn, every match given a time."""
    competition = CompetitionFactory(**kwargs)
    teams = [TeamFactory(competition=competition, place_no=i + 1, seed=i + 1) for i in range(count)]
    from tests.factories import make_staff

    staff = make_staff("drawer")
    if competition.uses_matches:
        fixtures_generate(actor=staff, competition=competition)
        if schedule:
            competition.matches.update(scheduled_at=timezone.now() + timedelta(hours=1))
    return competition, teams


def snapshot(match):
    match.refresh_from_db()
    return (match.status, match.home_score, match.away_score, match.winner_id, match.detail)


def record(actor, match, home, away, **kwargs):
    return match_record_result(actor=actor, match=match, home_score=home, away_score=away, **kwargs)


# --- Bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("home", "away", "kwargs", "message"),
    [
        (-1, 2, {}, "cannot be negative"),
        (2, "3", {}, "whole number"),
        (2.5, 1, {}, "whole number"),
        (1000, 1, {}, "cannot be above 999"),
        (None, 1, {}, "both scores"),
        (3, 1, {"detail": {"sets": [[11, 7], [11, 5], [5, 11]]}}, "give 2:1 in sets"),
        (2, 0, {"detail": {"sets": [[11, 10], [11, 5]]}}, "Set 1 (11:10) is not a possible"),
        (2, 0, {"detail": {"sets": [[9, 7], [11, 5]]}}, "Set 1 (9:7)"),
        (2, 0, {"detail": {"sets": [[14, 11], [11, 5]]}}, "Set 1 (14:11)"),
        (2, 0, {"detail": {"sets": [[7, 7], [11, 5]]}}, "Set 1 is level"),
        (2, 1, {"detail": {"sets": [[11, 7], [11, 5], [5, 11]]}}, "last set must be won by the winner"),
        (2, 0, {"detail": {"sets": [[11, -1], [11, 5]]}}, "Set 1 is not two whole numbers"),
        (2, 0, {"detail": {"sets": "11:7"}}, "list of pairs"),
        (2, 0, {"detail": {"bonus": 1}}, "Unknown score detail"),
        (2, 0, {"detail": [1, 2]}, "must be an object"),
        (2, 2, {}, "cannot end level"),
        (2, 0, {"walkover_winner": -5}, "one of the two teams"),
    ],
)
def test_bad_results_are_refused_and_nothing_is_saved(staff_user, home, away, kwargs, message):
    competition, _teams = drawn(2, format=Competition.Format.ROUND_ROBIN, discipline="乒乓球")
    match = competition.matches.get()
    before = snapshot(match)
    with pytest.raises(ResultError, match=re.escape(message)):
        record(staff_user, match, home, away, **kwargs)
    assert snapshot(match) == before
    assert not AuditEntry.objects.filter(action="match.result").exists()
    assert not competition.placings.exists()


def test_a_result_needs_a_scheduled_match_with_both_teams(staff_user):
    competition, _teams = drawn(3, schedule=False, format=Competition.Format.KNOCKOUT)
    bye = competition.matches.get(status=Match.Status.BYE)
    first = competition.matches.get(round_no=1, status=Match.Status.SCHEDULED)
    final = competition.matches.get(round_no=2)
    with pytest.raises(ResultError, match="not scheduled"):
        record(staff_user, first, 3, 1)
    competition.matches.update(scheduled_at=timezone.now())
    with pytest.raises(ResultError, match="not known yet"):
        record(staff_user, final, 3, 1)
    with pytest.raises(ResultError, match="no result"):
        record(staff_user, bye, 3, 1)
    Match.objects.filter(pk=first.pk).update(status=Match.Status.CANCELLED)
    with pytest.raises(ResultError, match="no result"):
        record(staff_user, first, 3, 1)
    assert not competition.matches.filter(status=Match.Status.PLAYED).exists()


def test_a_knockout_draw_is_refused_but_a_league_draw_is_fine(staff_user):
    competition, _teams = drawn(2, format=Competition.Format.KNOCKOUT, discipline="拔河")
    with pytest.raises(ResultError, match="knockout match cannot end level"):
        record(staff_user, competition.matches.get(), 1, 1)
    league, _teams = drawn(2, format=Competition.Format.ROUND_ROBIN, discipline="足球")
    match = record(staff_user, league.matches.get(), 1, 1)
    assert match.status == Match.Status.PLAYED and match.winner_id is None


def test_good_set_scores_are_stored(staff_user):
    competition, teams = drawn(2, format=Competition.Format.ROUND_ROBIN, discipline="乒乓球")
    match = competition.matches.get()
    sets = [[11, 7], [9, 11], [13, 11], [11, 0]]
    record(staff_user, match, 3, 1, detail={"sets": sets, "note": "精彩"})
    match.refresh_from_db()
    assert match.detail == {"sets": sets, "note": "精彩"}
    assert match.winner_id == match.home_id
    entry = AuditEntry.objects.get(action="match.result")
    assert entry.changes["old"]["home_score"] is None
    assert entry.changes["new"] == {
        "status": "played",
        "home_score": 3,
        "away_score": 1,
        "winner": match.home_id,
        "detail": {"sets": sets, "note": "精彩"},
    }


@pytest.mark.parametrize(
    ("discipline", "sets", "ok"),
    [
        ("羽毛球", [[21, 19], [30, 29]], True),
        ("羽毛球", [[21, 19], [30, 28]], True),
        ("羽毛球", [[21, 19], [31, 29]], False),
        ("羽毛球", [[21, 20], [21, 5]], False),
        ("排球", [[25, 20], [20, 25], [25, 23], [23, 25], [15, 13]], True),
        ("排球", [[25, 20], [20, 25], [15, 13]], True),
        ("排球", [[25, 20], [15, 13]], False),
        ("乒乓球", [[11, 9], [12, 10]], True),
        ("气排球", [[21, 18], [21, 15]], True),
        ("门球", [[5, 3], [4, 2]], True),
    ],
)
def test_set_rules_by_discipline(discipline, sets, ok):
    competition = CompetitionFactory.build(discipline=discipline, name="比赛")
    home = sum(a > b for a, b in sets)
    away = len(sets) - home
    if ok:
        assert validate_sets(sets, home_score=home, away_score=away, rule=set_rule_for(competition)) == sets
    else:
        with pytest.raises(ResultError):
            validate_sets(sets, home_score=home, away_score=away, rule=set_rule_for(competition))


def test_walkover(staff_user):
    competition, teams = drawn(2, format=Competition.Format.KNOCKOUT)
    match = competition.matches.get()
    record(staff_user, match, None, None, walkover_winner=match.away)
    match.refresh_from_db()
    assert (match.status, match.home_score, match.away_score) == (Match.Status.WALKOVER, 0, 1)
    assert match.winner_id == match.away_id and match.detail == {"walkover": True}
    with pytest.raises(ResultError, match="higher score"):
        record(staff_user, match, 3, 0, walkover_winner=match.away)


# --- Knockout advancement ------------------------------------------------------------------------------------------


def test_knockout_winners_and_semi_final_losers_move_on(staff_user):
    competition, teams = drawn(4, format=Competition.Format.KNOCKOUT, third_place_match=True)
    semis = list(competition.matches.filter(stage=Match.Stage.KNOCKOUT, round_no=1).order_by("slot"))
    final = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=2)
    third = competition.matches.get(stage=Match.Stage.THIRD_PLACE)
    record(staff_user, semis[0], 3, 0)
    record(staff_user, semis[1], 1, 3)
    final.refresh_from_db()
    third.refresh_from_db()
    assert (final.home_id, final.away_id) == (semis[0].home_id, semis[1].away_id)
    assert (third.home_id, third.away_id) == (semis[0].away_id, semis[1].home_id)

    record(staff_user, final, 2, 3)
    record(staff_user, third, 3, 2)
    places = dict(competition.placings.values_list("team_id", "place"))
    assert places == {
        semis[1].away_id: 1,
        semis[0].home_id: 2,
        semis[0].away_id: 3,
        semis[1].home_id: 4,
    }


def test_a_corrected_result_moves_the_new_winner_on(staff_user):
    competition, teams = drawn(4, format=Competition.Format.KNOCKOUT, third_place_match=True)
    semi = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=1, slot=0)
    final = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=2)
    third = competition.matches.get(stage=Match.Stage.THIRD_PLACE)
    record(staff_user, semi, 3, 1)
    record(staff_user, semi, 1, 3)  # the referee swapped the scores
    final.refresh_from_db()
    third.refresh_from_db()
    assert final.home_id == semi.away_id
    assert third.home_id == semi.home_id
    assert AuditEntry.objects.filter(action="match.result", object_id=str(semi.pk)).count() == 2


def test_a_correction_that_would_rewrite_a_played_match_is_refused(staff_user):
    competition, teams = drawn(4, format=Competition.Format.KNOCKOUT)
    semis = list(competition.matches.filter(round_no=1).order_by("slot"))
    final = competition.matches.get(round_no=2)
    record(staff_user, semis[0], 3, 1)
    record(staff_user, semis[1], 3, 1)
    record(staff_user, final, 3, 2)
    before = snapshot(semis[0])
    with pytest.raises(ResultError, match="already has a result"):
        record(staff_user, semis[0], 1, 3)
    assert snapshot(semis[0]) == before
    final.refresh_from_db()
    assert final.home_id == semis[0].home_id
    # A correction that keeps the winner is fine.
    record(staff_user, semis[0], 3, 2)
    assert snapshot(semis[0])[2] == 2


def test_clearing_a_result_takes_the_winner_out_again(staff_user):
    competition, teams = drawn(4, format=Competition.Format.KNOCKOUT)
    semi = competition.matches.get(round_no=1, slot=0)
    final = competition.matches.get(round_no=2)
    record(staff_user, semi, 3, 1)
    match_clear_result(actor=staff_user, match=semi)
    final.refresh_from_db()
    semi.refresh_from_db()
    assert final.home_id is None
    assert (semi.status, semi.home_score, semi.winner_id) == (Match.Status.SCHEDULED, None, None)
    with pytest.raises(ResultError, match="no result to clear"):
        match_clear_result(actor=staff_user, match=semi)


def test_groups_fill_the_knockout_when_the_last_group_match_is_in(staff_user):
    competition, teams = drawn(
        8, format=Competition.Format.GROUPS_KNOCKOUT, group_count=2, advance_per_group=2, discipline="篮球"
    )
    group_matches = list(competition.matches.filter(stage=Match.Stage.GROUP).order_by("group", "round_no", "slot"))
    first_round = competition.matches.filter(stage=Match.Stage.KNOCKOUT, round_no=1)
    # The lower team id always wins, so the tables are known in advance.
    for index, match in enumerate(group_matches):
        home_wins = match.home_id < match.away_id
        record(staff_user, match, 80 if home_wins else 60, 60 if home_wins else 80)
        if index < len(group_matches) - 1:
            assert not first_round.exclude(home=None).exists()
    by_group = {}
    for team in Team.objects.filter(competition=competition):
        by_group.setdefault(team.group, []).append(team.pk)
    winners = {g: sorted(ids)[:2] for g, ids in by_group.items()}
    filled = {}
    for match in first_round:
        for side, (group, place) in match.detail["feed"].items():
            filled[group, place] = getattr(match, f"{side}_id")
    assert filled == {(g, p + 1): winners[g][p] for g in winners for p in range(2)}
    # Group A's second and third swap if the third beats the second: before the knockout starts that re-feeds it.
    second, third = sorted(by_group["A"])[1:3]
    decisive = next(m for m in group_matches if {m.home_id, m.away_id} == {second, third})
    record(staff_user, decisive, 80 if decisive.home_id == third else 60, 60 if decisive.home_id == third else 80)
    fed = first_round.get(pk__in=[m.pk for m in first_round if ["A", 2] in m.detail["feed"].values()])
    side = next(side for side, spec in fed.detail["feed"].items() if spec == ["A", 2])
    assert getattr(fed, f"{side}_id") == third
    # Once that knockout match has a result, swapping them back is refused and nothing changes.
    record(staff_user, fed, 80, 60)
    before = snapshot(decisive)
    with pytest.raises(ResultError, match="who qualified from group A"):
        record(staff_user, decisive, before[2], before[1])
    assert snapshot(decisive) == before


# --- Ranked and judged --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "note", "message"),
    [
        (Decimal("-1"), "", "cannot be negative"),
        ("abc", "", "must be a number"),
        ("NaN", "", "must be a number"),
        (Decimal("12.3456"), "", "at most 3 decimals"),
        (None, "", "note such as DNF"),
        (True, "", "must be a number"),
        (Decimal("1"), "x" * 61, "at most 60"),
    ],
)
def test_bad_ranked_results(staff_user, value, note, message):
    competition, teams = drawn(2, format=Competition.Format.RANKED)
    with pytest.raises(ResultError, match=message):
        ranked_result_record(actor=staff_user, team=teams[0], value=value, note=note)
    assert not RankedResult.objects.exists()


def test_ranked_results_are_upserted_and_audited(staff_user):
    competition, teams = drawn(2, format=Competition.Format.RANKED)
    ranked_result_record(actor=staff_user, team=teams[0], value=Decimal("12.34"), note="")
    ranked_result_record(actor=staff_user, team=teams[0], value="12.30", note="")
    ranked_result_record(actor=staff_user, team=teams[1], value=None, note="DNF")
    assert RankedResult.objects.get(team=teams[0]).value == Decimal("12.30")
    entries = AuditEntry.objects.filter(action="ranked_result.record").order_by("id")
    assert [e.changes["new"]["value"] for e in entries] == ["12.34", "12.30", None]
    assert entries[1].changes["old"]["value"] == "12.340"


def test_a_ranked_result_in_a_match_competition_is_refused(staff_user):
    competition, teams = drawn(2, format=Competition.Format.ROUND_ROBIN)
    with pytest.raises(ResultError, match="not a Ranked"):
        ranked_result_record(actor=staff_user, team=teams[0], value=1, note="")


@pytest.mark.parametrize(
    ("judge", "score", "message"),
    [
        ("", 90, "Name the judge"),
        ("张评委", 101, "above 100"),
        ("张评委", -1, "cannot be negative"),
        ("张评委", "9.555", "at most 2 decimals"),
        ("张评委", "九十", "must be a number"),
    ],
)
def test_bad_judge_scores(staff_user, judge, score, message):
    competition, teams = drawn(2, format=Competition.Format.JUDGED)
    with pytest.raises(ResultError, match=message):
        judge_score_record(actor=staff_user, team=teams[0], judge=judge, score=score)
    assert not JudgeScore.objects.exists()


def test_judge_scores_are_one_per_judge_and_team(staff_user, settings):
    competition, teams = drawn(2, format=Competition.Format.JUDGED)
    judge_score_record(actor=staff_user, team=teams[0], judge="李评委", score="91.5")
    judge_score_record(actor=staff_user, team=teams[0], judge=" 李评委 ", score="92")
    assert list(JudgeScore.objects.values_list("judge", "score")) == [("李评委", Decimal("92.00"))]
    settings.ACTIVITIES_JUDGE_SCORE_MAX = 10
    with pytest.raises(ResultError, match="above 10"):
        judge_score_record(actor=staff_user, team=teams[1], judge="李评委", score=11)


# --- Who may enter results ----------------------------------------------------------------------------------------


def test_referees_of_the_competition_may_enter_results_and_nobody_else(cadre):
    competition, teams = drawn(2, format=Competition.Format.ROUND_ROBIN)
    other, _ = drawn(2, format=Competition.Format.ROUND_ROBIN)
    referee = UserFactory()
    competition.referees.add(referee)
    other_referee = UserFactory()
    other.referees.add(other_referee)
    match = competition.matches.get()
    for outsider in (cadre.user, other_referee):
        with pytest.raises(NotPermitted):
            record(outsider, match, 3, 0)
    assert snapshot(match)[0] == Match.Status.SCHEDULED
    record(referee, match, 3, 0)
    assert AuditEntry.objects.get(action="match.result").actor == referee
    with pytest.raises(NotPermitted):
        competition_publish_results(actor=referee, competition=competition)


def test_publishing_results(staff_user):
    competition, _teams = drawn(2, format=Competition.Format.ROUND_ROBIN)
    # Publishing needs a result to publish (issue 7, item 9; tests/activities/test_admin_services.py).
    record(staff_user, competition.matches.get(), 3, 0)
    competition_publish_results(actor=staff_user, competition=competition)
    competition.refresh_from_db()
    assert competition.results_published
    competition_publish_results(actor=staff_user, competition=competition)
    competition_publish_results(actor=staff_user, competition=competition, published=False)
    competition.refresh_from_db()
    assert not competition.results_published
    actions = list(AuditEntry.objects.filter(object_type="activities.competition").values_list("action", flat=True))
    assert sorted(a for a in actions if "publish" in a) == [
        "competition.publish_results",
        "competition.unpublish_results",
    ]

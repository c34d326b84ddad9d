"""Unpublished results do not leak through automatic advancement: while a competition's results are held back,
the teams a result moved on (a knockout winner, a semi-final loser in the third-place match, a group qualifier)
show as placeholders to everyone but committee staff, on the fixtures, the bracket, the public and private
iCalendar feeds and a cadre's own schedule; the page cache never serves a staff body to the public."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from activities.ics import match_event
from activities.models import CalendarToken, Competition, Match
from activities.services.fixtures import fixtures_generate
from activities.services.results import competition_publish_results, match_record_result
from tests.activities.factories import CompetitionFactory, TeamFactory
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def log_out(client):
    # Logging out clears the client's cookies, the language one with them.
    client.logout()
    client.cookies["django_language"] = "en"


def unfolded(body: str) -> str:
    return body.replace("\r\n ", "")


def knockout(staff_user, *, third_place=False, names=("甲局", "乙局", "丙局", "丁局")):
    competition = CompetitionFactory(format=Competition.Format.KNOCKOUT, third_place_match=third_place)
    teams = [
        TeamFactory(competition=competition, unit=UnitFactory(name=name, short_name=name), place_no=i + 1, seed=i + 1)
        for i, name in enumerate(names)
    ]
    fixtures_generate(actor=staff_user, competition=competition)
    Match.objects.filter(competition=competition).update(scheduled_at=timezone.now() + timedelta(days=1))
    return competition, teams


def win_first_semi_final(staff_user, competition):
    """The home team of the first semi-final wins it; returns (winner, loser, final)."""
    semi = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=1, slot=0)
    match_record_result(actor=staff_user, match=semi, home_score=3, away_score=1)
    final = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=2)
    assert final.home_id == semi.home_id  # the service moved the winner on
    return semi.home, semi.away, final


def block(html: str, testid: str) -> str:
    """The markup from an element with this data-testid to the next match element."""
    start = html.index(f'data-testid="{testid}"')
    following = re.search(r'data-testid="(bracket-)?match-\d+"', html[start + 20 :])
    return html[start : start + 20 + following.start()] if following else html[start:]


def test_fixtures_and_bracket_hide_the_winner_until_published(english, staff_user):
    competition, _teams = knockout(staff_user)
    winner, _loser, final = win_first_semi_final(staff_user, competition)
    fixtures = reverse("activities:competition_detail", args=[competition.pk])
    bracket = reverse("activities:competition_bracket", args=[competition.pk])

    # Staff first, so that a cached staff body would be what the public gets next.
    english.force_login(staff_user)
    staff_final = block(english.get(fixtures, {"round": 2}).content.decode(), f"match-{final.pk}")
    assert winner.unit.short_name in staff_final
    assert winner.unit.short_name in block(english.get(bracket).content.decode(), f"bracket-match-{final.pk}")
    log_out(english)

    public_final = block(english.get(fixtures, {"round": 2}).content.decode(), f"match-{final.pk}")
    assert winner.unit.short_name not in public_final
    assert "Winner of Semi-finals match 1" in public_final
    public_bracket = block(english.get(bracket).content.decode(), f"bracket-match-{final.pk}")
    assert winner.unit.short_name not in public_bracket and "Winner of Semi-finals match 1" in public_bracket

    competition_publish_results(actor=staff_user, competition=competition)
    public_final = block(english.get(fixtures, {"round": 2}).content.decode(), f"match-{final.pk}")
    assert winner.unit.short_name in public_final and "Winner of" not in public_final


def test_the_draw_itself_is_not_hidden(english, staff_user):
    # Five teams: the top seeds get byes, and a bye moves its team on without any result.
    competition, teams = knockout(staff_user, names=("甲局", "乙局", "丙局", "丁局", "戊局"))
    html = english.get(reverse("activities:competition_bracket", args=[competition.pk])).content.decode()
    second_round = competition.matches.filter(stage=Match.Stage.KNOCKOUT, round_no=2)
    shown = "".join(block(html, f"bracket-match-{m.pk}") for m in second_round)
    bye_teams = [m.home for m in competition.matches.filter(status=Match.Status.BYE)]
    assert bye_teams and all(team.unit.short_name in shown for team in bye_teams)
    # Round 1 shows every drawn team.
    assert all(team.unit.short_name in html for team in teams)


def test_third_place_match_hides_the_semi_final_loser(english, staff_user):
    competition, _teams = knockout(staff_user, third_place=True)
    _winner, loser, _final = win_first_semi_final(staff_user, competition)
    third = competition.matches.get(stage=Match.Stage.THIRD_PLACE)
    assert third.home_id == loser.pk
    html = english.get(reverse("activities:competition_bracket", args=[competition.pk])).content.decode()
    shown = block(html, f"match-{third.pk}")
    assert loser.unit.short_name not in shown and "Loser of Semi-finals match 1" in shown


def test_group_qualifiers_are_hidden_until_published(english, staff_user):
    competition = CompetitionFactory(format=Competition.Format.GROUPS_KNOCKOUT, group_count=2, advance_per_group=1)
    names = ("甲局", "乙局", "丙局", "丁局")
    for i, name in enumerate(names):
        TeamFactory(competition=competition, unit=UnitFactory(name=name, short_name=name), place_no=i + 1)
    fixtures_generate(actor=staff_user, competition=competition)
    Match.objects.filter(competition=competition).update(scheduled_at=timezone.now() + timedelta(days=1))
    for match in competition.matches.filter(stage=Match.Stage.GROUP):
        match_record_result(actor=staff_user, match=match, home_score=2, away_score=0)
    final = competition.matches.get(stage=Match.Stage.KNOCKOUT)
    assert final.home_id and final.away_id  # the group tables filled the final
    html = english.get(reverse("activities:competition_bracket", args=[competition.pk])).content.decode()
    shown = block(html, f"bracket-match-{final.pk}")
    assert not any(name in shown for name in names)
    assert "Group A, place 1" in shown and "Group B, place 1" in shown


def test_public_calendar_feed_hides_the_winner(english, staff_user):
    competition, _teams = knockout(staff_user)
    winner, _loser, _final = win_first_semi_final(staff_user, competition)
    url = reverse("activities:competition_ics", args=[competition.pk])
    english.force_login(staff_user)
    assert unfolded(english.get(url).content.decode()).count(winner.name) == 2  # semi-final and final
    log_out(english)
    body = unfolded(english.get(url).content.decode())
    assert body.count(winner.name) == 1 and "Winner of Semi-finals match 1" in body
    competition_publish_results(actor=staff_user, competition=competition)
    assert unfolded(english.get(url).content.decode()).count(winner.name) == 2


def test_cadre_schedule_and_private_feed_follow_the_same_rule(english, staff_user):
    competition, _teams = knockout(staff_user)
    winner, _loser, final = win_first_semi_final(staff_user, competition)
    # A cadre of the other semi-final: their final opponent is not known to them before publication.
    other_semi = competition.matches.get(stage=Match.Stage.KNOCKOUT, round_no=1, slot=1)
    match_record_result(actor=staff_user, match=other_semi, home_score=3, away_score=0)
    cadre = other_semi.home.members.first().cadre
    english.force_login(cadre.user)
    html = english.get(reverse("activities:my_schedule")).content.decode()
    shown = block(html, f"schedule-match-{final.pk}")
    assert winner.unit.short_name not in shown and "Winner of Semi-finals match 1" in shown
    token = CalendarToken.objects.create(cadre=cadre)
    feed = english.get(reverse("activities:cadre_ics", args=[token.token])).content.decode()
    assert winner.name not in unfolded(feed) and "Winner of Semi-finals match 1" in unfolded(feed)


def test_match_event_conceals_on_its_own(staff_user, english):
    # A caller that forgot to conceal still gets the public rule: the feed cannot leak by omission.
    competition, _teams = knockout(staff_user)
    winner, _loser, final = win_first_semi_final(staff_user, competition)
    final = Match.objects.select_related("competition__activity", "home", "away").get(pk=final.pk)
    from django.utils import translation

    with translation.override("en"):
        event = match_event(final, competition_url="https://example.org/")
    assert winner.name not in event.summary and "Winner of Semi-finals match 1" in event.summary

"""Referee pages: who may see them (everyone else gets a 404), entering results from a phone, bounded queries."""

from datetime import timedelta

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.forms.results import parse_sets
from activities.models import Competition, Match
from activities.services.fixtures import fixtures_generate
from portal.models import AuditEntry
from tests.activities.factories import CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UserFactory

pytestmark = pytest.mark.django_db


def drawn(staff, count=4, **kwargs):
    kwargs.setdefault("discipline", "乒乓球")
    competition = CompetitionFactory(format=Competition.Format.ROUND_ROBIN, **kwargs)
    for i in range(count):
        TeamFactory(competition=competition, place_no=i + 1)
    fixtures_generate(actor=staff, competition=competition)
    competition.matches.update(scheduled_at=timezone.now() + timedelta(hours=2), court="1号台")
    return competition


@pytest.fixture
def setup(staff_user):
    competition = drawn(staff_user)
    other = drawn(staff_user)
    referee = CadreFactory().user
    competition.referees.add(referee)
    other_referee = CadreFactory().user
    other.referees.add(other_referee)
    return {
        "competition": competition,
        "match": competition.matches.first(),
        "referee": referee,
        "other_referee": other_referee,
    }


def urls(setup):
    return {
        "home": reverse("activities:referee_home"),
        "competition": reverse("activities:referee_competition", args=[setup["competition"].pk]),
        "match": reverse("activities:referee_match", args=[setup["match"].pk]),
    }


# Who may GET each page (a referee of another competition included): tests/test_permission_matrix.py.


def test_a_forged_post_from_another_referee_is_a_404_and_saves_nothing(client, setup):
    client.force_login(setup["other_referee"])
    response = client.post(urls(setup)["match"], {"home_score": 3, "away_score": 0, "sets": "11:1, 11:1, 11:1"})
    assert response.status_code == 404
    setup["match"].refresh_from_db()
    assert setup["match"].status == Match.Status.SCHEDULED


def test_the_home_lists_only_the_referees_competitions(client, setup):
    client.force_login(setup["referee"])
    response = client.get(urls(setup)["home"])
    assert [c.pk for c in response.context["competitions"]] == [setup["competition"].pk]
    assert response.context["competitions"][0].to_play == 6


def test_a_referee_enters_a_result_with_set_scores(client, setup):
    client.force_login(setup["referee"])
    match = setup["match"]
    response = client.post(
        urls(setup)["match"], {"home_score": "3", "away_score": "1", "sets": "11:7，9:11 ; 11 : 5 12-10"}
    )
    assert response.status_code == 302
    assert response["Location"] == urls(setup)["competition"]
    match.refresh_from_db()
    assert (match.status, match.home_score, match.away_score) == (Match.Status.PLAYED, 3, 1)
    assert match.detail["sets"] == [[11, 7], [9, 11], [11, 5], [12, 10]]
    assert AuditEntry.objects.get(action="match.result").actor == setup["referee"]
    # The match now shows under "with results", not "to play".
    page = client.get(urls(setup)["competition"], {"show": "done"})
    assert [m.pk for m in page.context["matches"]] == [match.pk]
    assert "11:7, 9:11, 11:5, 12:10" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"home_score": "3", "away_score": "1", "sets": "11:7, 11:5"}, "give 2:0 in sets"),
        ({"home_score": "3", "away_score": "0", "sets": "11 7"}, "Cannot read the set score"),
        ({"home_score": "-1", "away_score": "3"}, "greater than or equal to 0"),
        ({"home_score": "abc", "away_score": "3"}, "whole number"),
        ({"home_score": "2", "away_score": "2"}, "cannot end level"),
        ({"home_score": "", "away_score": "3"}, "Enter the score"),
        ({"home_score": "3", "away_score": "0", "sets": "11:10, 11:3, 11:4"}, "not a possible"),
    ],
)
def test_bad_input_shows_an_error_and_saves_nothing(client, setup, data, error):
    client.cookies["django_language"] = "en"
    client.force_login(setup["referee"])
    response = client.post(urls(setup)["match"], data)
    assert response.status_code == 200
    assert error in response.content.decode()
    setup["match"].refresh_from_db()
    assert setup["match"].status == Match.Status.SCHEDULED
    assert not AuditEntry.objects.filter(action="match.result").exists()


def test_a_walkover_from_the_form(client, setup):
    client.force_login(setup["referee"])
    match = setup["match"]
    response = client.post(urls(setup)["match"], {"walkover": "away", "home_score": "", "away_score": ""})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == Match.Status.WALKOVER and match.winner_id == match.away_id


def test_an_unscheduled_match_shows_why_it_cannot_take_a_result(client, setup):
    Match.objects.filter(pk=setup["match"].pk).update(scheduled_at=None)
    client.force_login(setup["referee"])
    page = client.get(urls(setup)["match"])
    assert page.context["ready"] is False
    response = client.post(urls(setup)["match"], {"home_score": "3", "away_score": "0"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


@pytest.mark.parametrize(
    ("text", "sets"),
    [
        ("", []),
        ("11:7, 9:11, 11:5", [[11, 7], [9, 11], [11, 5]]),
        ("11：7，9：11", [[11, 7], [9, 11]]),
        ("21-19 / 30-29", [[21, 19], [30, 29]]),
        ("11比9、11比3", [[11, 9], [11, 3]]),
    ],
)
def test_parse_sets(text, sets):
    assert parse_sets(text) == sets


@pytest.mark.parametrize("text", ["11:", "eleven:7", "11:7:3", "111:7", "11;7"])
def test_parse_sets_refuses_what_it_cannot_read(text):
    with pytest.raises(forms.ValidationError):
        parse_sets(text)


def count_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_referee_pages_run_a_fixed_number_of_queries(client, staff_user):
    small, large = drawn(staff_user, 4), drawn(staff_user, 16)
    client.force_login(staff_user)
    home = reverse("activities:referee_home")
    before = count_queries(client, home)
    page = {c: reverse("activities:referee_competition", args=[c.pk]) for c in (small, large)}
    assert count_queries(client, page[small], show="all") == count_queries(client, page[large], show="all")
    match_page = {c: reverse("activities:referee_match", args=[c.matches.first().pk]) for c in (small, large)}
    assert count_queries(client, match_page[small]) == count_queries(client, match_page[large])
    drawn(staff_user, 8)
    assert count_queries(client, home) == before <= 10


def test_a_user_without_a_cadre_record_can_referee(client, setup):
    official = UserFactory()
    setup["competition"].referees.add(official)
    client.force_login(official)
    assert client.get(urls(setup)["match"]).status_code == 200

"""The busiest pages serve from versioned caches: each change shows at once, nobody gets another person's part,
and the competition calendar feed answers conditional requests without rebuilding for a score entered."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Match
from portal.services import cadres_set_active
from tests.activities.factories import ActivityFactory, CompetitionFactory, MatchFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db


def queries(client, url, **params):
    """The number of queries of a GET and its HTML without the CSRF tokens (masked afresh in every response)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), re.sub(
        r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", response.content.decode()
    )


# ---------------------------------------------------------------------------------------------------- unit page


def test_unit_page_from_the_cache_shows_every_change_at_once(client, unit, liaison, staff_user):
    member = CadreFactory(unit=unit, name="王小明")
    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", args=[unit.pk])
    cold, html = queries(client, url)
    warm, again = queries(client, url)
    assert warm < cold and again == html
    assert warm <= 4  # session, user, roles with the cadre, the unit with its cadres' version
    member.name = "王大明"
    member.save()
    assert "王大明" in client.get(url).content.decode()
    cadres_set_active(actor=staff_user, cadres=[member], active=False)  # a bulk UPDATE: no updated_at
    row = re.search(r"王大明.*?</tr>", client.get(url).content.decode(), re.S).group(0)
    assert "text-body-secondary" in row  # shown as inactive
    CadreFactory(unit=unit, name="新来的")
    assert "新来的" in client.get(url).content.decode()


def test_unit_page_cache_never_opens_the_page_to_someone_else(client, unit, liaison, other_liaison):
    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", args=[unit.pk])
    assert client.get(url).status_code == 200
    client.force_login(other_liaison.user)
    assert client.get(url).status_code == 404


def test_unit_page_search_and_filters_are_right_after_caching(client, unit, liaison):
    CadreFactory(unit=unit, name="赵一")
    CadreFactory(unit=unit, name="钱二", is_active=False)
    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", args=[unit.pk])
    client.get(url)
    assert "钱二" not in client.get(url, {"active": "1"}).content.decode()
    assert "赵一" not in client.get(url, {"active": "0"}).content.decode()
    found = client.get(url, {"q": "赵"}).content.decode()
    assert "赵一" in found and "钱二" not in found


# ----------------------------------------------------------------------------------------------- activities list


def test_activity_list_from_the_cache_shows_new_and_changed_activities(client):
    first = ActivityFactory(title="秋季运动会")
    url = reverse("activities:activity_list")
    cold, html = queries(client, url)
    warm, again = queries(client, url)
    assert "秋季运动会" in html and again == html
    assert warm == 1  # the list's version; anonymous: no session, no roles
    ActivityFactory(title="读书分享会")
    assert "读书分享会" in client.get(url).content.decode()
    Activity.objects.filter(pk=first.pk).update(status=Activity.Status.CANCELLED)  # no updated_at
    html = client.get(url).content.decode()
    card = re.search(rf'data-testid="activity-{first.pk}".*?</a>', html, re.S).group(0)
    assert "text-bg-danger" in card
    Activity.objects.filter(pk=first.pk).update(status=Activity.Status.DRAFT)
    assert "秋季运动会" not in client.get(url).content.decode()


def test_activity_list_unit_filter_follows_teams_and_units(client):
    unit = UnitFactory(short_name="财政局")
    competition = CompetitionFactory(activity=ActivityFactory(title="乒乓球赛"))
    url = reverse("activities:activity_list")
    html = client.get(url).content.decode()
    assert f'<option value="{unit.pk}">财政局</option>' in html
    assert "乒乓球赛" not in client.get(url, {"unit": unit.pk}).content.decode()
    TeamFactory(competition=competition, unit=unit, members=0)
    assert "乒乓球赛" in client.get(url, {"unit": unit.pk}).content.decode()
    assert f'<option value="{unit.pk}" selected>财政局</option>' in client.get(url, {"unit": unit.pk}).content.decode()
    unit.short_name = "财政部门"
    unit.save()
    assert "财政部门</option>" in client.get(url).content.decode()


def test_activity_list_search_and_bad_filters_render_fresh(client):
    ActivityFactory(title="羽毛球赛")
    url = reverse("activities:activity_list")
    assert "羽毛球赛" in client.get(url, {"q": "羽毛"}).content.decode()
    html = client.get(url, {"month": "2026-13", "kind": "nope"}).content.decode()
    assert "is-invalid" in html


# --------------------------------------------------------------------------------------------------- my schedule


def test_my_schedule_is_cached_per_cadre_and_follows_changes(client, cadre, unit):
    team = TeamFactory(unit=unit, members=[cadre])
    now = timezone.now()
    match = MatchFactory(competition=team.competition, home=team, scheduled_at=now + timedelta(days=2), venue="一号馆")
    url = reverse("activities:my_schedule")
    client.force_login(cadre.user)
    cold, html = queries(client, url)
    warm, again = queries(client, url)
    assert "一号馆" in html and again == html and warm <= 4
    match.venue = "二号馆"
    match.save()
    assert "二号馆" in client.get(url).content.decode()
    other = CadreFactory(unit=unit)
    client.force_login(other.user)
    assert "二号馆" not in client.get(url).content.decode()


def test_my_schedule_moves_a_match_to_the_past_when_it_is_over(client, cadre, unit):
    team = TeamFactory(unit=unit, members=[cadre])
    match = MatchFactory(competition=team.competition, home=team, scheduled_at=timezone.now() + timedelta(days=1))
    client.force_login(cadre.user)
    url = reverse("activities:my_schedule")
    assert 'data-testid="schedule-upcoming"' in client.get(url).content.decode()
    Match.objects.filter(pk=match.pk).update(
        scheduled_at=timezone.now() - timedelta(hours=3), updated_at=match.updated_at
    )
    html = client.get(url).content.decode()
    assert 'data-testid="schedule-past"' in html and 'data-testid="schedule-upcoming"' not in html


# ------------------------------------------------------------------------------------------ competition feed (ics)


def _league(results_published=True):
    competition = CompetitionFactory(results_published=results_published)
    teams = [TeamFactory(competition=competition, members=0) for _ in range(4)]
    start = timezone.now() + timedelta(days=1)
    matches = [
        MatchFactory(competition=competition, home=teams[i], away=teams[j], scheduled_at=start + timedelta(hours=n))
        for n, (i, j) in enumerate([(0, 1), (2, 3), (0, 2)])
    ]
    return competition, matches


def test_feed_answers_conditional_requests_with_304(client):
    competition, _ = _league()
    url = reverse("activities:competition_ics", args=[competition.pk])
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert len(captured) == 1  # the competition's state
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_result_entered_keeps_the_feed_a_time_changed_renews_it(client):
    competition, matches = _league()
    url = reverse("activities:competition_ics", args=[competition.pk])
    first = client.get(url)
    played = matches[0]
    played.status, played.home_score, played.away_score, played.winner = (Match.Status.PLAYED, 3, 1, played.home)
    played.save()
    after_result = client.get(url)
    assert after_result["ETag"] == first["ETag"] and after_result.content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    played.scheduled_at += timedelta(hours=5)
    played.save()
    moved = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert moved.status_code == 200 and moved["ETag"] != first["ETag"]
    assert played.scheduled_at.strftime("%Y%m%d") in moved.content.decode()


def test_feed_of_hidden_results_follows_every_change(client):
    competition, matches = _league(results_published=False)
    url = reverse("activities:competition_ics", args=[competition.pk])
    first = client.get(url)
    played = matches[0]
    played.status, played.home_score, played.away_score, played.winner = (Match.Status.PLAYED, 3, 1, played.home)
    played.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_unit_page_follows_a_cadre_moved_to_another_unit(client, unit, other_unit, liaison, other_liaison):
    mover = CadreFactory(unit=unit, name="调动者")
    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", args=[unit.pk])
    assert "调动者" in client.get(url).content.decode()
    client.force_login(other_liaison.user)
    other_url = reverse("portal:unit_detail", args=[other_unit.pk])
    assert "调动者" not in client.get(other_url).content.decode()
    mover.unit = other_unit
    mover.save()
    assert "调动者" in client.get(other_url).content.decode()
    client.force_login(liaison.user)
    assert "调动者" not in client.get(url).content.decode()


def test_private_feed_answers_304_until_something_in_it_changes(client, cadre, unit):
    from activities.models import CalendarToken

    team = TeamFactory(unit=unit, members=[cadre])
    match = MatchFactory(competition=team.competition, home=team, scheduled_at=timezone.now() + timedelta(days=1))
    url = reverse("activities:cadre_ics", args=[CalendarToken.objects.create(cadre=cadre).token])
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    match.away.name = "改名的队"
    match.away.save()
    renamed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert renamed.status_code == 200 and "改名的队" in renamed.content.decode()

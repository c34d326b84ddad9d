"""A cadre's "my schedule" and calendar-link pages: only their own matches and sign-ups, in time order."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.ics import calendar_token_regenerate
from activities.models import Activity, CalendarToken, Match, Registration, TeamMember
from portal.errors import NotPermitted
from portal.models import AuditEntry
from tests.activities.factories import ActivityFactory, CompetitionFactory, MatchFactory, TeamFactory
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "cadre", "liaison", "other_liaison", "staff", "leader"]
CADRES_ONLY = {"anonymous": 302, "cadre": 200, "liaison": 200, "other_liaison": 200, "staff": 404, "leader": 404}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", ["activities:my_schedule", "activities:my_calendar"])
def test_permission_matrix(client, role_users, url_name, role):
    if role_users[role] is not None:
        client.force_login(role_users[role])
    response = client.get(reverse(url_name))
    assert response.status_code == CADRES_ONLY[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def _team_with(cadre, competition=None, **kwargs):
    return TeamFactory(competition=competition or CompetitionFactory(**kwargs), unit=cadre.unit, members=[cadre])


def _match(team, *, at, home=True, **kwargs):
    opponent = TeamFactory(competition=team.competition, members=0)
    sides = {"home": team, "away": opponent} if home else {"home": opponent, "away": team}
    return MatchFactory(competition=team.competition, scheduled_at=at, **sides, **kwargs)


def _ids(html, kind):
    return [int(pk) for pk in re.findall(rf'data-testid="schedule-{kind}-(\d+)"', html)]


def test_my_schedule_merges_my_matches_and_sign_ups_in_time_order(client, cadre):
    now = timezone.now()
    team = _team_with(cadre, venue="")
    soon = _match(team, at=now + timedelta(days=1), venue="一号馆", court="3号台")
    later_away = _match(team, at=now + timedelta(days=5), home=False, venue="二号馆")
    past = _match(team, at=now - timedelta(days=3), venue="三号馆")
    untimed = _match(team, at=None)
    lecture = ActivityFactory(
        title="读书讲座", venue="图书馆", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2)
    )
    confirmed = Registration.objects.create(activity=lecture, cadre=cadre, status=Registration.Status.CONFIRMED)
    waiting_activity = ActivityFactory(starts_at=now + timedelta(days=9))
    waiting = Registration.objects.create(activity=waiting_activity, cadre=cadre, status=Registration.Status.WAITLISTED)
    Registration.objects.create(activity=ActivityFactory(), cadre=cadre, status=Registration.Status.CANCELLED)
    client.force_login(cadre.user)
    html = client.get(reverse("activities:my_schedule")).content.decode()

    upcoming = html.split('data-testid="schedule-upcoming"')[1].split('data-testid="schedule-unscheduled"')[0]
    order = re.findall(r'data-testid="schedule-(match|registration)-(\d+)"', upcoming)
    assert order == [
        ("match", str(soon.pk)),
        ("registration", str(confirmed.pk)),
        ("match", str(later_away.pk)),
        ("registration", str(waiting.pk)),
    ]
    assert "一号馆 · 3号台" in upcoming
    assert "二号馆" in upcoming and "图书馆" in upcoming
    unscheduled = html.split('data-testid="schedule-unscheduled"')[1].split('data-testid="schedule-past"')[0]
    assert _ids(unscheduled, "match") == [untimed.pk]
    assert _ids(html.split('data-testid="schedule-past"')[1], "match") == [past.pk]
    assert len(_ids(html, "registration")) == 2, "the cancelled sign-up is not listed"


def test_my_schedule_never_shows_another_cadres_matches_or_drafts(client, cadre, unit):
    now = timezone.now()
    colleague = CadreFactory(unit=unit)
    theirs = _match(_team_with(colleague), at=now + timedelta(days=1))
    their_signup = Registration.objects.create(
        activity=ActivityFactory(), cadre=colleague, status=Registration.Status.CONFIRMED
    )
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    hidden = _match(_team_with(cadre, competition=CompetitionFactory(activity=draft)), at=now + timedelta(days=2))
    draft_signup = Registration.objects.create(activity=draft, cadre=cadre, status=Registration.Status.CONFIRMED)
    bye_team = _team_with(cadre)
    bye = MatchFactory(competition=bye_team.competition, home=bye_team, away=None, status=Match.Status.BYE)
    client.force_login(cadre.user)
    html = client.get(reverse("activities:my_schedule")).content.decode()
    assert 'data-testid="schedule-empty"' in html
    for pk in (theirs.pk, hidden.pk, bye.pk):
        assert f'data-testid="schedule-match-{pk}"' not in html
    for pk in (their_signup.pk, draft_signup.pk):
        assert f'data-testid="schedule-registration-{pk}"' not in html


def test_scores_on_my_schedule_only_once_published(client, cadre):
    team = _team_with(cadre, results_published=False)
    match = _match(team, at=timezone.now() - timedelta(days=1), status=Match.Status.PLAYED, home_score=3, away_score=1)
    client.force_login(cadre.user)
    url = reverse("activities:my_schedule")
    assert "3 : 1" not in client.get(url).content.decode()
    match.competition.results_published = True
    match.competition.save()
    assert "3 : 1" in client.get(url).content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_schedule_runs_the_same_queries_for_2_and_40_matches(client, cadre):
    now = timezone.now()
    url = reverse("activities:my_schedule")
    client.force_login(cadre.user)
    team = _team_with(cadre)
    for day in range(2):
        _match(team, at=now + timedelta(days=day))
    Registration.objects.create(activity=ActivityFactory(), cadre=cadre, status=Registration.Status.CONFIRMED)
    few = _count(client, url)
    for n in range(38):
        other_team = team if n % 2 else _team_with(cadre)
        _match(other_team, at=now + timedelta(days=n - 10), home=n % 3 == 0)
    for _ in range(5):
        Registration.objects.create(activity=ActivityFactory(), cadre=cadre, status=Registration.Status.CONFIRMED)
    assert TeamMember.objects.filter(cadre=cadre).count() > 10
    assert _count(client, url) == few


# ---------------------------------------------------------------------------------------------------- calendar link


def test_calendar_page_creates_then_regenerates_the_link(client, cadre):
    client.force_login(cadre.user)
    url = reverse("activities:my_calendar")
    html = client.get(url).content.decode()
    assert 'data-testid="create-link"' in html
    assert not CalendarToken.objects.filter(cadre=cadre).exists()

    assert client.post(url).status_code == 302
    first = CalendarToken.objects.get(cadre=cadre).token
    html = client.get(url).content.decode()
    assert f"/activities/ics/{first}.ics" in html
    assert f"webcal://testserver/activities/ics/{first}.ics" in html
    assert client.get(reverse("activities:cadre_ics", args=[first])).status_code == 200

    client.post(url)
    second = CalendarToken.objects.get(cadre=cadre).token
    assert second != first
    assert client.get(reverse("activities:cadre_ics", args=[first])).status_code == 404
    assert client.get(reverse("activities:cadre_ics", args=[second])).status_code == 200
    entries = AuditEntry.objects.filter(action__startswith="calendar_token.").order_by("id")
    assert [entry.action for entry in entries] == ["calendar_token.create", "calendar_token.regenerate"]
    # The token is a secret: the audit trail records that it changed, never its value.
    for entry in entries:
        assert first not in str(entry.changes) and second not in str(entry.changes)


def test_calendar_page_shows_only_my_own_link(client, cadre, unit):
    colleague = CadreFactory(unit=unit)
    theirs = CalendarToken.objects.create(cadre=colleague)
    client.force_login(cadre.user)
    assert theirs.token not in client.get(reverse("activities:my_calendar")).content.decode()


def test_nobody_regenerates_another_cadres_link(cadre, unit, staff_user):
    colleague = CadreFactory(unit=unit)
    token = CalendarToken.objects.create(cadre=colleague)
    with pytest.raises(NotPermitted):
        calendar_token_regenerate(actor=cadre.user, cadre=colleague)
    assert CalendarToken.objects.get(cadre=colleague).token == token.token
    # Committee staff may revoke a leaked link for someone.
    calendar_token_regenerate(actor=staff_user, cadre=colleague)
    assert CalendarToken.objects.get(cadre=colleague).token != token.token


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_cadre_pages_render_in_both_languages(client, cadre, language):
    _match(_team_with(cadre), at=timezone.now() + timedelta(days=1))
    CalendarToken.objects.create(cadre=cadre)
    client.force_login(cadre.user)
    client.cookies["django_language"] = language
    for name in ("activities:my_schedule", "activities:my_calendar"):
        html = client.get(reverse(name)).content.decode()
        assert f'<html lang="{language}">' in html
        assert ("Log out" in html) == (language == "en")

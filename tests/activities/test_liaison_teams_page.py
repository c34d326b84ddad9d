"""The liaison's teams page (issue 7, item 18): teams of upcoming activities apart from those of finished ones, and
no substitution for a finished activity's team, neither offered on the page nor accepted by its URL or service."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Substitution
from activities.services.substitution import substitution_decide, substitution_request
from portal.errors import PortalError
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db


def team_of(unit, *, days: int, status=Activity.Status.CLOSED, name: str):
    """A team of `unit` in an activity starting `days` from now (negative: past), its deadline passed."""
    now = timezone.now()
    activity = ActivityFactory(
        title=name,
        status=status,
        starts_at=now + timedelta(days=days),
        ends_at=now + timedelta(days=days, hours=8),
        registration_opens_at=now + timedelta(days=days - 30),
        registration_closes_at=now + timedelta(days=days - 3),
    )
    competition = CompetitionFactory(activity=activity, registration_deadline=now + timedelta(days=days - 3))
    member = CadreFactory(unit=unit, birth_date=date(1990, 1, 1))
    return TeamFactory(competition=competition, unit=unit, members=[member])


@pytest.fixture
def teams(unit):
    return {
        "upcoming": team_of(unit, days=2, name="下周的比赛"),
        "finished": team_of(unit, days=-40, status=Activity.Status.FINISHED, name="上月的比赛"),
        # Over by the calendar though nobody has marked it finished yet.
        "ended": team_of(unit, days=-3, name="前几天的比赛"),
    }


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_page_separates_upcoming_from_finished(client, liaison, teams):
    client.cookies["django_language"] = "en"
    client.force_login(liaison.user)
    html = client.get(reverse("activities:unit_teams")).content.decode()
    upcoming, finished = section(html, "upcoming-teams"), section(html, "finished-teams")
    assert "下周的比赛" in upcoming and "上月的比赛" not in upcoming and "前几天的比赛" not in upcoming
    assert "上月的比赛" in finished and "前几天的比赛" in finished
    # A substitution is offered for the upcoming team only.
    assert reverse("activities:team_substitute", args=[teams["upcoming"].pk]) in upcoming
    for key in ("finished", "ended"):
        assert reverse("activities:team_substitute", args=[teams[key].pk]) not in html
    # The most recent finished activity first.
    assert finished.index("前几天的比赛") < finished.index("上月的比赛")


def test_only_upcoming_teams_show_no_finished_section(client, liaison, unit):
    team_of(unit, days=2, name="下周的比赛")
    client.force_login(liaison.user)
    html = client.get(reverse("activities:unit_teams")).content.decode()
    assert 'data-testid="finished-teams"' not in html


@pytest.mark.parametrize("key", ["finished", "ended"])
def test_substitution_url_refuses_a_finished_activitys_team(client, liaison, unit, teams, key):
    client.cookies["django_language"] = "en"
    client.force_login(liaison.user)
    team = teams[key]
    url = reverse("activities:team_substitute", args=[team.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("activities:unit_teams")
    assert any("is over" in str(m) for m in get_messages(response.wsgi_request))
    incoming = CadreFactory(unit=unit, birth_date=date(1990, 1, 1))
    outgoing = team.members.get().cadre
    response = client.post(url, {"outgoing": outgoing.pk, "incoming": incoming.pk, "reason": "出差"})
    assert response.status_code == 302
    assert not Substitution.objects.exists()


def test_substitution_page_still_works_for_an_upcoming_team(client, liaison, teams):
    client.force_login(liaison.user)
    assert client.get(reverse("activities:team_substitute", args=[teams["upcoming"].pk])).status_code == 200


def test_service_refuses_an_activity_past_its_end(english, liaison, unit, teams, staff_user):
    team = teams["ended"]
    incoming = CadreFactory(unit=unit, birth_date=date(1990, 1, 1))
    with pytest.raises(PortalError, match="is over"):
        substitution_request(
            actor=liaison.user, team=team, outgoing=team.members.get().cadre, incoming=incoming, reason="出差"
        )
    # A request made while the activity was still to come cannot be approved once it is over.
    pending = Substitution.objects.create(
        team=team, outgoing=team.members.get().cadre, incoming=incoming, reason="出差"
    )
    with pytest.raises(PortalError, match="is over"):
        substitution_decide(actor=staff_user, substitution=pending, approve=True)
    pending.refresh_from_db()
    assert pending.status == Substitution.Status.PENDING


def test_finished_teams_do_not_add_queries(client, liaison, unit, teams):
    url = reverse("activities:unit_teams")
    client.force_login(liaison.user)
    counts = []
    for more in (0, 8):
        for day in range(more):
            team_of(unit, days=-60 - day, status=Activity.Status.FINISHED, name=f"往期比赛{day}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

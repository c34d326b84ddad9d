"""Liaison pages: open competitions, team entry, change, withdrawal, substitution, the unit's teams.

Forged POSTs and query budgets that do not grow with the data (who may GET each page: tests/test_permission_matrix.py).
"""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Competition, Substitution, Team, TeamMember
from activities.services.teams import team_register
from portal.models import AuditEntry
from tests.activities.factories import ActivityFactory, CompetitionFactory
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def meet(db):
    return ActivityFactory(title="Sports meet")


@pytest.fixture
def doubles(meet):
    return CompetitionFactory(activity=meet, name="Doubles", team_size_min=2, team_size_max=2, capacity=8)


@pytest.fixture
def team(liaison, unit, doubles):
    return team_register(
        actor=liaison.user,
        competition=doubles,
        unit=unit,
        name="Alpha",
        members=CadreFactory.create_batch(2, unit=unit),
    )


def _snapshot():
    return (
        list(Team.objects.order_by("pk").values_list("status", "name", "place_no")),
        list(TeamMember.objects.order_by("pk").values_list("team_id", "cadre_id")),
        Substitution.objects.count(),
        AuditEntry.objects.count(),
    )


def _checkbox(html, pk):
    """The member checkbox for one cadre, as rendered."""
    found = re.findall(rf'<input[^>]*name="members" value="{pk}"[^>]*>', html)
    assert len(found) == 1, found
    return found[0]


def _past_deadline(competition):
    Competition.objects.filter(pk=competition.pk).update(registration_deadline=timezone.now() - timedelta(hours=1))


# ---------------------------------------------------------------------------------------------------------
# Forged requests (who may GET each page: tests/test_permission_matrix.py)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "cadre", "other_liaison", "staff", "leader"])
@pytest.mark.parametrize("url_name", ["activities:team_edit", "activities:team_withdraw", "activities:team_substitute"])
def test_forged_posts_on_someone_elses_team_change_nothing(client, role_users, team, unit, url_name, role):
    if role_users[role] is not None:
        client.force_login(role_users[role])
    before = _snapshot()
    newcomer = CadreFactory(unit=unit)
    data = {"name": "Hijacked", "members": [newcomer.pk], "outgoing": newcomer.pk, "incoming": newcomer.pk}
    response = client.post(reverse(url_name, kwargs={"pk": team.pk}), data)
    assert response.status_code == (302 if role == "anonymous" else 404)
    assert _snapshot() == before


def test_unknown_and_draft_objects_are_404(client, liaison, meet, doubles):
    client.force_login(liaison.user)
    assert client.get(reverse("activities:team_create", kwargs={"pk": 999999})).status_code == 404
    assert client.get(reverse("activities:team_edit", kwargs={"pk": 999999})).status_code == 404
    Activity.objects.filter(pk=meet.pk).update(status=Activity.Status.DRAFT)
    assert client.get(reverse("activities:team_create", kwargs={"pk": doubles.pk})).status_code == 404
    assert client.post(reverse("activities:team_create", kwargs={"pk": doubles.pk}), {}).status_code == 404


def test_a_deactivated_liaison_loses_the_pages(client, liaison, team):
    liaison.is_active = False
    liaison.save()
    client.force_login(liaison.user)
    assert client.get(reverse("activities:register")).status_code == 404
    assert client.get(reverse("activities:team_edit", kwargs={"pk": team.pk})).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Open competitions
# ---------------------------------------------------------------------------------------------------------


def test_register_page_lists_only_open_competitions_with_our_entries(client, liaison, unit, meet, team):
    closed = CompetitionFactory(activity=meet, name="Closed one", registration_deadline=timezone.now() - timedelta(1))
    locked = CompetitionFactory(activity=meet, name="Locked one", entries_locked_at=timezone.now())
    draft = CompetitionFactory(name="Draft one", activity=ActivityFactory(status=Activity.Status.DRAFT))
    not_yet = CompetitionFactory(
        name="Not yet", activity=ActivityFactory(registration_opens_at=timezone.now() + timedelta(days=1))
    )
    open_singles = CompetitionFactory(activity=meet, name="Singles")
    client.force_login(liaison.user)
    response = client.get(reverse("activities:register"))
    shown = [c.pk for c in response.context["competitions"]]
    assert team.competition.pk in shown and open_singles.pk in shown
    assert not {closed.pk, locked.pk, draft.pk, not_yet.pk} & set(shown)
    html = response.content.decode()
    assert "Alpha" in html
    for member in team.members.all():
        assert member.cadre.name in html
    # Doubles: our one entry is the most allowed; Singles still takes one.
    assert f'data-testid="register-{team.competition.pk}"' not in html
    assert f'data-testid="register-{open_singles.pk}"' in html
    assert "1 / 8 places" in html


def test_register_page_hides_the_button_when_no_places_are_left(client, liaison, doubles):
    Competition.objects.filter(pk=doubles.pk).update(capacity=1)
    other = LiaisonFactory()
    team_register(
        actor=other.user, competition=doubles, unit=other.unit, members=CadreFactory.create_batch(2, unit=other.unit)
    )
    client.force_login(liaison.user)
    html = client.get(reverse("activities:register")).content.decode()
    assert "No places left." in html
    assert f'data-testid="register-{doubles.pk}"' not in html


# ---------------------------------------------------------------------------------------------------------
# Entering a team
# ---------------------------------------------------------------------------------------------------------


def test_create_page_offers_a_default_name_and_greys_out_ineligible_cadres(client, liaison, unit, meet):
    youth = CompetitionFactory(activity=meet, name="Youth", max_age=35, gender_rule=Competition.GenderRule.FEMALE)
    ok = CadreFactory(unit=unit, name="Okay", gender="F", birth_date=date(2000, 1, 1))
    man = CadreFactory(unit=unit, name="Man", gender="M", birth_date=date(2000, 1, 1))
    unknown = CadreFactory(unit=unit, name="Unknown", gender="F", birth_date=None)
    gone = CadreFactory(unit=unit, name="Gone", gender="F", is_active=False)
    stranger = CadreFactory(name="Stranger")
    client.force_login(liaison.user)
    response = client.get(reverse("activities:team_create", kwargs={"pk": youth.pk}))
    assert response.context["form"]["name"].value() == f"{unit.short_name}队1"
    rows = {c.cadre.pk: c for c in response.context["candidates"]}
    assert stranger.pk not in rows and gone.pk not in rows
    assert rows[ok.pk].problem is None
    assert "for women only" in rows[man.pk].problem
    assert "no birth date" in rows[unknown.pk].problem
    html = response.content.decode()
    assert "disabled" in _checkbox(html, man.pk) and "disabled" in _checkbox(html, unknown.pk)
    assert "disabled" not in _checkbox(html, ok.pk)
    assert 'data-testid="member-search"' in html


def test_create_a_team(client, liaison, unit, doubles):
    members = CadreFactory.create_batch(2, unit=unit)
    client.force_login(liaison.user)
    url = reverse("activities:team_create", kwargs={"pk": doubles.pk})
    response = client.post(url, {"name": "Tigers", "members": [m.pk for m in members]})
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:unit_teams")
    team = Team.objects.get()
    assert (team.name, team.unit, team.place_no) == ("Tigers", unit, 1)
    assert set(team.members.values_list("cadre_id", flat=True)) == {m.pk for m in members}
    page = client.get(response["Location"]).content.decode()
    assert "Team Tigers is entered in Doubles (entry number 1)." in page
    assert "Tigers" in page and members[0].name in page


def test_an_empty_name_gets_the_default(client, liaison, unit, doubles):
    client.force_login(liaison.user)
    members = CadreFactory.create_batch(2, unit=unit)
    client.post(
        reverse("activities:team_create", kwargs={"pk": doubles.pk}), {"name": "", "members": [m.pk for m in members]}
    )
    assert Team.objects.get().name == f"{unit.short_name}队1"


def _post_create(client, competition, members, name="Team"):
    return client.post(
        reverse("activities:team_create", kwargs={"pk": competition.pk}),
        {"name": name, "members": [getattr(m, "pk", m) for m in members]},
    )


def test_forged_member_from_another_unit_is_refused(client, liaison, unit, other_unit, doubles):
    mine = CadreFactory(unit=unit)
    stranger = CadreFactory(unit=other_unit)
    client.force_login(liaison.user)
    before = _snapshot()
    response = _post_create(client, doubles, [mine, stranger])
    assert response.status_code == 200
    assert "Choose members only from your unit&#x27;s active cadres." in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("members", [["abc"], [987654]], ids=["not-a-number", "unknown"])
def test_garbage_member_ids_are_refused(client, liaison, doubles, members):
    client.force_login(liaison.user)
    before = _snapshot()
    response = _post_create(client, doubles, members)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _snapshot() == before


def test_service_errors_are_shown_on_the_form_and_nothing_is_saved(client, liaison, unit, doubles):
    client.force_login(liaison.user)
    before = _snapshot()
    response = _post_create(client, doubles, [CadreFactory(unit=unit)])
    assert response.status_code == 200
    assert "A team of Doubles has 2 members; you chose 1." in response.content.decode()
    response = _post_create(client, doubles, [])
    assert "Choose the team&#x27;s members." in response.content.decode()
    assert _snapshot() == before


def test_several_problems_are_listed_together(client, liaison, unit, doubles):
    Competition.objects.filter(pk=doubles.pk).update(gender_rule=Competition.GenderRule.FEMALE)
    men = [CadreFactory(unit=unit, name=f"Man{i}", gender="M") for i in range(2)]
    client.force_login(liaison.user)
    before = _snapshot()
    errors = _post_create(client, doubles, men).context["form"].non_field_errors()
    assert len(errors) == 2
    assert all("it is for women only" in e for e in errors)
    assert _snapshot() == before


def test_create_after_the_deadline(client, liaison, unit, doubles):
    _past_deadline(doubles)
    client.force_login(liaison.user)
    page = client.get(reverse("activities:team_create", kwargs={"pk": doubles.pk})).content.decode()
    assert "Registration for Doubles closed at" in page
    assert 'data-testid="team-form"' not in page
    before = _snapshot()
    response = _post_create(client, doubles, CadreFactory.create_batch(2, unit=unit))
    assert "Registration for Doubles closed at" in response.content.decode()
    assert _snapshot() == before


# ---------------------------------------------------------------------------------------------------------
# Changing, withdrawing, substituting
# ---------------------------------------------------------------------------------------------------------


def test_edit_page_ticks_the_members_and_saves_changes(client, liaison, unit, team):
    current = list(team.members.values_list("cadre_id", flat=True))
    client.force_login(liaison.user)
    url = reverse("activities:team_edit", kwargs={"pk": team.pk})
    response = client.get(url)
    assert response.context["selected"] == set(current)
    for pk in current:
        assert "checked" in _checkbox(response.content.decode(), pk)
    newcomer = CadreFactory(unit=unit)
    response = client.post(url, {"name": "Alpha II", "members": [current[0], newcomer.pk]})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Alpha II"
    assert set(team.members.values_list("cadre_id", flat=True)) == {current[0], newcomer.pk}


def test_edit_refuses_bad_input_and_keeps_the_team(client, liaison, unit, other_unit, team):
    current = list(team.members.values_list("cadre_id", flat=True))
    client.force_login(liaison.user)
    url = reverse("activities:team_edit", kwargs={"pk": team.pk})
    before = _snapshot()
    response = client.post(url, {"name": "X", "members": [current[0], CadreFactory(unit=other_unit).pk]})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(url, {"name": "X", "members": current[:1]})
    assert "you chose 1" in response.content.decode()
    assert _snapshot() == before


def test_edit_after_the_deadline_offers_a_substitution(client, liaison, team, doubles):
    _past_deadline(doubles)
    client.force_login(liaison.user)
    url = reverse("activities:team_edit", kwargs={"pk": team.pk})
    page = client.get(url).content.decode()
    assert reverse("activities:team_substitute", kwargs={"pk": team.pk}) in page
    before = _snapshot()
    members = list(team.members.values_list("cadre_id", flat=True))
    response = client.post(url, {"name": "Late", "members": members})
    assert "ask for a substitution" in response.content.decode()
    assert _snapshot() == before


def test_withdraw_asks_then_withdraws(client, liaison, team):
    client.force_login(liaison.user)
    url = reverse("activities:team_withdraw", kwargs={"pk": team.pk})
    page = client.get(url).content.decode()
    assert 'data-testid="withdraw-confirm"' in page
    response = client.post(url)
    assert response.status_code == 302
    assert Team.objects.get(pk=team.pk).status == Team.Status.WITHDRAWN
    assert not TeamMember.objects.filter(team=team).exists()
    html = client.get(reverse("activities:unit_teams")).content.decode()
    assert "Team Alpha is withdrawn; its place is free." in html
    assert "Withdrawn" in html
    # A withdrawn team's pages send the liaison back to the list.
    again = client.post(url)
    assert again.status_code == 302
    assert client.get(reverse("activities:team_edit", kwargs={"pk": team.pk})).status_code == 302


def test_withdraw_after_the_deadline_is_refused_for_the_liaison(client, liaison, team, doubles):
    _past_deadline(doubles)
    client.force_login(liaison.user)
    before = _snapshot()
    response = client.post(reverse("activities:team_withdraw", kwargs={"pk": team.pk}), follow=True)
    assert "Ask the committee to withdraw the team." in response.content.decode()
    assert _snapshot() == before


def test_substitution_request_shows_as_pending(client, liaison, unit, team, doubles):
    _past_deadline(doubles)
    outgoing = team.members.first().cadre
    incoming = CadreFactory(unit=unit, name="Fresh")
    client.force_login(liaison.user)
    url = reverse("activities:team_substitute", kwargs={"pk": team.pk})
    form = client.get(url).context["form"]
    assert set(form.fields["outgoing"].queryset) == {m.cadre for m in team.members.all()}
    assert incoming in form.fields["incoming"].queryset
    response = client.post(url, {"outgoing": outgoing.pk, "incoming": incoming.pk, "reason": "Injured knee"})
    assert response.status_code == 302
    substitution = Substitution.objects.get()
    assert (substitution.outgoing, substitution.incoming, substitution.status) == (outgoing, incoming, "pending")
    html = client.get(reverse("activities:unit_teams")).content.decode()
    assert f"{outgoing.name} → Fresh" in html
    assert "Waiting for approval" in html


def test_substitution_bad_input(client, liaison, unit, other_unit, team, doubles):
    client.force_login(liaison.user)
    url = reverse("activities:team_substitute", kwargs={"pk": team.pk})
    outgoing = team.members.first().cadre
    before = _snapshot()
    # Before the deadline: change the team directly.
    page = client.get(url).content.decode()
    assert "Registration is still open" in page
    response = client.post(url, {"outgoing": outgoing.pk, "incoming": CadreFactory(unit=unit).pk, "reason": "x"})
    assert "still open: change the team" in response.content.decode()
    _past_deadline(doubles)
    response = client.post(url, {"outgoing": outgoing.pk, "incoming": CadreFactory(unit=other_unit).pk, "reason": "x"})
    assert "Choose a cadre of your unit who is not in the team." in response.content.decode()
    response = client.post(url, {"outgoing": outgoing.pk, "incoming": CadreFactory(unit=unit).pk, "reason": ""})
    assert response.context["form"].errors["reason"]
    assert _snapshot() == before


# ---------------------------------------------------------------------------------------------------------
# Query budgets: the same count whatever the size of the unit or the number of competitions and teams
# ---------------------------------------------------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_register_page_queries_do_not_grow_with_competitions(
    client, liaison, unit, meet, django_assert_max_num_queries
):
    client.force_login(liaison.user)
    url = reverse("activities:register")
    counts = []
    for batch in (2, 38):
        for _ in range(batch):
            competition = CompetitionFactory(activity=ActivityFactory(), team_size_min=2, team_size_max=2)
            team_register(
                actor=liaison.user,
                competition=competition,
                unit=unit,
                members=CadreFactory.create_batch(2, unit=unit),
            )
        counts.append(_count_queries(client, url))
    assert Competition.objects.count() == 40
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        client.get(url)


@pytest.mark.parametrize("url_name", ["activities:team_create", "activities:team_edit", "activities:team_substitute"])
def test_member_pages_queries_do_not_grow_with_the_unit(
    client, liaison, unit, team, doubles, url_name, django_assert_max_num_queries
):
    if url_name == "activities:team_substitute":
        _past_deadline(doubles)
    Activity.objects.filter(pk=doubles.activity_id).update(max_events_per_athlete=3)
    client.force_login(liaison.user)
    pk = doubles.pk if url_name == "activities:team_create" else team.pk
    url = reverse(url_name, kwargs={"pk": pk})
    counts = []
    for batch in (5, 195):
        CadreFactory.create_batch(batch, unit=unit)
        counts.append(_count_queries(client, url))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(14):
        client.get(url)


def test_unit_teams_queries_do_not_grow_with_teams(client, liaison, unit, meet, django_assert_max_num_queries):
    client.force_login(liaison.user)
    url = reverse("activities:unit_teams")
    counts = []
    for batch in (2, 38):
        for _ in range(batch):
            competition = CompetitionFactory(activity=meet, team_size_min=2, team_size_max=2)
            team = team_register(
                actor=liaison.user, competition=competition, unit=unit, members=CadreFactory.create_batch(2, unit=unit)
            )
            Substitution.objects.create(
                team=team, outgoing=team.members.first().cadre, incoming=CadreFactory(unit=unit), reason="r"
            )
        counts.append(_count_queries(client, url))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        client.get(url)


def test_other_units_do_not_leak_into_my_pages(client, liaison, unit, doubles):
    other = LiaisonFactory(unit=UnitFactory())
    theirs = team_register(
        actor=other.user,
        competition=doubles,
        unit=other.unit,
        name="Theirs",
        members=CadreFactory.create_batch(2, unit=other.unit),
    )
    client.force_login(liaison.user)
    assert "Theirs" not in client.get(reverse("activities:unit_teams")).content.decode()
    assert "Theirs" not in client.get(reverse("activities:register")).content.decode()
    page = client.get(reverse("activities:team_create", kwargs={"pk": doubles.pk}))
    assert not {c.cadre.pk for c in page.context["candidates"]} & set(theirs.members.values_list("cadre_id", flat=True))

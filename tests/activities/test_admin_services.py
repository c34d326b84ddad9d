"""The admin writes through services (issue 7, item 9): a team's status, a competition's settings and a meet's
points scale are read-only on the change forms and change through services that check, recompute and audit;
activities, competitions, teams, units and cadres are cancelled or deactivated rather than deleted; results are
not published for a competition that has none; plain edits are audited by AuditedAdminMixin."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Competition, Match, Placing, RankedResult, Team, TeamMember
from activities.selectors.medals import medal_table
from activities.services.competitions import SettingsError, competition_update_settings
from activities.services.fixtures import fixtures_generate
from activities.services.results import match_record_result, ranked_result_record
from activities.services.teams import team_reinstate, team_withdraw
from portal.errors import NotPermitted
from portal.models import AuditEntry, Unit
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.cookies["django_language"] = "en"
    client.force_login(staff_user)
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client, action, objects, model="competition", app="activities"):
    return client.post(
        reverse(f"admin:{app}_{model}_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects]},
        follow=True,
    )


def competition_with_teams(count, **kwargs):
    competition = CompetitionFactory(**kwargs)
    teams = [TeamFactory(competition=competition, place_no=i + 1) for i in range(count)]
    return competition, teams


# --- Teams: status through withdraw / reinstate -----------------------------------------------------------------


def team_form(team, **changes):
    data = {"name": team.name, "seed": team.seed or "", "status": team.status}
    data.update(changes)
    return data


def test_team_status_cannot_be_edited_in_the_form(staff_client):
    _competition, (team,) = competition_with_teams(1)
    url = reverse("admin:activities_team_change", args=[team.pk])
    response = staff_client.post(url, team_form(team, status="withdrawn", name="改名队"))
    assert response.status_code == 302
    team.refresh_from_db()
    # The name is a plain edit (audited by the mixin); the status did not change behind the service.
    assert team.status == Team.Status.ACTIVE and team.name == "改名队" and team.members.exists()
    entry = AuditEntry.objects.get(action="activities.team.admin_change")
    assert set(entry.changes) == {"name"} and entry.changes["name"][1] == "改名队"


def test_withdraw_action_frees_the_members_and_reinstate_finds_a_free_place(staff_client):
    competition, (first, second) = competition_with_teams(2, capacity=2)
    members = list(first.members.values_list("cadre_id", flat=True))
    texts = messages_of(act(staff_client, "withdraw_teams", [first], model="team"))
    assert any("1 team(s) withdrawn" in t for t in texts), texts
    first.refresh_from_db()
    assert first.status == Team.Status.WITHDRAWN and not first.members.exists()
    # Its place is taken meanwhile by a new entry, which gets place 1 (the lowest free one).
    newcomer = TeamFactory(competition=competition, place_no=1)
    texts = messages_of(act(staff_client, "reinstate_teams", [first], model="team"))
    assert any("No places left" in t for t in texts), texts  # a message, not a crash
    first.refresh_from_db()
    assert first.status == Team.Status.WITHDRAWN
    competition.capacity = 3
    competition.save()
    texts = messages_of(act(staff_client, "reinstate_teams", [first], model="team"))
    assert any("1 team(s) reinstated" in t for t in texts), texts
    first.refresh_from_db()
    assert first.status == Team.Status.ACTIVE and first.place_no == 3
    assert sorted(first.members.values_list("cadre_id", flat=True)) == sorted(members)
    assert {newcomer.place_no, second.place_no, first.place_no} == {1, 2, 3}
    entry = AuditEntry.objects.get(action="team.reinstate")
    assert entry.changes["place_no"] == [1, 3] and len(entry.changes["members"][1]) == len(members)


def test_reinstate_rechecks_the_members(english, staff_user):
    competition, (team,) = competition_with_teams(1)
    cadre = team.members.get().cadre
    team_withdraw(actor=staff_user, team=team)
    # Meanwhile the cadre joined another team of the event.
    other = TeamFactory(competition=competition, unit=cadre.unit, place_no=2, members=[])
    TeamMember.objects.create(team=other, competition=competition, cadre=cadre)
    competition.entries_per_unit = 2
    competition.save()
    with pytest.raises(Exception, match="one team per event"):
        team_reinstate(actor=staff_user, team=team)
    team.refresh_from_db()
    assert team.status == Team.Status.WITHDRAWN


def test_reinstate_is_staff_only_and_refused_after_the_draw(english, staff_user, liaison):
    competition, teams = competition_with_teams(3, capacity=None)
    team_withdraw(actor=staff_user, team=teams[0])
    with pytest.raises(NotPermitted):
        team_reinstate(actor=liaison.user, team=teams[0])
    fixtures_generate(actor=staff_user, competition=competition)
    with pytest.raises(Exception, match="locked"):
        team_reinstate(actor=staff_user, team=teams[0])


def test_teams_cannot_be_deleted(staff_client):
    _competition, (team,) = competition_with_teams(1)
    assert staff_client.get(reverse("admin:activities_team_delete", args=[team.pk])).status_code == 403
    changelist = staff_client.get(reverse("admin:activities_team_changelist"))
    assert "delete_selected" not in changelist.context["action_form"].fields["action"].choices.__repr__()


# --- Competition settings: read-only on the form, changed through the service -------------------------------------


def competition_form(competition, **changes):
    deadline = timezone.localtime(competition.registration_deadline)
    data = {
        "activity": competition.activity_id,
        "name": competition.name,
        "discipline": competition.discipline,
        "venue": competition.venue,
        "sort_order": competition.sort_order,
        "registration_deadline_0": deadline.strftime("%Y-%m-%d"),
        "registration_deadline_1": deadline.strftime("%H:%M:%S"),
        "teams-TOTAL_FORMS": "0",
        "teams-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_settings_are_read_only_on_the_change_form(staff_client):
    competition, _teams = competition_with_teams(2)
    url = reverse("admin:activities_competition_change", args=[competition.pk])
    page = staff_client.get(url)
    assert "format" not in page.context["adminform"].form.fields
    assert reverse("admin:activities_competition_settings", args=[competition.pk]) in page.content.decode()
    response = staff_client.post(url, competition_form(competition, name="新名字", format="knockout", capacity="1"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    competition.refresh_from_db()
    assert competition.name == "新名字"
    assert competition.format == Competition.Format.ROUND_ROBIN and competition.capacity is None
    entry = AuditEntry.objects.get(action="activities.competition.admin_change")
    assert entry.changes["name"][1] == "新名字" and not {"format", "capacity"} & set(entry.changes)


def settings_data(competition, **changes):
    data = {
        "format": competition.format,
        "team_size_min": competition.team_size_min,
        "team_size_max": competition.team_size_max,
        "entries_per_unit": competition.entries_per_unit,
        "capacity": competition.capacity or "",
        "gender_rule": competition.gender_rule,
        "min_age": competition.min_age or "",
        "max_age": competition.max_age or "",
        "group_count": competition.group_count,
        "advance_per_group": competition.advance_per_group,
        "points_win": competition.points_win,
        "points_draw": competition.points_draw,
        "points_loss": competition.points_loss,
        "tiebreakers": '["head_to_head", "score_difference", "score_for"]',
        "result_ordering": competition.result_ordering,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_settings_page_changes_through_the_service_before_the_draw(staff_client):
    competition, _teams = competition_with_teams(3)
    url = reverse("admin:activities_competition_settings", args=[competition.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, settings_data(competition, capacity="2"))
    assert response.status_code == 200
    assert "3 teams are entered already" in str(response.context["form"].non_field_errors())
    response = staff_client.post(url, settings_data(competition, format="knockout", capacity="8"))
    assert response.status_code == 302
    competition.refresh_from_db()
    assert (competition.format, competition.capacity) == (Competition.Format.KNOCKOUT, 8)
    entry = AuditEntry.objects.get(action="competition.settings")
    assert entry.changes == {
        "old": {"format": "round_robin", "capacity": None},
        "new": {"format": "knockout", "capacity": 8},
    }


def test_draw_settings_are_refused_after_the_draw(english, staff_user, staff_client):
    competition, _teams = competition_with_teams(4)
    fixtures_generate(actor=staff_user, competition=competition)
    for changes in ({"format": Competition.Format.KNOCKOUT}, {"capacity": 16}, {"team_size_max": 2}):
        with pytest.raises(SettingsError, match="The draw of .* is made"):
            competition_update_settings(actor=staff_user, competition=competition, changes=changes)
    # On the page the draw's fields are disabled: a forged value is ignored.
    url = reverse("admin:activities_competition_settings", args=[competition.pk])
    response = staff_client.post(url, settings_data(competition, format="knockout", points_win="3"))
    assert response.status_code == 302
    competition.refresh_from_db()
    assert competition.format == Competition.Format.ROUND_ROBIN and competition.points_win == 3
    assert not AuditEntry.objects.filter(action="competition.settings", changes__new__has_key="format").exists()


def test_unknown_fields_and_tiebreakers_are_refused(english, staff_user, cadre):
    competition, _teams = competition_with_teams(2)
    with pytest.raises(NotPermitted):
        competition_update_settings(actor=cadre.user, competition=competition, changes={"points_win": 3})
    with pytest.raises(SettingsError, match="not competition settings"):
        competition_update_settings(actor=staff_user, competition=competition, changes={"results_published": True})
    with pytest.raises(SettingsError, match="Unknown or repeated tie-breaker"):
        competition_update_settings(actor=staff_user, competition=competition, changes={"tiebreakers": ["coin"]})


def test_scoring_change_recomputes_the_placings(staff_user):
    """A beats B, B beats C, A and C draw: with a point for a draw A and B tie on points and A wins head to head;
    with none for a draw B is first. Changing the scale after the results must move the placings."""
    competition, (a, b, c) = competition_with_teams(3, name="足球联赛", discipline="足球")  # draws allowed
    fixtures_generate(actor=staff_user, competition=competition)
    competition.matches.update(scheduled_at=timezone.now())
    scores = {frozenset({a.pk, b.pk}): (a, 2, 0), frozenset({b.pk, c.pk}): (b, 2, 0), frozenset({a.pk, c.pk}): None}
    for match in competition.matches.all():
        outcome = scores[frozenset({match.home_id, match.away_id})]
        if outcome is None:
            home, away = 1, 1
        else:
            winner, high, low = outcome
            home, away = (high, low) if match.home_id == winner.pk else (low, high)
        match_record_result(actor=staff_user, match=match, home_score=home, away_score=away)
    assert Placing.objects.get(competition=competition, place=1).team_id == a.pk
    competition_update_settings(actor=staff_user, competition=competition, changes={"points_draw": 0})
    assert Placing.objects.get(competition=competition, place=1).team_id == b.pk
    assert AuditEntry.objects.filter(action="competition.placings", actor=staff_user).exists()


# --- The points scale of a meet ----------------------------------------------------------------------------------


def test_points_scale_is_read_only_and_its_page_recomputes_the_medal_table(staff_client, staff_user):
    activity = ActivityFactory(has_medal_table=True, points_by_place=[7, 5])
    competition, (first, second) = competition_with_teams(2, activity=activity, format=Competition.Format.RANKED)
    ranked_result_record(actor=staff_user, team=first, value="10")
    ranked_result_record(actor=staff_user, team=second, value="9")
    assert medal_table(activity, include_unpublished=True).points[0].points == 7
    page = staff_client.get(reverse("admin:activities_activity_change", args=[activity.pk]))
    assert "points_by_place" not in page.context["adminform"].form.fields
    url = reverse("admin:activities_activity_points", args=[activity.pk])
    response = staff_client.post(url, {"points_by_place": "[-1]"})
    assert response.status_code == 200 and response.context["form"].errors
    response = staff_client.post(url, {"points_by_place": "[10, 6]"})
    assert response.status_code == 302
    assert sorted(Placing.objects.values_list("points", flat=True)) == [6, 10]
    assert medal_table(activity, include_unpublished=True).points[0].points == 10
    entry = AuditEntry.objects.get(action="activity.points_by_place")
    assert entry.changes == {"old": {"points_by_place": [7, 5]}, "new": {"points_by_place": [10, 6]}}


# --- Cancel and deactivate instead of delete ---------------------------------------------------------------------


def test_activities_are_cancelled_not_deleted(staff_client, staff_user):
    activity = ActivityFactory()
    competition, _teams = competition_with_teams(2, activity=activity)
    fixtures_generate(actor=staff_user, competition=competition)
    assert staff_client.get(reverse("admin:activities_activity_delete", args=[activity.pk])).status_code == 403
    changelist = staff_client.get(reverse("admin:activities_activity_changelist"))
    choices = [value for value, _label in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices and "cancel_activities" in choices
    # The status form field does not offer "cancelled": cancelling has consequences, through the action.
    page = staff_client.get(reverse("admin:activities_activity_change", args=[activity.pk]))
    assert "cancelled" not in [v for v, _l in page.context["adminform"].form.fields["status"].choices]
    texts = messages_of(act(staff_client, "cancel_activities", [activity], model="activity"))
    assert any("1 activity(ies) cancelled" in t for t in texts), texts
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    assert set(competition.matches.values_list("status", flat=True)) == {Match.Status.CANCELLED}
    entry = AuditEntry.objects.get(action="activity.cancel")
    assert entry.changes["old"] == {"status": "published"} and len(entry.changes["new"]["matches_cancelled"]) == 1


def test_a_draft_nobody_entered_may_be_deleted_and_is_audited(staff_client):
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    url = reverse("admin:activities_activity_delete", args=[draft.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not Activity.objects.filter(pk=draft.pk).exists()
    assert AuditEntry.objects.filter(action="activities.activity.admin_delete", object_id=str(draft.pk)).exists()
    entered = ActivityFactory(status=Activity.Status.DRAFT)
    TeamFactory(competition=CompetitionFactory(activity=entered))
    assert staff_client.get(reverse("admin:activities_activity_delete", args=[entered.pk])).status_code == 403


def test_competitions_with_teams_cannot_be_deleted(staff_client):
    competition, _teams = competition_with_teams(1)
    empty = CompetitionFactory()
    assert staff_client.get(reverse("admin:activities_competition_delete", args=[competition.pk])).status_code == 403
    assert staff_client.get(reverse("admin:activities_competition_delete", args=[empty.pk])).status_code == 200
    changelist = staff_client.get(reverse("admin:activities_competition_changelist"))
    assert "delete_selected" not in [v for v, _l in changelist.context["action_form"].fields["action"].choices]


def test_units_are_deactivated_not_deleted(staff_client, staff_user):
    unit = UnitFactory()
    CadreFactory(unit=unit)
    assert staff_client.get(reverse("admin:portal_unit_delete", args=[unit.pk])).status_code == 403
    page = staff_client.get(reverse("admin:portal_unit_change", args=[unit.pk]))
    assert "is_active" not in page.context["adminform"].form.fields
    texts = messages_of(act(staff_client, "deactivate_units", [unit], model="unit", app="portal"))
    assert any("1 unit(s) changed" in t for t in texts), texts
    unit.refresh_from_db()
    assert not unit.is_active
    act(staff_client, "activate_units", [unit], model="unit", app="portal")
    assert Unit.objects.get(pk=unit.pk).is_active
    assert list(
        AuditEntry.objects.filter(object_id=str(unit.pk), action__startswith="unit.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["unit.deactivate", "unit.activate"]


def test_units_set_active_is_staff_only(cadre):
    from portal.services import units_set_active

    with pytest.raises(NotPermitted):
        units_set_active(actor=cadre.user, units=[cadre.unit], active=False)


def test_cadres_cannot_be_deleted(staff_client, cadre):
    assert staff_client.get(reverse("admin:portal_cadre_delete", args=[cadre.pk])).status_code == 403


# --- Publishing --------------------------------------------------------------------------------------------------


def test_publish_results_is_refused_without_results(staff_client, staff_user):
    competition, teams = competition_with_teams(2, format=Competition.Format.RANKED)
    texts = messages_of(act(staff_client, "publish_results", [competition]))
    assert any("has no results yet" in t for t in texts), texts
    competition.refresh_from_db()
    assert not competition.results_published
    drawn, _teams = competition_with_teams(2)
    fixtures_generate(actor=staff_user, competition=drawn)
    texts = messages_of(act(staff_client, "publish_results", [drawn]))
    assert any("has no results yet" in t for t in texts)
    RankedResult.objects.create(team=teams[0], value=1)
    texts = messages_of(act(staff_client, "publish_results", [competition]))
    assert any("Results published for 1" in t for t in texts)


def test_settings_page_is_staff_only(client, liaison):
    competition, _teams = competition_with_teams(1)
    client.force_login(liaison.user)
    response = client.get(reverse("admin:activities_competition_settings", args=[competition.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_scoring_can_change_when_registration_is_over(staff_user):
    competition, _teams = competition_with_teams(2, registration_deadline=timezone.now() - timedelta(days=1))
    competition_update_settings(actor=staff_user, competition=competition, changes={"tiebreakers": ["score_for"]})
    competition.refresh_from_db()
    assert competition.tiebreakers == ["score_for"]


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("organisationaward", "unit=²"),
        ("organisationaward", "activity=100000000000000000000"),
        ("competition", "activity=²&referees=1,x"),
    ],
)
def test_add_pages_ignore_initial_values_that_are_not_ids(staff_client, model, query):
    response = staff_client.get(reverse(f"admin:activities_{model}_add") + "?" + query)
    assert response.status_code == 200


def test_places_cannot_drop_below_an_entry_number_still_held(english, staff_user):
    """Places 1-3 and 5 held after a withdrawal: four places would hand out number 4 to a fifth team."""
    competition, teams = competition_with_teams(5)
    Team.objects.filter(pk=teams[3].pk).update(status=Team.Status.WITHDRAWN)
    with pytest.raises(SettingsError, match="A team holds entry number 5"):
        competition_update_settings(actor=staff_user, competition=competition, changes={"capacity": 4})
    competition_update_settings(actor=staff_user, competition=competition, changes={"capacity": 5})
    competition.refresh_from_db()
    assert competition.capacity == 5

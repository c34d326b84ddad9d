"""The committee staff's admin: actions call the services (errors as messages, never a 500), result forms go
through the services, the Excel export, the schedule warnings, and bounded queries on every change list."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import (
    Activity,
    Competition,
    JudgeScore,
    Match,
    OrganisationAward,
    Placing,
    RankedResult,
    Registration,
    Substitution,
    Team,
    TeamMember,
)
from activities.services.fixtures import fixtures_generate
from portal.models import AuditEntry
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


def act(client, action, objects, model="competition"):
    return client.post(
        reverse(f"admin:activities_{model}_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects]},
        follow=True,
    )


def competition_with_teams(count, **kwargs):
    competition = CompetitionFactory(**kwargs)
    teams = [TeamFactory(competition=competition, place_no=i + 1) for i in range(count)]
    return competition, teams


# --- Competition actions ----------------------------------------------------------------------------------------


def test_generate_fixtures_action(staff_client, staff_user):
    good, _ = competition_with_teams(4)
    ranked, _ = competition_with_teams(3, format=Competition.Format.RANKED)
    response = act(staff_client, "generate_fixtures", [good, ranked])
    assert response.status_code == 200
    texts = messages_of(response)
    assert any("Fixtures generated for 1 competition" in t for t in texts)
    assert any("ranked or judged" in t for t in texts)
    assert good.matches.count() == 6 and not ranked.matches.exists()
    # Again: the draw exists, so the message says so and nothing changes.
    texts = messages_of(act(staff_client, "generate_fixtures", [good]))
    assert any("exist already" in t for t in texts) and good.matches.count() == 6
    texts = messages_of(act(staff_client, "reset_fixtures", [good]))
    assert any("Fixtures reset for 1" in t for t in texts) and not good.matches.exists()


def test_lock_publish_and_placings_actions(staff_client):
    competition, teams = competition_with_teams(2, format=Competition.Format.RANKED)
    act(staff_client, "lock_entries", [competition])
    competition.refresh_from_db()
    assert competition.entries_locked
    act(staff_client, "unlock_entries", [competition])
    competition.refresh_from_db()
    assert not competition.entries_locked

    texts = messages_of(act(staff_client, "compute_placings", [competition]))
    assert any("not complete" in t for t in texts)
    RankedResult.objects.create(team=teams[0], value=1)
    RankedResult.objects.create(team=teams[1], value=2)
    texts = messages_of(act(staff_client, "compute_placings", [competition]))
    assert any("2 placings" in t for t in texts)
    assert competition.placings.count() == 2

    act(staff_client, "publish_results", [competition])
    competition.refresh_from_db()
    assert competition.results_published
    act(staff_client, "unpublish_results", [competition])
    competition.refresh_from_db()
    assert not competition.results_published
    assert AuditEntry.objects.filter(action="competition.publish_results").count() == 1


def test_export_entries_to_excel(staff_client):
    activity = ActivityFactory(starts_at=timezone.make_aware(timezone.datetime(2026, 5, 1, 9)))
    competition = CompetitionFactory(activity=activity, name="女子双打", team_size_min=2, team_size_max=2)
    unit = UnitFactory(name="市审计局")
    first = CadreFactory(unit=unit, name="李娜", employee_no="A0001", gender="F", birth_date=date(1990, 5, 2))
    second = CadreFactory(unit=unit, name="王芳", employee_no="A0002", gender="F", birth_date=date(1990, 4, 30))
    TeamFactory(competition=competition, unit=unit, name="审计一队", place_no=3, members=[first, second])
    response = act(staff_client, "export_entries", [competition])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "女子双打"
    assert rows[0] == ("单位", "队伍", "参赛号", "姓名", "工号", "性别", "年龄")
    # Ages on the first day (1 May 2026): one birthday has passed, one has not.
    assert rows[1:] == [
        ("市审计局", "审计一队", 3, "李娜", "A0001", "女", 35),
        ("市审计局", "审计一队", 3, "王芳", "A0002", "女", 36),
    ]
    # The same file from the button on the competition's page.
    direct = staff_client.get(reverse("admin:activities_competition_export", args=[competition.pk]))
    assert list(load_workbook(io.BytesIO(direct.content)).active.iter_rows(values_only=True)) == rows


def test_export_of_several_competitions_has_a_sheet_each(staff_client):
    one, _ = competition_with_teams(2, name="同名")
    two, _ = competition_with_teams(3, name="同名")
    response = act(staff_client, "export_entries", [one, two])
    book = load_workbook(io.BytesIO(response.content))
    assert sorted(ws.max_row for ws in book.worksheets) == [3, 4]
    assert len(set(book.sheetnames)) == 2


def test_competition_page_warns_of_double_bookings(staff_client, staff_user):
    competition, _ = competition_with_teams(4)
    fixtures_generate(actor=staff_user, competition=competition)
    at = timezone.now() + timedelta(days=1)
    competition.matches.filter(round_no=1).update(scheduled_at=at, venue="体育馆", court="1号场")
    response = staff_client.get(reverse("admin:activities_competition_change", args=[competition.pk]))
    assert response.status_code == 200
    assert response.context["conflict_count"] == 1
    assert 'id="schedule-conflicts"' in response.content.decode()
    assert "体育馆 · 1号场" in response.context["conflicts"][0]


# --- Matches: schedule and results through the services -----------------------------------------------------------


def match_form_data(match, **changes):
    local = timezone.localtime(match.scheduled_at) if match.scheduled_at else None
    data = {
        "scheduled_at_0": local.strftime("%Y-%m-%d") if local else "",
        "scheduled_at_1": local.strftime("%H:%M:%S") if local else "",
        "venue": match.venue,
        "court": match.court,
        "home_score": "",
        "away_score": "",
        "sets": "",
        "walkover": "",
        "note": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def drawn_match(staff_user):
    competition, _ = competition_with_teams(2, discipline="乒乓球")
    fixtures_generate(actor=staff_user, competition=competition)
    return competition.matches.get()


def test_match_form_schedules_and_records_in_one_go(staff_client, drawn_match):
    url = reverse("admin:activities_match_change", args=[drawn_match.pk])
    day = (timezone.localdate() + timedelta(days=1)).strftime("%Y-%m-%d")
    data = match_form_data(
        drawn_match,
        scheduled_at_0=day,
        scheduled_at_1="10:00:00",
        court="2号台",
        home_score="3",
        away_score="0",
        sets="11:5, 11:6, 11:7",
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    drawn_match.refresh_from_db()
    assert (drawn_match.court, drawn_match.home_score, drawn_match.status) == ("2号台", 3, Match.Status.PLAYED)
    assert drawn_match.detail["sets"] == [[11, 5], [11, 6], [11, 7]]
    assert {"match.schedule", "match.result"} <= set(AuditEntry.objects.values_list("action", flat=True))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"home_score": "3", "away_score": "0"}, "not scheduled"),
        (
            {
                "home_score": "3",
                "away_score": "0",
                "sets": "11:5",
                "scheduled_at_0": "2026-01-01",
                "scheduled_at_1": "10:00:00",
            },
            "give 1:0 in sets",
        ),
        (
            {"home_score": "1", "away_score": "1", "scheduled_at_0": "2026-01-01", "scheduled_at_1": "10:00:00"},
            "cannot end level",
        ),
    ],
)
def test_match_form_errors_are_form_errors_and_nothing_is_saved(staff_client, drawn_match, changes, error):
    url = reverse("admin:activities_match_change", args=[drawn_match.pk])
    response = staff_client.post(url, match_form_data(drawn_match, **changes))
    assert response.status_code == 200
    assert error in str(response.context["adminform"].form.errors)
    drawn_match.refresh_from_db()
    assert drawn_match.status == Match.Status.SCHEDULED and drawn_match.scheduled_at is None
    assert not AuditEntry.objects.filter(action__startswith="match.").exists()


def test_match_list_editable_schedules_through_the_service_and_warns(staff_client, staff_user):
    competition, _ = competition_with_teams(4)
    fixtures_generate(actor=staff_user, competition=competition)
    first, second = competition.matches.filter(round_no=1).order_by("slot")
    day = (timezone.localdate() + timedelta(days=2)).strftime("%Y-%m-%d")
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
    }
    for index, match in enumerate((first, second)):
        data.update(
            {
                f"form-{index}-id": match.pk,
                f"form-{index}-scheduled_at_0": day,
                f"form-{index}-scheduled_at_1": "09:00:00",
                f"form-{index}-venue": "市体育中心",
                f"form-{index}-court": "1号场",
            }
        )
    url = reverse("admin:activities_match_changelist") + f"?competition__id__exact={competition.pk}&round_no=1"
    response = staff_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert set(competition.matches.filter(round_no=1).values_list("court", flat=True)) == {"1号场"}
    assert any("booked twice" in t for t in messages_of(response))
    assert AuditEntry.objects.filter(action="match.schedule").count() == 2


def test_clear_results_action(staff_client, staff_user, drawn_match):
    from activities.services.results import match_record_result

    Match.objects.filter(pk=drawn_match.pk).update(scheduled_at=timezone.now())
    match_record_result(actor=staff_user, match=drawn_match, home_score=3, away_score=0)
    texts = messages_of(act(staff_client, "clear_results", [drawn_match], model="match"))
    assert any("Results cleared for 1" in t for t in texts)
    drawn_match.refresh_from_db()
    assert drawn_match.status == Match.Status.SCHEDULED


def test_matches_cannot_be_added_or_deleted_by_hand(staff_client, drawn_match):
    assert staff_client.get(reverse("admin:activities_match_add")).status_code == 403
    assert staff_client.get(reverse("admin:activities_match_delete", args=[drawn_match.pk])).status_code == 403


# --- Ranked results and judges' scores through the services ------------------------------------------------------


def test_ranked_result_admin_uses_the_service(staff_client):
    competition, teams = competition_with_teams(2, format=Competition.Format.RANKED)
    url = reverse("admin:activities_rankedresult_add")
    response = staff_client.post(url, {"team": teams[0].pk, "value": "", "note": ""})
    assert response.status_code == 200 and "DNF" in str(response.context["adminform"].form.errors)
    response = staff_client.post(url, {"team": teams[0].pk, "value": "12.34", "note": ""})
    assert response.status_code == 302
    assert RankedResult.objects.get(team=teams[0]).value == Decimal("12.34")
    # Adding for the same team again updates the one result.
    staff_client.post(url, {"team": teams[0].pk, "value": "12.30", "note": ""})
    assert RankedResult.objects.filter(team=teams[0]).count() == 1
    assert AuditEntry.objects.filter(action="ranked_result.record").count() == 2


def test_judge_score_admin_uses_the_service(staff_client):
    competition, teams = competition_with_teams(2, format=Competition.Format.JUDGED)
    url = reverse("admin:activities_judgescore_add")
    response = staff_client.post(url, {"team": teams[0].pk, "judge": "王评委", "score": "101"})
    assert response.status_code == 200 and "above 100" in str(response.context["adminform"].form.errors)
    response = staff_client.post(url, {"team": teams[0].pk, "judge": "王评委", "score": "92.5"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    score = JudgeScore.objects.get()
    response = staff_client.post(reverse("admin:activities_judgescore_change", args=[score.pk]), {"score": "93"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert JudgeScore.objects.get().score == 93


# --- Substitutions ----------------------------------------------------------------------------------------------


def test_substitution_actions_call_the_service(staff_client, staff_user):
    competition = CompetitionFactory(registration_deadline=timezone.now() - timedelta(days=1))
    unit = UnitFactory()
    outgoing, incoming, third = (CadreFactory(unit=unit, birth_date=date(1990, 1, 1)) for _ in range(3))
    team = TeamFactory(competition=competition, unit=unit, members=[outgoing])
    pending = Substitution.objects.create(team=team, outgoing=outgoing, incoming=incoming, reason="受伤")
    other = Substitution.objects.create(team=team, outgoing=outgoing, incoming=third, reason="出差")
    texts = messages_of(act(staff_client, "approve", [pending], model="substitution"))
    assert any("1 substitution(s) approved" in t for t in texts), texts
    assert list(TeamMember.objects.filter(team=team).values_list("cadre_id", flat=True)) == [incoming.pk]
    texts = messages_of(act(staff_client, "reject", [other, pending], model="substitution"))
    assert any("1 substitution(s) rejected" in t for t in texts)
    assert any("already been decided" in t for t in texts)
    other.refresh_from_db()
    assert other.status == Substitution.Status.REJECTED


# --- Change lists: they load, and their queries do not grow with the rows ----------------------------------------


def populate(size, staff_user):
    activity = ActivityFactory(has_medal_table=True)
    competition = CompetitionFactory(activity=activity, team_size_min=2, team_size_max=2)
    teams = [TeamFactory(competition=competition, place_no=i + 1) for i in range(size)]
    fixtures_generate(actor=staff_user, competition=competition)
    ranked = CompetitionFactory(activity=activity, format=Competition.Format.RANKED)
    judged = CompetitionFactory(activity=activity, format=Competition.Format.JUDGED)
    for i in range(size):
        team = TeamFactory(competition=ranked, place_no=i + 1)
        RankedResult.objects.create(team=team, value=10 + i)
        jteam = TeamFactory(competition=judged, place_no=i + 1, unit=team.unit)
        JudgeScore.objects.create(team=jteam, judge="甲", score=90)
        Placing.objects.create(competition=ranked, team=team, unit=team.unit, place=i + 1)
        OrganisationAward.objects.create(activity=activity, unit=team.unit)
        Registration.objects.create(activity=activity, cadre=CadreFactory(unit=team.unit), status="confirmed")
        member = teams[i].members.first().cadre
        Substitution.objects.create(team=teams[i], outgoing=member, incoming=CadreFactory(unit=teams[i].unit))
    CompetitionFactory(activity=ActivityFactory())


CHANGELISTS = [
    "activity",
    "competition",
    "team",
    "match",
    "rankedresult",
    "judgescore",
    "placing",
    "organisationaward",
    "registration",
    "substitution",
]


def test_change_lists_use_a_fixed_number_of_queries(staff_client, staff_user):
    def counts():
        result = {}
        for name in CHANGELISTS:
            with CaptureQueriesContext(connection) as queries:
                response = staff_client.get(reverse(f"admin:activities_{name}_changelist"))
            assert response.status_code == 200, name
            result[name] = len(queries.captured_queries)
        return result

    populate(3, staff_user)
    small = counts()
    populate(12, staff_user)
    large = counts()
    assert small == large
    assert max(large.values()) <= 25, large


@pytest.mark.parametrize("name", ["activity", "competition", "team", "match", "substitution", "placing"])
def test_change_pages_open(staff_client, staff_user, name):
    populate(2, staff_user)
    model = {
        "activity": Activity,
        "competition": Competition,
        "team": Team,
        "match": Match,
        "substitution": Substitution,
        "placing": Placing,
    }[name]
    obj = model.objects.first()
    response = staff_client.get(reverse(f"admin:activities_{name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_admin_pages_are_staff_only(client, cadre, liaison):
    competition, _ = competition_with_teams(1)
    for user in (cadre.user, liaison.user):
        client.force_login(user)
        for name in CHANGELISTS:
            assert client.get(reverse(f"admin:activities_{name}_changelist")).status_code == 302
        export = client.get(reverse("admin:activities_competition_export", args=[competition.pk]))
        assert export.status_code == 302 and export["Location"].startswith(reverse("admin:login"))


def test_organisation_awards_are_audited(staff_client):
    activity = ActivityFactory(has_medal_table=True)
    unit = UnitFactory()
    response = staff_client.post(
        reverse("admin:activities_organisationaward_add"),
        {"activity": activity.pk, "unit": unit.pk, "kind": "organisation", "note": "组织周密"},
    )
    assert response.status_code == 302
    award = OrganisationAward.objects.get()
    act(staff_client, "delete_selected", [award], model="organisationaward")
    staff_client.post(
        reverse("admin:activities_organisationaward_changelist"),
        {"action": "delete_selected", "_selected_action": [award.pk], "post": "yes"},
    )
    assert not OrganisationAward.objects.exists()
    entries = list(AuditEntry.objects.filter(action__startswith="organisation_award.").order_by("id"))
    assert [e.action for e in entries] == ["organisation_award.create", "organisation_award.delete"]
    assert entries[0].changes["new"] == {"unit": unit.pk, "kind": "organisation", "note": "组织周密"}
    assert entries[1].changes["old"]["unit"] == unit.pk and entries[1].object_id == str(award.pk)


def test_awards_inline_on_the_activity_is_audited(staff_client):
    activity = ActivityFactory(has_medal_table=True)
    kept, dropped, added = UnitFactory(), UnitFactory(), UnitFactory()
    first = OrganisationAward.objects.create(activity=activity, unit=kept)
    second = OrganisationAward.objects.create(activity=activity, unit=dropped)
    starts, ends = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    data = {
        "title": activity.title,
        "kind": activity.kind,
        "status": activity.status,
        "venue": activity.venue,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.strftime("%Y-%m-%d"),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "has_medal_table": "on",
        "points_by_place": "[7, 5, 4, 3, 2, 1]",
        "competitions-TOTAL_FORMS": "0",
        "competitions-INITIAL_FORMS": "0",
        "organisation_awards-TOTAL_FORMS": "3",
        "organisation_awards-INITIAL_FORMS": "2",
        "organisation_awards-0-id": first.pk,
        "organisation_awards-0-activity": activity.pk,
        "organisation_awards-0-unit": kept.pk,
        "organisation_awards-0-kind": "contribution",
        "organisation_awards-1-id": second.pk,
        "organisation_awards-1-activity": activity.pk,
        "organisation_awards-1-unit": dropped.pk,
        "organisation_awards-1-kind": "organisation",
        "organisation_awards-1-DELETE": "on",
        "organisation_awards-2-activity": activity.pk,
        "organisation_awards-2-unit": added.pk,
        "organisation_awards-2-kind": "organisation",
    }
    response = staff_client.post(reverse("admin:activities_activity_change", args=[activity.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    actions = sorted(
        AuditEntry.objects.filter(action__startswith="organisation_award.").values_list("action", "changes")
    )
    assert [a for a, _c in actions] == [
        "organisation_award.create",
        "organisation_award.delete",
        "organisation_award.update",
    ]
    update = dict(actions)["organisation_award.update"]
    assert update["old"]["kind"] == "organisation" and update["new"]["kind"] == "contribution"

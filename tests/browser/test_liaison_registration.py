"""A liaison on a phone registers a team and finds it on "my unit's teams"; after the draw, a member of that
team finds the match on "my schedule"."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from activities.models import Competition, Match, Team
from activities.services.fixtures import fixtures_generate, matches_schedule
from activities.services.teams import team_register
from tests.activities.factories import ActivityFactory, CompetitionFactory
from tests.browser.conftest import log_in
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_registers_a_team_on_a_phone(live_server, phone_page, artifacts_dir):
    unit = UnitFactory(name="市体育局", short_name="体育局")
    liaison = LiaisonFactory(unit=unit, name="赵联络")
    first = CadreFactory(unit=unit, name="钱乒乓", gender="M", birth_date=date(1990, 3, 1))
    second = CadreFactory(unit=unit, name="孙球拍", gender="M", birth_date=date(1985, 7, 9))
    woman = CadreFactory(unit=unit, name="李羽毛", gender="F", birth_date=date(1992, 1, 5))
    meet = ActivityFactory(title="2026年市直机关运动会")
    doubles = CompetitionFactory(
        activity=meet,
        name="男子乒乓球双打",
        team_size_min=2,
        team_size_max=2,
        gender_rule=Competition.GenderRule.MALE,
        capacity=16,
    )

    page = phone_page
    log_in(page, live_server.url, liaison.employee_no)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/activities/register/")
    page.get_by_test_id(f"register-{doubles.pk}").click()
    page.wait_for_url(f"**/activities/competitions/{doubles.pk}/teams/new/")

    # A women's cadre cannot be picked for a men's event; the search narrows the list on a small screen.
    assert page.get_by_test_id(f"member-{woman.pk}").is_disabled()
    page.get_by_test_id("member-search").fill("钱")
    assert not page.get_by_test_id(f"member-{second.pk}").is_visible()
    page.get_by_test_id(f"member-{first.pk}").check()
    page.get_by_test_id("member-search").fill("")
    page.get_by_test_id(f"member-{second.pk}").check()
    assert page.get_by_test_id("chosen-count").inner_text() == "2"
    page.screenshot(path=str(artifacts_dir / "liaison-team-form-phone.png"), full_page=True)
    page.get_by_test_id("team-submit").click()

    page.wait_for_url("**/activities/my-unit/teams/")
    team = Team.objects.get(competition=doubles)
    card = page.get_by_test_id(f"team-{team.pk}")
    assert card.is_visible()
    assert "体育局队1" in card.inner_text()
    members = card.get_by_test_id("team-members").inner_text()
    assert "钱乒乓" in members and "孙球拍" in members
    assert set(team.members.values_list("cadre_id", flat=True)) == {first.pk, second.pk}
    page.screenshot(path=str(artifacts_dir / "liaison-unit-teams-phone.png"), full_page=True)

    # Another unit enters too; the committee makes the draw and schedules the match.
    rival_unit = UnitFactory(name="市财政局", short_name="财政局")
    rival_liaison = LiaisonFactory(unit=rival_unit)
    rivals = CadreFactory.create_batch(2, unit=rival_unit, gender="M", birth_date=date(1988, 5, 5))
    team_register(actor=rival_liaison.user, competition=doubles, unit=rival_unit, members=rivals)
    staff = make_staff()
    fixtures_generate(actor=staff, competition=doubles)
    match = Match.objects.get(competition=doubles)
    matches_schedule(
        actor=staff, match=match, scheduled_at=timezone.now() + timedelta(days=3), venue="市全民健身中心", court="3号台"
    )

    # The member (not the liaison) logs in on a phone and finds the match on "my schedule".
    page.context.clear_cookies()
    log_in(page, live_server.url, first.employee_no)
    page.wait_for_url("**/me/")
    page.get_by_role("button", name="切换导航").click()
    page.locator("#portal-nav a[href='/activities/my/schedule/']").click()
    page.wait_for_url("**/activities/my/schedule/")
    upcoming = page.get_by_test_id("schedule-upcoming").inner_text()
    assert "体育局" in upcoming and "财政局" in upcoming
    assert "市全民健身中心" in upcoming and "3号台" in upcoming
    page.screenshot(path=str(artifacts_dir / "member-schedule-phone.png"), full_page=True)

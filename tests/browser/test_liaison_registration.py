"""A liaison on a phone registers a team for a competition and finds it on "my unit's teams".

(The second half of the issue's journey, a member finding the match on "my schedule", extends this file once
"my schedule" exists.)
"""

from datetime import date

import pytest

from activities.models import Competition, Team
from tests.activities.factories import ActivityFactory, CompetitionFactory
from tests.factories import TEST_PASSWORD, CadreFactory, LiaisonFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url, employee_no, password=TEST_PASSWORD):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("工号").fill(employee_no)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


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
    _log_in(page, live_server.url, liaison.employee_no)
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

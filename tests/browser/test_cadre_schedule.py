"""A cadre on a phone finds their team's next match, with its venue, on "my schedule", and the match's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import CalendarToken
from tests.activities.factories import CompetitionFactory, MatchFactory, TeamFactory
from tests.browser.conftest import log_in
from tests.factories import CadreFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cadre_sees_the_match_and_its_venue_on_my_schedule(live_server, phone_page, artifacts_dir):
    unit = UnitFactory(name="市教育局", short_name="教育局")
    cadre = CadreFactory(unit=unit, name="王小明")
    competition = CompetitionFactory(name="男子乒乓球单打", results_published=True)
    team = TeamFactory(competition=competition, unit=unit, members=[cadre])
    opponent = TeamFactory(competition=competition, unit=UnitFactory(short_name="财政局"), members=0)
    match = MatchFactory(
        competition=competition,
        home=team,
        away=opponent,
        scheduled_at=timezone.now() + timedelta(days=2),
        venue="市全民健身中心",
        court="3号台",
    )
    # Someone else's match must not show up.
    colleague = CadreFactory(unit=unit)
    other = MatchFactory(
        competition=competition,
        home=TeamFactory(competition=competition, unit=unit, members=[colleague]),
        scheduled_at=timezone.now() + timedelta(days=1),
    )

    page = phone_page
    log_in(page, live_server.url, cadre.employee_no)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/activities/my/schedule/")
    item = page.get_by_test_id(f"schedule-match-{match.pk}")
    assert item.is_visible()
    assert "市全民健身中心" in item.get_by_test_id("schedule-venue").inner_text()
    assert "3号台" in item.inner_text()
    assert "财政局" in item.inner_text()
    assert page.get_by_test_id(f"schedule-match-{other.pk}").count() == 0
    # Nothing is wider than the phone: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts_dir / "cadre-my-schedule-phone.png"), full_page=True)

    # The match leads to the competition's fixtures, where the same match is listed.
    item.click()
    page.wait_for_url(f"**/activities/competitions/{competition.pk}/")
    assert page.get_by_test_id(f"match-{match.pk}").is_visible()

    # The phone-calendar page gives a private link that serves the match as iCalendar.
    page.goto(f"{live_server.url}/activities/my/calendar/")
    page.get_by_test_id("create-link").click()
    feed_url = page.get_by_test_id("feed-url").input_value()
    assert CalendarToken.objects.get(cadre=cadre).token in feed_url
    response = page.request.get(feed_url)
    assert response.status == 200
    assert f"UID:match-{match.pk}@" in response.text()
    page.screenshot(path=str(artifacts_dir / "cadre-calendar-link-phone.png"), full_page=True)

"""The Content-Security-Policy breaks nothing: no page the browser opens reports a violation, htmx polling and
the portal's own script (round picker, calendar link, team form filter, progress bars) included."""

import pytest
from django.urls import reverse

from activities.models import Competition
from portal.reports.models import Report
from tests.activities.factories import ActivityFactory, CompetitionFactory, MatchFactory
from tests.browser.conftest import log_in
from tests.factories import LiaisonFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATION_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_no_page_reports_a_csp_violation(live_server, phone_page):
    staff = make_staff()
    liaison = LiaisonFactory()
    competition = CompetitionFactory(activity=ActivityFactory(), format=Competition.Format.ROUND_ROBIN)
    MatchFactory(competition=competition)
    report = Report.objects.create(year=2025, quarter=1, language="en", requested_by=staff, progress=40)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING)

    page = phone_page
    page.add_init_script(VIOLATION_LISTENER)
    console = []
    page.on("console", lambda message: console.append(message.text))

    pages = {
        staff.username: [
            reverse("portal:home"),
            reverse("activities:activity_list"),
            reverse("activities:activity_detail", args=[competition.activity_id]),
            reverse("activities:competition_detail", args=[competition.pk]),
            reverse("reports:list"),
            reverse("admin:index"),
            reverse("admin:activities_competition_change", args=[competition.pk]),
        ],
        liaison.employee_no: [
            reverse("activities:team_create", args=[competition.pk]),
            reverse("activities:my_calendar"),
        ],
    }
    violations = {}
    for username, urls in pages.items():
        page.context.clear_cookies()
        log_in(page, live_server.url, username)
        page.wait_for_load_state()
        for url in urls:
            page.goto(live_server.url + url)
            page.wait_for_timeout(300)  # let htmx poll once where it polls
            found = page.evaluate("window.__cspViolations")
            if found:
                violations[url] = found
    assert violations == {}
    assert not [text for text in console if "Content Security Policy" in text]

"""axe-core over the portal's own pages, as the roles that reach them: no serious or critical violation.

The counts per page and impact are printed (pytest -s) and written to test-artifacts/axe-summary.txt, with every
violation's rule and the elements it names, so a failure says what to fix.
"""

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from activities.models import Competition
from activities.services.fixtures import fixtures_generate
from activities.services.teams import team_register
from portal.models import Report
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory, make_leader, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = {"critical", "serious"}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"
    unit = UnitFactory(name="市教育局", short_name="教育局")
    staff = make_staff()
    cadre = CadreFactory(unit=unit, name="王小明")
    liaison = LiaisonFactory(unit=unit, name="李联络")
    referee = CadreFactory(name="赵裁判")
    meet = ActivityFactory(title="机关运动会", has_medal_table=True, open_to_individuals=True)
    league = CompetitionFactory(activity=meet, name="男子乒乓球单打", format=Competition.Format.ROUND_ROBIN)
    TeamFactory(competition=league, unit=unit, members=[cadre], place_no=1)
    for place_no in range(2, 5):
        TeamFactory(competition=league, place_no=place_no)
    fixtures_generate(actor=staff, competition=league)
    league.matches.update(scheduled_at=timezone.now() + timedelta(days=2), venue="市全民健身中心", court="3号台")
    league.referees.add(referee.user)
    cup = CompetitionFactory(activity=meet, name="羽毛球淘汰赛", format=Competition.Format.KNOCKOUT)
    for place_no in range(1, 5):
        TeamFactory(competition=cup, place_no=place_no)
    fixtures_generate(actor=staff, competition=cup)
    doubles = CompetitionFactory(activity=meet, name="混合双打", team_size_min=2, team_size_max=2, capacity=8)
    team = team_register(
        actor=liaison.user,
        competition=doubles,
        unit=unit,
        name="教育局一队",
        members=CadreFactory.create_batch(2, unit=unit),
    )
    report = Report.objects.create(year=2025, quarter=2, language="zh-hans", status=Report.Status.DONE, progress=100)
    report.file.save("portal-2025-q2.xlsx", ContentFile(b"PK"), save=True)
    match = league.matches.filter(home__isnull=False, away__isnull=False).first()
    return {
        "users": {
            "anonymous": None,
            "cadre": cadre.user,
            "liaison": liaison.user,
            "referee": referee.user,
            "staff": staff,
            "leader": make_leader(),
        },
        "pages": [
            ("anonymous", "home", "/"),
            ("anonymous", "login", "/accounts/login/"),
            ("anonymous", "activities", "/activities/"),
            ("anonymous", "activity calendar", "/activities/calendar/"),
            ("anonymous", "activity", f"/activities/{meet.pk}/"),
            ("anonymous", "medal table", f"/activities/{meet.pk}/medals/"),
            ("anonymous", "competition", f"/activities/competitions/{league.pk}/"),
            ("anonymous", "standings", f"/activities/competitions/{league.pk}/standings/"),
            ("anonymous", "bracket", f"/activities/competitions/{cup.pk}/bracket/"),
            ("cadre", "home (signed in)", "/"),
            ("cadre", "my page", "/me/"),
            ("cadre", "my schedule", "/activities/my/schedule/"),
            ("cadre", "my calendar", "/activities/my/calendar/"),
            ("cadre", "sign-up", f"/activities/{meet.pk}/signup/"),
            ("cadre", "password change", "/accounts/password/change/"),
            ("liaison", "unit page", f"/units/{unit.pk}/"),
            ("liaison", "initial passwords", f"/units/{unit.pk}/credentials/"),
            ("liaison", "register teams", "/activities/register/"),
            ("liaison", "new team", f"/activities/competitions/{doubles.pk}/teams/new/"),
            ("liaison", "edit team", f"/activities/teams/{team.pk}/edit/"),
            ("liaison", "withdraw team", f"/activities/teams/{team.pk}/withdraw/"),
            ("liaison", "substitute", f"/activities/teams/{team.pk}/substitute/"),
            ("liaison", "unit's teams", "/activities/my-unit/teams/"),
            ("referee", "referee home", "/activities/referee/"),
            ("referee", "referee competition", f"/activities/referee/competitions/{league.pk}/"),
            ("referee", "referee match", f"/activities/referee/matches/{match.pk}/"),
            ("leader", "reports", "/reports/"),
            ("leader", "dashboard", "/reports/dashboard/"),
            ("staff", "reports (staff)", "/reports/"),
        ],
    }


def _session_cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def test_the_portals_pages_have_no_serious_accessibility_violations(live_server, browser, world, artifacts_dir):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    contexts = {}
    summary, failures = [], []
    try:
        for role, label, path in world["pages"]:
            if role not in contexts:
                # No bypass_csp: the pages are checked as the policy lets them run (Playwright's evaluate, which
                # injects axe, is not subject to the page's CSP).
                context = contexts[role] = browser.new_context(viewport=DESKTOP, locale="zh-CN")
                if world["users"][role] is not None:
                    context.add_cookies([_session_cookie(world["users"][role], live_server.url)])
            page = contexts[role].new_page()
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{role} {path}: {response.status}"
            violations = axe.run(page).response["violations"]
            counts = Counter()
            for violation in violations:
                counts[violation["impact"]] += len(violation["nodes"])
                if violation["impact"] in FAILING:
                    targets = [node["target"] for node in violation["nodes"]][:5]
                    failures.append(f"{label} ({path}, {role}): {violation['id']} [{violation['impact']}] {targets}")
            rules = ", ".join(sorted(f"{v['id']} ({v['impact']})" for v in violations))
            summary.append(f"{label:<22} {role:<10} " + " ".join(f"{i}={counts[i]}" for i in IMPACTS) + f"  {rules}")
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    report = "\n".join(["axe-core violations (nodes) per page:", *summary, "", *failures])
    print("\n" + report)
    (artifacts_dir / "axe-summary.txt").write_text(report + "\n")
    (artifacts_dir / "axe-failures.json").write_text(json.dumps(failures, ensure_ascii=False, indent=1))
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)

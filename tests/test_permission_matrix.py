"""The permission matrix: every URL of the portal, for every role, answers the expected status to a GET.

The URLconf is walked recursively (namespaces, includes and the admin); a URL without a row fails
`test_every_url_has_a_row`, so nobody forgets to decide who may see a new page.

Adding a URL: add one entry to MATRIX, keyed by its URL name ("app:name"; an unnamed URL by its path), with the
kwargs it needs (built from the objects of `url_context`) and the status of a GET for each role of ROLES. Adding a
ModelAdmin: add one entry to ADMIN_MODELS (its object, and what staff may not do); its changelist, add, change,
delete and history rows are generated; a custom admin view of its get_urls() still needs its own MATRIX entry.
POST-only URLs are listed with the status of a GET (405, or 302/404 before the method is looked at); what a POST
may do is tested next to the view (the `post_checked_in` comments say where).
"""

import io
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from activities.models import (
    Activity,
    CalendarToken,
    Competition,
    JudgeScore,
    OrganisationAward,
    Placing,
    RankedResult,
    Registration,
    Substitution,
)
from activities.services.fixtures import fixtures_generate
from activities.services.teams import team_register
from portal.models import AuditEntry, Report, RosterImport
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db

# The users of each role come from the `role_users` fixture (tests/conftest.py). liaison: of `unit`, the unit the
# objects below belong to; other_liaison: of another unit; referee: of `refereed_competition` (c.league).
ROLES = ("anonymous", "cadre", "liaison", "other_liaison", "referee", "staff", "leader")
CADRE_ROLES = ("cadre", "liaison", "other_liaison", "referee")  # the roles with a Cadre (staff and leader have none)


def every(status: int) -> dict:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, **overrides: int) -> dict:
    """Anonymous users are sent to log in (302); every signed-in role gets `status` unless overridden."""
    return {"anonymous": 302, **dict.fromkeys(ROLES[1:], status), **overrides}


def staff_only_admin(staff: int = 200) -> dict:
    """The admin sends everyone but committee staff to its login page."""
    return {**every(302), "staff": staff}


PUBLIC = every(200)
CADRES = signed_in(200, staff=404, leader=404)  # pages about "me" need a Cadre
LIAISONS = signed_in(404, liaison=200, other_liaison=200)
OWN_TEAM = signed_in(404, liaison=200)  # the team belongs to the liaison's unit
REFEREES = signed_in(404, referee=200, staff=200)
REPORTS = signed_in(404, staff=200, leader=200)

# url name (or path of an unnamed URL) -> (kwargs builder from the url_context namespace, or None; {role: status})
MATRIX = {
    # ------------------------------------------------------------------------------------------------- portal
    "portal:home": (None, PUBLIC),
    "portal:my_page": (None, signed_in(200)),
    "portal:my_unit": (None, signed_in(404, liaison=302, other_liaison=302)),  # a liaison goes to their unit
    "portal:unit_detail": (lambda c: {"pk": c.unit.pk}, signed_in(404, liaison=200, staff=200, leader=200)),
    # Staff issue passwords from the admin (units: "issue initial passwords"); POST: tests/portal/test_credentials.py
    "portal:unit_credentials": (lambda c: {"pk": c.unit.pk}, signed_in(404, liaison=200)),
    # Development only (DEBUG, as in the tests): posters are public, like the pages that show them.
    "media": (lambda c: {"path": c.poster_path}, PUBLIC),
    "login": (None, {**every(302), "anonymous": 200}),
    "logout": (None, every(405)),  # post_checked_in: tests/portal/test_views.py
    "password_change": (None, signed_in(200)),
    "password_change_done": (None, signed_in(200)),
    "set_language": (None, every(302)),  # post_checked_in: tests/portal/test_i18n.py
    "healthz": (None, PUBLIC),
    "/robots.txt": (None, PUBLIC),
    # ------------------------------------------------------------------------------------- reports (portal)
    "reports:list": (None, REPORTS),
    "reports:dashboard": (None, REPORTS),
    "reports:generate": (None, signed_in(404, staff=405, leader=405)),  # post_checked_in: test_reports_views.py
    "reports:status": (lambda c: {"pk": c.report.pk}, REPORTS),
    "reports:download": (lambda c: {"pk": c.report.pk}, REPORTS),
    # ------------------------------------------------------------------------------- activities: public pages
    "activities:activity_list": (None, PUBLIC),
    "activities:activity_calendar": (None, PUBLIC),
    "activities:activity_detail": (lambda c: {"pk": c.meet.pk}, PUBLIC),
    "activities:medal_table": (lambda c: {"pk": c.meet.pk}, PUBLIC),
    "activities:competition_detail": (lambda c: {"pk": c.league.pk}, PUBLIC),
    "activities:competition_standings": (lambda c: {"pk": c.league.pk}, PUBLIC),
    "activities:competition_bracket": (lambda c: {"pk": c.cup.pk}, PUBLIC),
    "activities:competition_ics": (lambda c: {"pk": c.league.pk}, PUBLIC),
    # ------------------------------------------------------------------------------------ activities: cadres
    "activities:my_schedule": (None, CADRES),
    "activities:my_calendar": (None, CADRES),  # post_checked_in: tests/activities/test_ics.py
    "activities:cadre_ics": (lambda c: {"token": c.calendar_token.token}, PUBLIC),  # the token is the key
    "activities:signup": (lambda c: {"pk": c.meet.pk}, CADRES),  # post_checked_in: test_signup.py
    # ---------------------------------------------------------------------------------- activities: liaisons
    # Liaison pages are for liaisons only: staff work in the admin (through the same services), leadership reads.
    # post_checked_in: tests/activities/test_team_views.py (forged POSTs on someone else's team)
    "activities:register": (None, LIAISONS),
    "activities:unit_teams": (None, LIAISONS),
    "activities:team_create": (lambda c: {"pk": c.doubles.pk}, LIAISONS),
    "activities:team_edit": (lambda c: {"pk": c.team.pk}, OWN_TEAM),
    "activities:team_withdraw": (lambda c: {"pk": c.team.pk}, OWN_TEAM),
    "activities:team_substitute": (lambda c: {"pk": c.team.pk}, OWN_TEAM),
    # ---------------------------------------------------------------------------------- activities: referees
    "activities:referee_home": (None, REFEREES),
    "activities:referee_competition": (lambda c: {"pk": c.league.pk}, REFEREES),
    "activities:referee_match": (lambda c: {"pk": c.match.pk}, REFEREES),  # post_checked_in: test_referee.py
    # ---------------------------------------------------------------------------------------- the admin site
    "admin:index": (None, staff_only_admin()),
    "admin:login": (None, {**every(200), "staff": 302}),  # signed in without the admin: the form says so
    "admin:logout": (None, staff_only_admin(405)),
    "admin:password_change": (None, staff_only_admin()),
    "admin:password_change_done": (None, staff_only_admin()),
    "admin:autocomplete": (None, staff_only_admin(403)),  # without its query parameters
    "admin:jsi18n": (None, staff_only_admin()),
    "admin:view_on_site": (
        lambda c: {"content_type_id": ContentType.objects.get_for_model(Activity).pk, "object_id": c.meet.pk},
        staff_only_admin(404),  # no model of ours has a page of its own on the site (get_absolute_url)
    ),
    "admin:app_list": (lambda c: {"app_label": "activities"}, staff_only_admin()),
    # Custom views of our ModelAdmins (their standard views are generated from ADMIN_MODELS below).
    "admin:portal_cadre_import": (None, staff_only_admin()),
    "admin:portal_cadre_import_template": (None, staff_only_admin()),
    "admin:portal_cadre_import_job": (lambda c: {"pk": c.roster_import.pk}, staff_only_admin()),
    "admin:activities_competition_export": (lambda c: {"pk": c.league.pk}, staff_only_admin()),
    "admin:activities_competition_settings": (lambda c: {"object_id": c.league.pk}, staff_only_admin()),
    "admin:activities_activity_points": (lambda c: {"object_id": c.meet.pk}, staff_only_admin()),
}

# The same URL with objects in other states (kwargs builder, {role: status}).
VARIANTS = [
    ("activities:activity_detail", lambda c: {"pk": c.draft.pk}, signed_in(404, anonymous=404, staff=200)),
    ("activities:activity_detail", lambda c: {"pk": 999999}, every(404)),
    ("activities:medal_table", lambda c: {"pk": c.draft.pk}, signed_in(404, anonymous=404, staff=200)),
    ("activities:competition_detail", lambda c: {"pk": c.draft_league.pk}, signed_in(404, anonymous=404, staff=200)),
    (
        "activities:competition_standings",
        lambda c: {"pk": c.draft_league.pk},
        signed_in(404, anonymous=404, staff=200),
    ),
    ("activities:competition_ics", lambda c: {"pk": c.draft_league.pk}, signed_in(404, anonymous=404, staff=200)),
    ("activities:competition_bracket", lambda c: {"pk": c.league.pk}, every(302)),  # to the competition's page
    ("activities:team_edit", lambda c: {"pk": 999999}, signed_in(404)),
    # The other unit's page answers its own liaison only.
    ("portal:unit_credentials", lambda c: {"pk": c.other_unit.pk}, signed_in(404, other_liaison=200)),
    ("media", lambda c: {"path": "posters/missing.png"}, every(404)),
    # The referee referees the league, not the cup.
    ("activities:referee_competition", lambda c: {"pk": c.cup.pk}, signed_in(404, staff=200)),
    ("activities:referee_match", lambda c: {"pk": c.cup_match.pk}, signed_in(404, staff=200)),
]

# The ModelAdmins of our own apps: "app_label.model" -> (its object in url_context, staff statuses that are not 200).
# Rows whose history matters cannot be added or deleted by hand (403): they come and go through services.
READ_ONLY = {"add": 403, "delete": 403}
ADMIN_MODELS = {
    "portal.unit": (lambda c: c.unit, {"delete": 403}),  # deactivated, not deleted: history refers to it
    "portal.cadre": (lambda c: c.cadre, {"delete": 403}),
    "portal.auditentry": (lambda c: c.audit_entry, READ_ONLY),
    "portal.report": (lambda c: c.report, READ_ONLY),
    "portal.rosterimport": (lambda c: c.roster_import, READ_ONLY),  # created by uploading a roster
    "activities.activity": (lambda c: c.meet, {"delete": 403}),  # cancelled, not deleted
    "activities.organisationaward": (lambda c: c.award, {}),
    "activities.registration": (lambda c: c.registration, READ_ONLY),
    "activities.competition": (lambda c: c.league, {"delete": 403}),
    "activities.team": (lambda c: c.team, READ_ONLY),  # entered and withdrawn by liaisons through services
    "activities.substitution": (lambda c: c.substitution, READ_ONLY),
    "activities.match": (lambda c: c.match, READ_ONLY),
    "activities.rankedresult": (lambda c: c.ranked_result, {"delete": 403}),
    "activities.judgescore": (lambda c: c.judge_score, {"delete": 403}),
    "activities.placing": (lambda c: c.placing, READ_ONLY),
}
ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")
OUR_APPS = {"portal", "activities", "clubs", "reading", "volunteers", "budget"}
# Django's and other packages' ModelAdmins: their changelist has a row (staff read Celery and login-attempt records,
# and have no business in auth's); their other views are those packages' own code.
THIRD_PARTY_STAFF = {"auth": 403}


def _admin_rows() -> tuple[dict, dict]:
    """The generated admin rows, and for each the model it belongs to (its rows are checked in one test)."""
    rows, model_of = {}, {}
    for model in admin.site._registry:
        app_label, model_name = model._meta.app_label, model._meta.model_name
        prefix = f"admin:{app_label}_{model_name}"
        if app_label not in OUR_APPS:
            rows[f"{prefix}_changelist"] = (None, staff_only_admin(THIRD_PARTY_STAFF.get(app_label, 200)))
            continue
        label = f"{app_label}.{model_name}"
        if label not in ADMIN_MODELS:
            continue  # test_every_url_has_a_row names it
        get_object, staff = ADMIN_MODELS[label]
        for view in ADMIN_VIEWS:
            kwargs = None if view in ("changelist", "add") else (lambda c, get=get_object: {"object_id": get(c).pk})
            rows[f"{prefix}_{view}"] = (kwargs, staff_only_admin(staff.get(view, 200)))
            model_of[f"{prefix}_{view}"] = prefix
    return rows, model_of


_ADMIN_ROWS, _ADMIN_MODEL_OF = _admin_rows()
ROWS = {**_ADMIN_ROWS, **MATRIX}
GROUPS: dict[str, list[str]] = {}
for _name in sorted(ROWS):
    GROUPS.setdefault(_ADMIN_MODEL_OF.get(_name, _name), []).append(_name)


# ------------------------------------------------------------------------------------------------ the objects


@pytest.fixture
def url_context(settings, tmp_path, unit, other_unit, cadre, liaison, other_liaison, staff_user, refereed_competition):
    """One real object of every kind a URL names; everything that belongs to a unit belongs to `unit`."""
    settings.REPORTS_ROOT = tmp_path / "private" / "reports"
    meet = ActivityFactory(title="Sports meet", has_medal_table=True, open_to_individuals=True)
    doubles = CompetitionFactory(activity=meet, name="Doubles", team_size_min=2, team_size_max=2, capacity=8)
    members = CadreFactory.create_batch(2, unit=unit)
    team = team_register(actor=liaison.user, competition=doubles, unit=unit, name="Alpha", members=members)
    cup = CompetitionFactory(activity=meet, format=Competition.Format.KNOCKOUT)
    for place_no in range(1, 5):
        TeamFactory(competition=cup, place_no=place_no)
    fixtures_generate(actor=staff_user, competition=cup)
    ranked = CompetitionFactory(activity=meet, format=Competition.Format.RANKED)
    judged = CompetitionFactory(activity=meet, format=Competition.Format.JUDGED)
    league = refereed_competition
    league_team = league.teams.first()
    draft = ActivityFactory(status=Activity.Status.DRAFT, has_medal_table=True)
    report = Report.objects.create(year=2025, quarter=2, language="en", status=Report.Status.DONE, progress=100)
    report.file.save("portal-2025-q2.xlsx", ContentFile(b"PK\x03\x04 not really a workbook"), save=True)
    poster_path = default_storage.save("posters/matrix.png", ContentFile(_tiny_png()))
    return SimpleNamespace(
        unit=unit,
        other_unit=other_unit,
        poster_path=poster_path,
        cadre=cadre,
        meet=meet,
        doubles=doubles,
        team=team,
        cup=cup,
        cup_match=cup.matches.filter(home__isnull=False, away__isnull=False).first(),
        league=league,
        match=league.matches.filter(home__isnull=False, away__isnull=False).first(),
        draft=draft,
        draft_league=CompetitionFactory(activity=draft),
        report=report,
        roster_import=RosterImport.objects.create(
            original_name="roster.xlsx", status=RosterImport.Status.DONE, progress=100, requested_by=staff_user
        ),
        audit_entry=AuditEntry.objects.order_by("pk").first(),
        calendar_token=CalendarToken.objects.create(cadre=cadre),
        registration=Registration.objects.create(activity=meet, cadre=cadre, status=Registration.Status.CONFIRMED),
        award=OrganisationAward.objects.create(activity=meet, unit=unit),
        substitution=Substitution.objects.create(
            team=team, outgoing=members[0], incoming=CadreFactory(unit=unit), requested_by=liaison.user
        ),
        ranked_result=RankedResult.objects.create(team=TeamFactory(competition=ranked), value=12),
        judge_score=JudgeScore.objects.create(team=TeamFactory(competition=judged), judge="Judge A", score=9),
        placing=Placing.objects.create(competition=league, team=league_team, unit=league_team.unit, place=1),
    )


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _statuses(role_users, url: str) -> dict:
    statuses = {}
    for role in ROLES:
        client = Client()
        if role_users[role] is not None:
            client.force_login(role_users[role])
        statuses[role] = client.get(url).status_code
    return statuses


def _url(name: str, kwargs, context) -> str:
    if name.startswith("/"):
        return name
    return reverse(name, kwargs=kwargs(context) if kwargs else None)


# -------------------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_permission_matrix(role_users, url_context, group):
    wrong = {}
    for name in GROUPS[group]:
        kwargs, expected = ROWS[name]
        statuses = _statuses(role_users, _url(name, kwargs, url_context))
        if statuses != expected:
            wrong[name] = {
                role: f"{expected[role]}, got {statuses[role]}" for role in ROLES if statuses[role] != expected[role]
            }
    assert not wrong, f"expected status per role: {wrong}"


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), VARIANTS, ids=lambda value: value if isinstance(value, str) else ""
)
def test_permission_matrix_variants(role_users, url_context, name, kwargs, expected):
    url = _url(name, kwargs, url_context)
    assert _statuses(role_users, url) == expected, f"GET {url}"


def test_anonymous_users_are_sent_to_log_in(client, url_context):
    """A 302 for anonymous users on a page that needs a login goes to the login page (the admin: its own)."""
    for name, (kwargs, expected) in ROWS.items():
        if expected["anonymous"] != 302 or name in ("set_language", "portal:my_unit"):
            continue
        location = client.get(_url(name, kwargs, url_context))["Location"]
        if name == "admin:logout":
            assert location == reverse("admin:index")  # which sends to its login page
        else:
            login = reverse("admin:login") if name.startswith("admin:") else reverse("login")
            assert location.startswith(login), f"{name} -> {location}"


def _walk(patterns, namespace=(), prefix="/"):
    """(key, in the admin) for every URL pattern: "ns:name" for a named one, its path for an unnamed one."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            in_admin = namespace[:1] == ("admin",)
            if pattern.name:
                yield ":".join((*namespace, pattern.name)), in_admin
            else:
                yield prefix + str(pattern.pattern), in_admin


def _third_party_admin(name: str) -> bool:
    return name.startswith("admin:") and not any(name.startswith(f"admin:{label}_") for label in OUR_APPS)


def test_every_url_has_a_row():
    """A new URL (or ModelAdmin) without a row in the matrix fails here, so nobody forgets its permissions."""
    missing = []
    for key, in_admin in _walk(get_resolver().url_patterns):
        if key in ROWS:
            continue
        if in_admin and (key.startswith("/") or _third_party_admin(key)):
            # Unnamed admin URLs redirect to named ones (an object's bare URL to its change page, the catch-all
            # to the login page); other packages' admin views beyond their changelist are their code.
            continue
        missing.append(key)
    unlisted = sorted(
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in OUR_APPS and f"{model._meta.app_label}.{model._meta.model_name}" not in ADMIN_MODELS
    )
    assert not (unlisted or missing), (
        f"ModelAdmins without an ADMIN_MODELS entry: {unlisted}; URLs without a row in MATRIX: {sorted(missing)}"
    )


def test_every_row_names_a_url_and_every_role():
    keys = {key for key, _ in _walk(get_resolver().url_patterns)}
    assert set(ROWS) <= keys, f"rows for URLs that no longer exist: {sorted(set(ROWS) - keys)}"
    for name, (_kwargs, expected) in [*ROWS.items(), *((v[0], v[1:]) for v in VARIANTS)]:
        assert set(expected) == set(ROLES), name

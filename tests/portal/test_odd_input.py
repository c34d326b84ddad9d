"""Hostile input in any URL answers 4xx, never 500, for every URL of the URLconf and every role.

The URLconf is walked recursively; each URL is requested with its parameters replaced by odd values (a
superscript digit passes str.isdigit(), Arabic-Indic digits pass int(), 10**20 overflows a 64-bit column on
SQLite, a NUL byte...) and with the same odd values in the query strings the views read. Every case runs with
DEBUG off and the client returning the 500 page instead of raising, as production would.
"""

import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import translation

from portal.converters import IdConverter
from portal.numbers import MAX_ID, parse_positive_int, parse_positive_ints
from portal.reports.models import Report
from tests.activities.factories import ActivityFactory, CompetitionFactory, MatchFactory, TeamFactory

HOSTILE = ["²", "١", str(10**20), "-1", "abc", "%00"]
# Every query parameter a view or the admin reads, plus a few any view might read one day.
QUERY_KEYS = ["page", "round", "month", "show", "q", "kind", "unit", "year", "quarter", "first", "p", "o", "next"]
PARAMETER = re.compile(r"<(?:[^>:]+:)?[^>]+>")
REGEX_GROUP = re.compile(r"\(\?P<[^>]+>[^)]*\)")


def _leaf_routes(patterns=None, prefix=""):
    """Each URL pattern as a path with "{}" where its parameters go ("units/{}/", "admin/auth/user/{}/change/")."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            route = REGEX_GROUP.sub("{}", route).replace("^", "").replace("$", "").replace("\\", "")
        else:
            route = PARAMETER.sub("{}", route)
        if isinstance(pattern, URLResolver):
            yield from _leaf_routes(pattern.url_patterns, prefix + route)
        else:
            yield "/" + prefix + route


def _server_errors(client, urls):
    """The paths among `urls` that answer 5xx, each with the first query string that broke it."""
    failures = {}
    for url in urls:
        if client.get(url).status_code >= 500:
            failures.setdefault(url.split("?")[0], url)
    return sorted(failures.values())


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.fixture
def world(db, liaison, staff_user):
    """One of each object the pages show, so that valid ids get past the 404 to the views' own parsing."""
    activity = ActivityFactory()
    competition = CompetitionFactory(activity=activity)
    team = TeamFactory(competition=competition, unit=liaison.unit)
    match = MatchFactory(competition=competition, home=team)
    report = Report.objects.create(year=2025, quarter=1, version=1, language="en", requested_by=staff_user)
    return {
        "unit": liaison.unit,
        "cadre": liaison,
        "activity": activity,
        "competition": competition,
        "team": team,
        "match": match,
        "report": report,
        "user": staff_user,
    }


# Which object a route's "{}" stands for, by the path segment before it (admin: by model name).
SEGMENT_OBJECT = {"units": "unit", "activities": "activity", "competitions": "competition", "teams": "team"}
SEGMENT_OBJECT |= {"matches": "match", "reports": "report"}


def _valid_url(route, world):
    """`route` with the id of a real object of the right kind, or None when there is none to hand."""
    if "{}" not in route:
        return route
    segments = route.strip("/").split("/")
    index = next(i for i, segment in enumerate(segments) if "{}" in segment)
    name = segments[2] if segments[0] == "admin" and len(segments) > 3 else SEGMENT_OBJECT.get(segments[index - 1])
    obj = world.get(name)
    if obj is None or route.count("{}") > 1:
        return None
    return route.replace("{}", str(obj.pk))


def _role_routes(role_users, routes):
    """(role, client, routes it should try): the admin only for staff (it sends everyone else to its login)."""
    for role in ("anonymous", "liaison", "staff"):
        client = Client(raise_request_exception=False)
        if role_users[role] is not None:
            client.force_login(role_users[role])
        yield role, client, [r for r in routes if role == "staff" or not r.startswith("/admin/") or "login" in r]


@pytest.mark.usefixtures("production")
def test_no_url_answers_500_to_hostile_path_values(role_users):
    routes = sorted({route for route in _leaf_routes() if "{}" in route})
    assert any("/admin/" in route for route in routes) and any("units/" in route for route in routes)
    with translation.override("en"):
        failures = {
            role: _server_errors(client, [route.replace("{}", value) for route in tried for value in HOSTILE])
            for role, client, tried in _role_routes(role_users, routes)
        }
    assert failures == {role: [] for role in failures}


@pytest.mark.usefixtures("production")
def test_no_url_answers_500_to_hostile_query_values(role_users, world):
    urls = sorted({url for route in _leaf_routes() if (url := _valid_url(route, world))})
    assert f"/activities/competitions/{world['competition'].pk}/" in urls
    # Every key gets every hostile value, a different one per key in each request.
    queries = [
        "&".join(f"{key}={HOSTILE[(turn + k) % len(HOSTILE)]}" for k, key in enumerate(QUERY_KEYS))
        for turn in range(len(HOSTILE))
    ]
    with translation.override("en"):
        failures = {
            role: _server_errors(client, [f"{url}?{query}" for url in tried for query in queries])
            for role, client, tried in _role_routes(role_users, urls)
        }
    assert failures == {role: [] for role in failures}


@pytest.mark.usefixtures("production")
def test_a_huge_id_is_a_translated_404(client, settings):
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/units/99999999999999999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.usefixtures("production")
def test_a_superscript_round_falls_back_to_the_default_page(client, world):
    client.raise_request_exception = False
    url = f"/activities/competitions/{world['competition'].pk}/"
    assert client.get(url, {"round": "²"}).status_code == 200
    assert client.get(url, {"round": str(10**20)}).status_code == 200


@pytest.mark.usefixtures("production")
def test_the_admin_change_page_of_a_competition_with_an_odd_id_does_not_crash(client, staff_user, world):
    client.raise_request_exception = False
    client.force_login(staff_user)
    for value in ("²", "abc", str(10**20)):
        response = client.get(f"/admin/activities/competition/{value}/change/")
        assert response.status_code in (302, 404)


@pytest.mark.usefixtures("production")
def test_the_500_page_is_translated_and_needs_no_request(settings):
    from django.template.loader import render_to_string

    with translation.override("en"):
        page = render_to_string("500.html")
    assert "Something went wrong on our side" in page
    assert "/static/css/portal.css" in page


@pytest.mark.usefixtures("production")
def test_an_unhandled_error_shows_the_portal_500_page(client, monkeypatch, db, settings):
    from portal.views import HomeView

    def explode(self, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(HomeView, "get_context_data", explode)
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.usefixtures("production")
def test_a_disallowed_host_gets_the_portal_400_page(client, settings, db):
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_HOST="evil.invalid")
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()


@pytest.mark.usefixtures("production")
def test_a_nul_character_in_the_url_is_a_400_before_any_query(client, settings, staff_user, django_assert_num_queries):
    # PostgreSQL text cannot hold NUL: an admin search or filter given one was a DataError (500) there.
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_num_queries(0):
        response = client.get("/activities/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()
    client.force_login(staff_user)
    assert client.get("/admin/portal/auditentry/", {"q": "\x00"}).status_code == 400
    assert client.get("/admin/portal/auditentry/", {"\x00": "1"}).status_code == 400
    assert client.get("/admin/portal/auditentry/", {"q": "%00"}).status_code == 200  # the text "%00" is fine


@pytest.mark.usefixtures("production")
def test_a_forged_post_gets_the_portal_csrf_page(settings, db):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "The form could not be accepted" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (str(10**20), None),
        ("²", None),
        ("١", None),
        ("１", None),  # full-width one
        ("0", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (True, None),
        (7, 7),
        ([], None),
    ],
)
def test_parse_positive_int_accepts_ascii_digits_within_64_bits_only(value, expected):
    assert parse_positive_int(value) == expected


def test_parse_positive_int_maximum_and_default():
    assert parse_positive_int("5", maximum=4) is None
    assert parse_positive_int("5", maximum=4, default=1) == 1
    assert parse_positive_int("x", default=3) == 3
    assert parse_positive_ints(["1", "2", "²", "2", "", str(10**20)]) == {1, 2}


def test_the_id_converter_matches_only_ids_a_row_can_have():
    converter = IdConverter()
    assert re.fullmatch(converter.regex, "1") and re.fullmatch(converter.regex, str(MAX_ID))
    for text in ("0", "01", "²", "١", str(10**20)):
        matched = re.fullmatch(converter.regex, text)
        if matched:
            with pytest.raises(ValueError):
                converter.to_python(text)
    with pytest.raises(ValueError):
        converter.to_python(str(MAX_ID + 1))

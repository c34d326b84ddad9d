"""Password spraying: failed logins throttled per address across accounts and for the whole site (portal.throttle),
on top of axes' per-(employee number, address) lock; and login by employee number in any letter case."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse

from portal import throttle
from tests.factories import TEST_PASSWORD, CadreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    settings.LOGIN_FAILURES_GLOBAL = 100
    settings.LOGIN_FAILURES_WINDOW_SECONDS = 900


def browser(address="10.0.0.1", **meta):
    return Client(REMOTE_ADDR=address, **meta)


def login(client, username, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_one_address_spraying_many_accounts_is_stopped(unit, monkeypatch, settings):
    victims = CadreFactory.create_batch(4, unit=unit)
    attacker = browser()
    # One wrong guess per account: axes (5 per account) never triggers, the address limit (3) does.
    for victim in victims[:3]:
        assert login(attacker, victim.employee_no, "Portal@2026").status_code == 200
    checked = []
    real_authenticate = ModelBackend.authenticate
    monkeypatch.setattr(
        ModelBackend, "authenticate", lambda self, *a, **kw: checked.append(1) or real_authenticate(self, *a, **kw)
    )
    attacker.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = login(attacker, victims[3].employee_no)  # even the right password
    assert response.status_code == 429
    assert not logged_in(attacker)
    assert checked == []  # the password was never checked
    assert 60 <= int(response["Retry-After"]) <= 900 + 5
    assert "Too many failed logins" in response.content.decode()
    assert "too many wrong passwords from your network" in response.content.decode()


def test_other_addresses_and_successful_logins_are_not_throttled(unit):
    cadres = CadreFactory.create_batch(2, unit=unit)
    attacker = browser("10.0.0.1")
    for _ in range(3):
        login(attacker, cadres[0].employee_no, "wrong-password")
    assert login(attacker, cadres[1].employee_no).status_code == 429
    colleague = browser("10.0.0.2")
    assert login(colleague, cadres[1].employee_no).status_code == 302
    # Successful logins are not failures: one address may log many people in (a shared office computer).
    office = browser("10.0.0.3")
    for _ in range(5):
        assert login(office, cadres[0].employee_no).status_code == 302
        office.post(reverse("logout"))


def test_the_address_may_try_again_after_the_window(unit, monkeypatch, settings):
    import time

    cadre = CadreFactory(unit=unit)
    attacker = browser()
    for _ in range(3):
        login(attacker, f"nobody{_}", "wrong-password")
    assert login(attacker, cadre.employee_no).status_code == 429
    later = time.time() + settings.LOGIN_FAILURES_WINDOW_SECONDS + 10
    monkeypatch.setattr(time, "time", lambda: later)
    assert login(attacker, cadre.employee_no).status_code == 302


def test_above_the_site_ceiling_only_addresses_without_failures_may_try(unit, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    settings.LOGIN_FAILURES_GLOBAL = 3
    cadre = CadreFactory(unit=unit)
    bots = [browser(f"10.0.1.{n}") for n in range(3)]
    for bot in bots:
        login(bot, cadre.employee_no, "wrong-password")
    # A spray from many addresses: each address that failed waits, so each bot had one guess...
    assert login(bots[0], cadre.employee_no).status_code == 429
    # ...while people who type their password right from elsewhere still get in.
    newcomer = browser("10.0.2.1")
    assert login(newcomer, cadre.employee_no).status_code == 302


def test_the_admin_login_form_is_throttled_too(unit, staff_user):
    attacker = browser()
    for n in range(3):
        attacker.post(reverse("admin:login"), {"username": f"nobody{n}", "password": "wrong"})
    response = attacker.post(reverse("admin:login"), {"username": staff_user.username, "password": TEST_PASSWORD})
    assert response.status_code == 200  # the admin shows its own form error
    assert not logged_in(attacker)
    assert login(attacker, staff_user.username).status_code == 429


def test_axes_lock_per_account_and_address_still_holds(unit, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    cadre = CadreFactory(unit=unit)
    client = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, cadre.employee_no, "wrong-password")
    response = login(client, cadre.employee_no)
    assert response.status_code == 429
    assert not logged_in(client)


def test_client_address_behind_trusted_proxies(rf, settings):
    request = rf.post("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3")
    settings.TRUSTED_PROXY_COUNT = 0
    assert throttle.client_ip(request) == "172.18.0.5"  # nobody trusted: the header is the client's own words
    settings.TRUSTED_PROXY_COUNT = 1
    assert throttle.client_ip(request) == "10.1.2.3"  # what our proxy saw; "6.6.6.6" was forged by the client
    settings.TRUSTED_PROXY_COUNT = 3
    assert throttle.client_ip(request) == "172.18.0.5"


def test_a_cache_that_does_not_answer_does_not_lock_everybody_out(unit, monkeypatch):
    import django_ratelimit.core

    cadre = CadreFactory(unit=unit)
    monkeypatch.setattr(
        throttle,
        "get_usage",
        lambda *a, **kw: {"count": 0, "limit": 0, "should_limit": True, "time_left": -1},
    )
    assert django_ratelimit.core.get_usage is not throttle.get_usage
    assert login(browser(), cadre.employee_no).status_code == 302


# Employee numbers in another letter case ---------------------------------------------------------------------


def test_login_in_another_letter_case_reaches_the_one_account(unit):
    cadre = CadreFactory(unit=unit, employee_no="A001")
    client = browser()
    assert login(client, "a001").status_code == 302
    assert client.session["_auth_user_id"] == str(cadre.user_id)


def test_changing_letter_case_buys_no_extra_guesses(unit, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    CadreFactory(unit=unit, employee_no="AB12")
    client = browser()
    for spelling in ["AB12", "ab12", "Ab12", "aB12", "AB12"][: settings.AXES_FAILURE_LIMIT]:
        login(client, spelling, "wrong-password")
    assert login(client, "ab12").status_code == 429


def test_ambiguous_letter_case_never_logs_into_a_different_account(unit):
    # Two legacy accounts that differ only in case (created before the rule): the exact name decides.
    first = UserFactory(username="Legacy1")
    UserFactory(username="LEGACY1")
    client = browser()
    assert login(client, "legacy1").status_code == 200
    assert not logged_in(client)
    assert login(client, "Legacy1").status_code == 302
    assert client.session["_auth_user_id"] == str(first.pk)

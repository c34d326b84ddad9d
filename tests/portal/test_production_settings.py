"""The production settings really let people log in, in both documented modes, with CSRF checks on.

Each case builds the settings in a fresh interpreter (DEBUG off, as in docker-compose.yml) against a throwaway
SQLite file, and drives the login form with a client that behaves like a browser about cookies: a cookie marked
Secure is never sent back over plain HTTP. Before PORTAL_HTTPS existed the intranet mode marked the CSRF cookie
Secure, the browser dropped it and every login answered 403.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.portal.test_odd_input import _leaf_routes, _role_routes, _valid_url
from tests.portal.test_odd_input import world as world  # the fixture, shared

ROOT = Path(__file__).resolve().parents[2]

LOGIN_SCRIPT = textwrap.dedent(
    """
    import re, sys
    import django
    django.setup()
    from django.conf import settings
    # The production manifest exists only after collectstatic (the Docker build); plain storage names the same files.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    User.objects.create_user("op-1", password="Quite-strong-2026", is_staff=True)
    https = settings.PORTAL_HTTPS
    client = Client(enforce_csrf_checks=True, HTTP_HOST="portal.intranet.local")
    extra = {"secure": https}
    if https:
        # Browsers send Origin with a POST; Django checks it on HTTPS.
        extra["HTTP_ORIGIN"] = "https://portal.intranet.local"

    def drop_secure_cookies_over_http(response):
        for name, morsel in response.cookies.items():
            if morsel["secure"] and not https:
                client.cookies.pop(name, None)

    page = client.get("/accounts/login/", **extra)
    drop_secure_cookies_over_http(page)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    answer = client.post(
        "/accounts/login/",
        {"username": "op-1", "password": "Quite-strong-2026", "csrfmiddlewaretoken": token},
        **extra,
    )
    drop_secure_cookies_over_http(answer)
    print("login", answer.status_code, answer.get("Location"))
    print("me", client.get("/me/", **extra).status_code)
    print("secure-cookies", sorted(name for name, m in answer.cookies.items() if m["secure"]))
    print("csp", "default-src 'self'" in page.get("Content-Security-Policy", ""))
    """
)


def _login(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    settings_env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x9!k2m#p4q7r1s8t0u3v6w5y-z_a2b4c6d8e0f1g3h5j7k9m2n4p6",
        "ALLOWED_HOSTS": "portal.intranet.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'login.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "REPORTS_ROOT": str(tmp_path / "reports"),
        **env,
    }
    run = subprocess.run(
        [sys.executable, "-c", LOGIN_SCRIPT],
        cwd=ROOT,
        env={**clean, **settings_env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


@pytest.mark.parametrize(
    ("mode", "secure_cookies"),
    [({"PORTAL_HTTPS": "false"}, "[]"), ({}, "['csrftoken', 'sessionid']")],
    ids=["plain-http-intranet", "https"],
)
def test_login_works_with_csrf_checks_in_each_production_mode(tmp_path, mode, secure_cookies):
    lines = _login(tmp_path, **mode)
    assert lines[0] == "login 302 /me/"
    assert lines[1] == "me 200"
    assert lines[2] == f"secure-cookies {secure_cookies}"
    assert lines[3] == "csp True"


# --- Content-Security-Policy ---------------------------------------------------------------------------------

TEMPLATES_DIR = ROOT / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:|\shx-on", re.IGNORECASE)


def _inline_code(html: str) -> list[str]:
    return [m.group(0) for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER) for m in pattern.finditer(html)]


def test_csp_allows_only_our_own_scripts_and_styles(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_no_template_has_inline_scripts_styles_or_handlers():
    found = {
        str(path.relative_to(ROOT)): hits
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if (hits := _inline_code(path.read_text()))
    }
    assert found == {}


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code():
    base = (TEMPLATES_DIR / "base.html").read_text()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false""" in base


def test_no_rendered_page_has_inline_code(role_users, world, settings):
    """Every page of the URLconf that renders HTML, as each role: Django's admin and crispy's forms included."""
    settings.DEBUG = False
    urls = sorted({url for route in _leaf_routes() if (url := _valid_url(route, world))})
    found = {}
    for role, client, tried in _role_routes(role_users, urls):
        for url in tried:
            response = client.get(url)
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                hits = _inline_code(response.content.decode())
                if hits:
                    found[(role, url)] = sorted(set(hits))
    assert found == {}


def test_admin_pages_load_our_admin_styles(client, staff_user):
    client.force_login(staff_user)
    assert "css/admin.css" in client.get("/admin/").content.decode()

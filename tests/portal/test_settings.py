"""Production settings: loud on missing secrets, clean under `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "PORTAL_HTTPS"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_debug_off_without_secrets_stops_with_a_clear_message():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "See .env.example" in result.stderr


def _production(tmp_path, **overrides):
    return {
        "DEBUG": "false",
        "SECRET_KEY": "x9!k2m#p4q7r1s8t0u3v6w5y-z_a2b4c6d8e0f1g3h5j7k9m2n4p6",
        "ALLOWED_HOSTS": "portal.intranet.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **overrides,
    }


def test_check_deploy_passes_under_production_settings(tmp_path):
    # The HTTPS mode (PORTAL_HTTPS unset: the default) needs no silenced check at all.
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_passes_in_plain_http_intranet_mode(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production(tmp_path, PORTAL_HTTPS="false"))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_http_mode_silences_only_the_https_checks(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.SILENCED_SYSTEM_CHECKS), s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )

    def settings_line(**env):
        clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "SECRET_KEY"}}
        run = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **_production(tmp_path, **env)},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert settings_line(PORTAL_HTTPS="false") == (
        "['security.W004', 'security.W008', 'security.W012', 'security.W016'] False False False 0"
    )
    assert settings_line() == "[] True True True 31536000"


def test_debug_is_off_unless_asked_for(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **_production(tmp_path)}
    del env["DEBUG"]
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_manage_py_in_the_embedded_mode_needs_no_settings_but_a_database_url_means_production():
    # A developer's `manage.py makemigrations --check` on a plain checkout works without exporting DEBUG...
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    run = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    # ...while against a real database manage.py is production: missing secrets stop it.
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal"},
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "SECRET_KEY" in run.stderr


def test_env_example_values_are_refused_in_production(tmp_path):
    result = _manage(
        "check",
        **_production(
            tmp_path,
            SECRET_KEY="change-me-to-50-random-characters",
            ALLOWED_HOSTS="portal.example.gov.cn,127.0.0.1",
        ),
    )
    assert result.returncode != 0
    assert "example values from .env.example: SECRET_KEY, ALLOWED_HOSTS" in result.stderr


def test_the_retired_ssl_redirect_variable_is_refused_with_directions(tmp_path):
    result = _manage("check", **_production(tmp_path, SECURE_SSL_REDIRECT="false"))
    assert result.returncode != 0
    assert "PORTAL_HTTPS=false" in result.stderr


def test_env_example_lists_the_new_variables():
    example = (ROOT / ".env.example").read_text()
    for name in ("PORTAL_HTTPS", "ANONYMOUS_MAX_BODY_BYTES"):
        assert f"{name}=" in example
    assert "SECURE_SSL_REDIRECT" not in example


def test_beat_schedule_is_declared_in_code(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["portal-heartbeat"]["task"] == "portal.tasks.record_heartbeat"
    from portal.celery import app

    assert "portal.tasks.record_heartbeat" in app.tasks


def test_embedded_default_runs_tasks_eagerly(settings, db):
    from portal.tasks import echo

    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert echo.delay({"a": 1}).get()["payload"] == {"a": 1}

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
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
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


def test_check_deploy_passes_under_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x9!k2m#p4q7r1s8t0u3v6w5y-z_a2b4c6d8e0f1g3h5j7k9m2n4p6",
        ALLOWED_HOSTS="portal.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        PORTAL_INITIAL_PASSWORD="Strong-initial-2026",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_beat_schedule_is_declared_in_code(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["portal-heartbeat"]["task"] == "portal.tasks.record_heartbeat"
    from portal.celery import app

    assert "portal.tasks.record_heartbeat" in app.tasks


def test_embedded_default_runs_tasks_eagerly(settings, db):
    from portal.tasks import echo

    assert settings.CELERY_TASK_ALWAYS_EAGER
    assert echo.delay({"a": 1}).get()["payload"] == {"a": 1}

"""The production-mode gunicorn the page and race benchmarks load: started on 127.0.0.1 against the same database,
waited for until it answers, and stopped with its whole process group."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_environment(*, secret_key: str, **overrides) -> dict:
    """Production mode (DEBUG off) on this process's database; sessions the benchmark signs with `secret_key`
    are valid there. `overrides` are further variables (e.g. DJANGO_SETTINGS_MODULE for the bench URLconf)."""
    environment = {key: value for key, value in os.environ.items() if key != "SECURE_SSL_REDIRECT"}
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("Set DATABASE_URL so that gunicorn reaches the same database.")
        database_url = f"sqlite:///{Path(database['NAME']).resolve()}"
    environment.update(
        DEBUG="false",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        PORTAL_HTTPS="false",
        LOG_LEVEL="WARNING",
        **overrides,
    )
    return environment


def start_gunicorn(*, port: int, workers: int, environment: dict, extra_args=(), write=print):
    """collectstatic (DEBUG off serves hashed names), then gunicorn; returns the process once /healthz answers."""
    python = Path(sys.executable)
    manage = Path(settings.BASE_DIR) / "manage.py"
    write("collectstatic (DEBUG=false serves hashed file names)...")
    subprocess.run([str(python), str(manage), "collectstatic", "--noinput", "-v0"], env=environment, check=True)
    gunicorn = python.parent / "gunicorn"
    if not gunicorn.exists():
        gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
    command = [str(gunicorn), "portal.wsgi:application", "-w", str(workers), "-b", f"127.0.0.1:{port}", *extra_args]
    write("Starting " + " ".join(command))
    server = subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10):
                return server
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(server)
    raise CommandError("gunicorn did not answer within 30 s")


def stop_gunicorn(server) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

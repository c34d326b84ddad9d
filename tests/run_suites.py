#!/usr/bin/env python
"""Run the test suites this machine can reach, and say clearly which were skipped and why.

Suites: unit (SQLite, Celery eager: always), postgres (the unit tests again on the real PostgreSQL, the
production database, where locking and SQL differ from SQLite), services (tests that need the real PostgreSQL
and Redis together), browser (Playwright driving Debian's Chromium). In CI (CI=true) an unreachable suite is
a failure.
"""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_URL = os.environ.get("TEST_DATABASE_URL", f"postgres://postgres@{PG_HOST}:{PG_PORT}/portal_ci")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def run(name: str, marker: str, extra_env: dict | None = None) -> int:
    print(f"\n=== {name} suite ===", flush=True)
    env = {**os.environ, **(extra_env or {})}
    if IN_CI:
        env["PORTAL_REQUIRE_ALL_SUITES"] = "1"
    code = subprocess.call([*PYTEST, "-m", marker, "-p", "no:cacheprovider"], cwd=ROOT, env=env)
    return code


def unit() -> tuple[int, str]:
    return run("unit", "not services and not browser"), ""


def postgres() -> tuple[int, str]:
    if not reachable(PG_HOST, PG_PORT):
        return skipped("postgres", f"not reachable: PostgreSQL at {PG_HOST}:{PG_PORT}")
    return run("postgres", "not services and not browser", {"DATABASE_URL": PG_URL}), ""


def services() -> tuple[int, str]:
    redis_host, redis_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    missing = [
        label
        for label, ok in (
            (f"PostgreSQL at {PG_HOST}:{PG_PORT}", reachable(PG_HOST, PG_PORT)),
            (f"Redis at {redis_host}:{redis_port}", reachable(redis_host, int(redis_port))),
        )
        if not ok
    ]
    if missing:
        return skipped("services", "not reachable: " + ", ".join(missing))
    return run("services", "services", {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}), ""


def browser() -> tuple[int, str]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return skipped("browser", f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    return run("browser", "browser"), ""


def skipped(name: str, reason: str) -> tuple[int, str]:
    print(f"\n=== {name} suite: SKIPPED, {reason} ===", flush=True)
    return (1 if IN_CI else 0), reason


SUITES = {"unit": unit, "postgres": postgres, "services": services, "browser": browser}


def main(argv: list[str]) -> int:
    wanted = list(SUITES) if argv[1:] in ([], ["all"]) else argv[1:]
    results = {name: SUITES[name]() for name in wanted}
    print("\n=== summary ===")
    for name, (code, reason) in results.items():
        status = f"SKIPPED ({reason})" if reason else ("passed" if code == 0 else f"FAILED (exit {code})")
        print(f"{name:9} {status}")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

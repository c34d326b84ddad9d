"""Benchmark the public competition pages of a 128-team competition on gunicorn, and leave no trace.

What it does, in order:
1. creates its own data in the configured database, every row clearly named "[bench_pages]": 128 units
   (codes BENCH-PAGES-001...), a published activity with a 128-team round robin (8,128 matches, the first half of
   the rounds played, results published) and a 128-team knockout (first round played);
2. counts the SQL queries of each page in-process, cold (empty cache) and warm;
3. runs `collectstatic` (DEBUG=false serves hashed static names) and starts gunicorn with 2 sync workers on
   127.0.0.1 in production mode (DEBUG=false, its own SECRET_KEY, the same DATABASE_URL);
4. drives each page with 32 concurrent connections for a fixed time with `wrk` when it is installed, else with a
   Python load generator (threads, http.client), and prints requests/s and p50/p95/p99 latency;
5. stops gunicorn and deletes everything it created (unless --keep).

Run it against PostgreSQL for production-like figures:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python manage.py bench_pages
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Competition, Match, Placing, Team
from activities.tournament.fixtures import knockout, round_robin
from portal.models import Unit

MARK = "[bench_pages]"
UNIT_CODE = "BENCH-PAGES-{:03d}"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.errors.status, errors))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the public schedule, results, standings and bracket pages of a 128-team competition."

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=128, help="teams per competition (default 128)")
        parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (default 10)")
        parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
        parser.add_argument("--port", type=int, default=0, help="port for gunicorn on 127.0.0.1 (default: a free one)")
        parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
        parser.add_argument("--keep", action="store_true", help="keep the generated data afterwards")

    def handle(self, *args, teams, duration, connections, workers, port, loader, keep, **options):
        if not 4 <= teams <= 256:
            raise CommandError("--teams must be between 4 and 256.")
        if loader == "wrk" and not shutil.which("wrk"):
            raise CommandError("wrk is not installed (apt-get install wrk), use --loader python.")
        use_wrk = loader == "wrk" or (loader == "auto" and shutil.which("wrk"))
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        started = time.perf_counter()
        port = port or free_port()
        activity, league, cup = self.create_data(teams)
        self.analyze()
        self.stdout.write(
            f"Created {MARK} data in {time.perf_counter() - started:.1f} s: {teams}-team round robin "
            f"({Match.objects.filter(competition=league).count()} matches) and {teams}-team knockout"
        )
        try:
            pages = self.pages(league, cup)
            counts = {name: self.query_counts(path) for name, path in pages}
            server = self.start_gunicorn(port, workers)
            try:
                base = f"http://127.0.0.1:{port}"
                for _, path in pages:  # warm each worker's cache
                    for _ in range(workers * 4):
                        self.fetch(base + path)
                self.stdout.write(
                    f"\nLoad: {connections} connections, {duration} s per page, gunicorn {workers} sync workers, "
                    f"{'wrk' if use_wrk else 'Python threads' + ('' if shutil.which('wrk') else ' (wrk not found)')}"
                )
                header = f"{'page':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
                header += f"{'queries':>8} {'KB':>6}  url"
                self.stdout.write(header)
                for name, path in pages:
                    run = self.load_wrk if use_wrk else self.load_python
                    figures = run(base + path, connections=connections, duration=duration)
                    cold, warm, size = counts[name]
                    self.stdout.write(
                        f"{name:<10} {figures['rps']:>8.0f} {figures['p50']:>8.1f} {figures['p95']:>8.1f} "
                        f"{figures['p99']:>8.1f} {figures['errors']:>7} {f'{cold}/{warm}':>8} {size / 1024:>6.0f}  "
                        f"{path}"
                    )
                self.stdout.write("queries: cold (empty cache) / warm (rows served from the cache)")
            finally:
                self.stop(server)
        finally:
            if keep:
                self.stdout.write(f"Kept the {MARK} data (activity {activity.pk}).")
            else:
                self.delete_data()
                self.stdout.write(f"Deleted the {MARK} data.")

    # ------------------------------------------------------------------------------------------------ data

    @transaction.atomic
    def create_data(self, teams: int):
        self.delete_data()
        units = Unit.objects.bulk_create(
            [
                Unit(
                    name=f"{MARK} 基准测试单位{n:03d}",
                    short_name=f"测试{n:03d}",
                    code=UNIT_CODE.format(n),
                    sort_order=9000 + n,
                )
                for n in range(1, teams + 1)
            ]
        )
        now = timezone.now()
        activity = Activity.objects.create(
            title=f"{MARK} 基准测试赛事",
            status=Activity.Status.PUBLISHED,
            starts_at=now - timedelta(days=teams // 2),
            ends_at=now + timedelta(days=teams),
            venue="市体育中心",
        )
        common = {"activity": activity, "registration_deadline": now - timedelta(days=teams), "results_published": True}
        league = Competition.objects.create(
            name=f"{MARK} 乒乓球循环赛", format=Competition.Format.ROUND_ROBIN, **common
        )
        cup = Competition.objects.create(name=f"{MARK} 羽毛球淘汰赛", format=Competition.Format.KNOCKOUT, **common)
        for competition in (league, cup):
            entries = Team.objects.bulk_create(
                [
                    Team(competition=competition, unit=unit, name=f"{unit.short_name}队1", place_no=n, seed=n)
                    for n, unit in enumerate(units, start=1)
                ]
            )
            ids = [team.pk for team in entries]
            if competition is league:
                plan, played = round_robin(ids), lambda planned: planned.round_no <= (teams - 1) // 2
            else:
                plan, played = knockout(ids), lambda planned: planned.round_no == 1 and not planned.is_bye
            rows = []
            for index, planned in enumerate(plan):
                done = played(planned)
                home, away = [(3, 1), (2, 3), (3, 0), (1, 3)][index % 4] if done else (None, None)
                rows.append(
                    Match(
                        competition=competition,
                        stage=Match.Stage.LEAGUE if competition is league else planned.stage,
                        round_no=planned.round_no,
                        slot=planned.slot,
                        home_id=planned.home,
                        away_id=planned.away,
                        scheduled_at=activity.starts_at + timedelta(days=planned.round_no - 1, minutes=planned.slot),
                        venue="市体育中心",
                        court=f"{planned.slot % 16 + 1}号台",
                        status=Match.Status.BYE
                        if planned.is_bye
                        else (Match.Status.PLAYED if done else Match.Status.SCHEDULED),
                        home_score=home,
                        away_score=away,
                        winner_id=(planned.home if home > away else planned.away) if done else None,
                    )
                )
            Match.objects.bulk_create(rows, batch_size=2000)
        return activity, league, cup

    def analyze(self):
        """Refresh the planner's statistics after the bulk insert, as autovacuum would have done by now."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Match, Team, Unit, Competition, Activity):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def delete_data(self):
        activities = Activity.objects.filter(title__startswith=MARK)
        # Matches protect their teams, so they go first; then the rest cascades from the activity.
        Match.objects.filter(competition__activity__in=activities).delete()
        Placing.objects.filter(competition__activity__in=activities).delete()
        Team.objects.filter(competition__activity__in=activities).delete()
        activities.delete()
        Unit.objects.filter(code__startswith="BENCH-PAGES-").delete()

    # ------------------------------------------------------------------------------------------------ pages

    def pages(self, league, cup):
        fixtures = reverse("activities:competition_detail", args=[league.pk])
        return [
            ("schedule", fixtures),
            ("results", fixtures + "?round=1"),
            ("standings", reverse("activities:competition_standings", args=[league.pk])),
            ("bracket", reverse("activities:competition_bracket", args=[cup.pk])),
        ]

    def query_counts(self, path):
        client = Client()
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            response = client.get(path)
        if response.status_code != 200:
            raise CommandError(f"{path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as warm:
            client.get(path)
        return len(cold), len(warm), len(response.content)

    # ------------------------------------------------------------------------------------------------ server

    def server_environment(self):
        environment = dict(os.environ)
        database_url = os.environ.get("DATABASE_URL")
        if not database_url:
            database = settings.DATABASES["default"]
            if database["ENGINE"] != "django.db.backends.sqlite3":
                raise CommandError("Set DATABASE_URL so that gunicorn reaches the same database.")
            database_url = f"sqlite:///{Path(database['NAME']).resolve()}"
        environment.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url,
            SECURE_SSL_REDIRECT="false",
            SECURE_HSTS_SECONDS="0",
            LOG_LEVEL="WARNING",
        )
        return environment

    def start_gunicorn(self, port, workers):
        environment = self.server_environment()
        python = Path(sys.executable)
        manage = Path(settings.BASE_DIR) / "manage.py"
        self.stdout.write("collectstatic (DEBUG=false serves hashed file names)...")
        subprocess.run([str(python), str(manage), "collectstatic", "--noinput", "-v0"], env=environment, check=True)
        gunicorn = python.parent / "gunicorn"
        if not gunicorn.exists():
            gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
        command = [str(gunicorn), "portal.wsgi:application", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        self.stdout.write("Starting " + " ".join(command))
        server = subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}")
            try:
                self.fetch(f"http://127.0.0.1:{port}/healthz")
                return server
            except OSError:
                time.sleep(0.3)
        self.stop(server)
        raise CommandError("gunicorn did not answer within 30 s")

    def stop(self, server):
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    @staticmethod
    def fetch(url):
        with urllib.request.urlopen(url, timeout=10) as response:
            if response.status != 200:
                raise CommandError(f"{url} answered {response.status}")
            return response.read()

    # ------------------------------------------------------------------------------------------------ load

    def load_wrk(self, url, *, connections, duration):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        try:
            threads = min(connections, os.cpu_count() or 2)
            output = subprocess.run(
                [
                    "wrk",
                    f"-t{threads}",
                    f"-c{connections}",
                    f"-d{duration}s",
                    "--timeout",
                    "10s",
                    "-s",
                    script.name,
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        finally:
            os.unlink(script.name)
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        requests, micros, p50, p95, p99, bad_status, errors = (int(value) for value in line.split()[1:])
        return {
            "rps": requests / (micros / 1e6),
            "p50": p50 / 1000,
            "p95": p95 / 1000,
            "p99": p99 / 1000,
            "errors": bad_status + errors,
        }

    def load_python(self, url, *, connections, duration):
        """Threads with http.client; gunicorn's sync workers close each connection, so each thread reconnects."""
        host_port, path = url.removeprefix("http://").split("/", 1)
        host, port = host_port.split(":")
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop_at = time.perf_counter() + duration

        def worker():
            conn = HTTPConnection(host, int(port), timeout=10)
            mine, failed = [], 0
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                try:
                    conn.request("GET", "/" + path)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        failed += 1
                    if response.will_close:
                        conn.close()
                except OSError:
                    failed += 1
                    conn.close()
                mine.append(time.perf_counter() - began)
            with lock:
                latencies.extend(mine)
                errors[0] += failed

        began = time.perf_counter()
        workers = [threading.Thread(target=worker) for _ in range(connections)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        elapsed = time.perf_counter() - began
        latencies.sort()

        def percentile(p):
            return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000 if latencies else 0.0

        return {
            "rps": len(latencies) / elapsed,
            "p50": percentile(50),
            "p95": percentile(95),
            "p99": percentile(99),
            "errors": errors[0],
        }

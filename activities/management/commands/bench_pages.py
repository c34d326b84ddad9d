"""Benchmark the portal's busiest pages on gunicorn against anchors in the same run, and leave no trace.

What it does, in order:
1. creates its own data in the configured database, every row clearly named "[bench_pages]": 128 units
   (codes BENCH-PAGES-001...), a published activity with a 128-team round robin (8,128 matches, the first half of
   the rounds played, results published), a 128-team knockout (first round played) and a 41-team round robin,
   200 more public activities, a cadre who plays in the 41-team league (40 matches) and a liaison of the largest
   unit (city-scale data: `seed_demo --scale city`, or --seed, gives it 2,320 cadres);
2. counts the SQL queries of each page in-process, cold (empty cache) and warm;
3. runs `collectstatic` and starts gunicorn with 2 sync workers on 127.0.0.1 in production mode (DEBUG=false,
   its own SECRET_KEY, the same DATABASE_URL) with the settings `activities.bench.settings`: the product's URLconf
   plus the anchors, a view returning a constant response ("bare") and the naive version of each page (a ListView
   with select_related over the same rows and a plain template), which the product's URLconf never contains;
4. for --rounds rounds, drives the bare view, each anchor and each page in turn (interleaved, so a change in the
   machine's load touches all alike) with 32 concurrent connections for a fixed time, using `wrk` when it is
   installed (else a Python load generator), logged-in pages with a session cookie made for the bench users;
5. prints each page's requests/s, p95, and its throughput as a ratio to its naive anchor and to the bare view of
   the same round (median and min-max across rounds), with the load average;
6. stops gunicorn and deletes everything it created (unless --keep).

Run it against PostgreSQL for production-like figures:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python manage.py bench_pages --seed
"""

import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from http.client import HTTPConnection

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from activities.bench.server import free_port, gunicorn_environment, start_gunicorn, stop_gunicorn
from activities.models import Activity, Competition, Match, Placing, Team, TeamMember
from activities.tournament.fixtures import knockout, round_robin
from portal.models import Cadre, Unit

MARK = "[bench_pages]"
UNIT_CODE = "BENCH-PAGES-{:03d}"
BENCH_USERS = ("bench-pages-cadre", "bench-pages-liaison")
BENCH_SETTINGS = "activities.bench.settings"
EXTRA_ACTIVITIES = 200
SCHEDULE_LEAGUE_TEAMS = 41  # a round robin of 41 teams: 40 matches for each team
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.errors.status, errors))
end
"""


class Command(BaseCommand):
    help = "Benchmark the portal's busiest pages against a bare view and naive ListViews in the same gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=128, help="teams per competition (default 128)")
        parser.add_argument("--duration", type=int, default=10, help="seconds of load per page and round (default 10)")
        parser.add_argument("--rounds", type=int, default=3, help="rounds of every page and anchor (default 3)")
        parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
        parser.add_argument("--port", type=int, default=0, help="port for gunicorn on 127.0.0.1 (default: a free one)")
        parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
        parser.add_argument("--only", default="", help="comma-separated page names to measure (default: all)")
        parser.add_argument("--seed", action="store_true", help="run `seed_demo --scale city` first (idempotent)")
        parser.add_argument("--keep", action="store_true", help="keep the generated data afterwards")

    def handle(self, *args, teams, duration, rounds, connections, workers, port, loader, only, seed, keep, **options):
        if not 4 <= teams <= 256:
            raise CommandError("--teams must be between 4 and 256.")
        if rounds < 1:
            raise CommandError("--rounds must be at least 1.")
        if loader == "wrk" and not shutil.which("wrk"):
            raise CommandError("wrk is not installed (apt-get install wrk), use --loader python.")
        use_wrk = bool(loader == "wrk" or (loader == "auto" and shutil.which("wrk")))
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        if seed:
            call_command("seed_demo", scale="city", stdout=open(os.devnull, "w"))  # noqa: SIM115
        started = time.perf_counter()
        port = port or free_port()
        data = self.create_data(teams)
        self.analyze()
        self.stdout.write(
            f"Created {MARK} data in {time.perf_counter() - started:.1f} s: {teams}-team round robin "
            f"({Match.objects.filter(competition=data['league']).count()} matches), {teams}-team knockout, "
            f"{EXTRA_ACTIVITIES} more activities; the liaison's unit has {data['unit_size']} cadres, the cadre "
            f"{data['cadre_matches']} matches"
        )
        # Sessions made here must be valid in gunicorn, which runs with this secret key.
        self.secret_key = secrets.token_urlsafe(50)
        try:
            with override_settings(SECRET_KEY=self.secret_key):
                cookies = {role: self.session_cookie(user) for role, user in data["users"].items()}
            pages, anchors = self.pages(data)
            wanted = {name.strip() for name in only.split(",") if name.strip()}
            if wanted:
                pages = [page for page in pages if page[0] in wanted]
                anchors = {name: anchors[name] for name in {"bare"} | {page[3] for page in pages}}
            with override_settings(SECRET_KEY=self.secret_key):
                counts = {name: self.query_counts(path, cookies.get(role)) for name, path, role, _ in pages}
            server = start_gunicorn(
                port=port,
                workers=workers,
                environment=gunicorn_environment(secret_key=self.secret_key, DJANGO_SETTINGS_MODULE=BENCH_SETTINGS),
                write=self.stdout.write,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                # Each anchor right before its pages, so that the pairs compared run close together.
                targets = [("bare", *anchors["bare"])]
                for anchor, (anchor_path, anchor_role) in anchors.items():
                    if anchor != "bare":
                        targets.append((anchor, anchor_path, anchor_role))
                    targets += [(name, path, role) for name, path, role, of in pages if of == anchor]
                for _, path, role in targets:  # warm each worker's cache
                    for _ in range(workers * 4):
                        self.fetch(base + path, cookies.get(role))
                load_name = "wrk" if use_wrk else "Python threads" + ("" if shutil.which("wrk") else " (wrk not found)")
                self.stdout.write(
                    f"\nLoad: {connections} connections, {duration} s per page and round, {rounds} rounds, "
                    f"gunicorn {workers} sync workers, {load_name}"
                )
                run = self.load_wrk if use_wrk else self.load_python
                results = {name: [] for name, _, _ in targets}
                for number in range(1, rounds + 1):
                    for name, path, role in targets:
                        figures = run(base + path, connections=connections, duration=duration, cookie=cookies.get(role))
                        results[name].append(figures)
                        # gunicorn still answers the requests queued when the load stopped; the next measurement
                        # starts once they are done (this request waits behind them).
                        self.fetch(base + anchors["bare"][0], timeout=120)
                    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
                    self.stdout.write(
                        f"round {number}: bare {results['bare'][-1]['rps']:.0f} req/s, load average {load}"
                    )
                self.report(pages, anchors, results, counts)
            finally:
                stop_gunicorn(server)
        finally:
            Session.objects.filter(session_key__in=[value for value in locals().get("cookies", {}).values()]).delete()
            if keep:
                self.stdout.write(f"Kept the {MARK} data (activity {data['activity'].pk}).")
            else:
                self.delete_data()
                self.stdout.write(f"Deleted the {MARK} data.")

    def report(self, pages, anchors, results, counts):
        def spread(values, scale=1.0, digits=2):
            values = [value * scale for value in values]
            return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"

        self.stdout.write("\nAnchors (median req/s, min-max across rounds):")
        for name in anchors:
            self.stdout.write(f"  {name:<18} {spread([r['rps'] for r in results[name]], digits=0)}")
        header = f"\n{'page':<12} {'req/s':>6} {'p95 ms':>7}  {'x naive (min-max)':<19} {'x bare (min-max)':<22} "
        header += f"{'queries':>8} {'KB':>5}  anchor"
        self.stdout.write(header)
        for name, _path, _, anchor in pages:
            own = [r["rps"] for r in results[name]]
            to_anchor = [page / max(ref["rps"], 1e-9) for page, ref in zip(own, results[anchor], strict=True)]
            to_bare = [page / max(ref["rps"], 1e-9) for page, ref in zip(own, results["bare"], strict=True)]
            errors = sum(r["errors"] for r in results[name])
            cold, warm, size = counts[name]
            self.stdout.write(
                f"{name:<12} {statistics.median(own):>6.0f} {statistics.median(r['p95'] for r in results[name]):>7.1f}"
                f"  {spread(to_anchor):<19} {spread(to_bare, scale=100, digits=1) + ' %':<22} "
                f"{f'{cold}/{warm}':>8} {size / 1024:>5.0f}  {anchor}" + (f"  ERRORS {errors}" if errors else "")
            )
        self.stdout.write(
            "x naive: the page's requests/s over its naive ListView anchor's in the same round; x bare: over the bare "
            "view's.\nqueries: cold (empty cache) / warm, in-process, with the page's user"
        )

    # ------------------------------------------------------------------------------------------------ data

    @transaction.atomic
    def create_data(self, teams: int):
        self.delete_data()
        count = max(teams, SCHEDULE_LEAGUE_TEAMS)
        units = Unit.objects.bulk_create(
            [
                Unit(
                    name=f"{MARK} 基准测试单位{n:03d}",
                    short_name=f"测试{n:03d}",
                    code=UNIT_CODE.format(n),
                    sort_order=9000 + n,
                )
                for n in range(1, count + 1)
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
        small = Competition.objects.create(
            name=f"{MARK} 围棋循环赛", format=Competition.Format.ROUND_ROBIN, sort_order=3, **common
        )
        plans = ((league, units[:teams]), (cup, units[:teams]), (small, units[:SCHEDULE_LEAGUE_TEAMS]))
        for competition, entrants in plans:
            entries = Team.objects.bulk_create(
                [
                    Team(competition=competition, unit=unit, name=f"{unit.short_name}队1", place_no=n, seed=n)
                    for n, unit in enumerate(entrants, start=1)
                ]
            )
            ids = [team.pk for team in entries]
            size = len(ids)
            if competition is cup:
                plan, played = knockout(ids), lambda planned: planned.round_no == 1 and not planned.is_bye
            else:
                plan, played = round_robin(ids), lambda planned, size=size: planned.round_no <= (size - 1) // 2
            rows = []
            for index, planned in enumerate(plan):
                done = played(planned)
                home, away = [(3, 1), (2, 3), (3, 0), (1, 3)][index % 4] if done else (None, None)
                rows.append(
                    Match(
                        competition=competition,
                        stage=Match.Stage.LEAGUE if competition is not cup else planned.stage,
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
            if competition is small:
                player_team = entries[0]
        Activity.objects.bulk_create(
            [
                Activity(
                    title=f"{MARK} 基准测试活动{n:03d}",
                    kind=(Activity.Kind.SPORT, Activity.Kind.CULTURE)[n % 2],
                    status=(Activity.Status.PUBLISHED, Activity.Status.FINISHED)[n % 2],
                    starts_at=now + timedelta(days=n - EXTRA_ACTIVITIES // 2),
                    ends_at=now + timedelta(days=n - EXTRA_ACTIVITIES // 2, hours=3),
                    venue="市体育中心",
                )
                for n in range(1, EXTRA_ACTIVITIES + 1)
            ]
        )
        users = self.create_users(units[0], player_team)
        largest = users["liaison"].cadre.unit
        return {
            "activity": activity,
            "league": league,
            "cup": cup,
            "users": users,
            "liaison_unit": largest,
            "unit_size": Cadre.objects.filter(unit=largest).count(),
            "cadre_matches": Match.objects.filter(home=player_team).count()
            + Match.objects.filter(away=player_team).count(),
        }

    def create_users(self, bench_unit, player_team):
        """A cadre who plays in `player_team`, and a liaison of the unit with the most cadres."""
        user_model = get_user_model()
        largest = Unit.objects.filter(is_active=True).annotate(size=Count("cadres")).order_by("-size", "id").first()
        made = {}
        for role, username, unit in (
            ("cadre", BENCH_USERS[0], bench_unit),
            ("liaison", BENCH_USERS[1], largest),
        ):
            user = user_model.objects.create_user(username=username, password=None)
            Cadre.objects.create(
                user=user,
                employee_no=username.upper(),
                name=f"{MARK} {role}",
                gender="M",
                unit=unit,
                is_liaison=role == "liaison",
                must_change_password=False,
            )
            made[role] = user
        TeamMember.objects.create(team=player_team, competition=player_team.competition, cadre=made["cadre"].cadre)
        return made

    def session_cookie(self, user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    def analyze(self):
        """Refresh the planner's statistics after the bulk insert, as autovacuum would have done by now."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Match, Team, Unit, Competition, Activity, Cadre):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def delete_data(self):
        activities = Activity.objects.filter(title__startswith=MARK)
        # Matches protect their teams, and team members their cadres, so they go first; then the rest cascades.
        Match.objects.filter(competition__activity__in=activities).delete()
        Placing.objects.filter(competition__activity__in=activities).delete()
        Team.objects.filter(competition__activity__in=activities).delete()
        activities.delete()
        get_user_model().objects.filter(username__in=BENCH_USERS).delete()
        Unit.objects.filter(code__startswith="BENCH-PAGES-").delete()

    # ------------------------------------------------------------------------------------------------ pages

    def pages(self, data):
        """(name, path, user role or None, anchor name) for each page, and {anchor name: (path, role)}."""
        league, cup = data["league"], data["cup"]
        fixtures = reverse("activities:competition_detail", args=[league.pk])
        unit = data["liaison_unit"]
        pages = [
            ("unit", reverse("portal:unit_detail", args=[unit.pk]), "liaison", "naive-unit"),
            ("activities", reverse("activities:activity_list"), None, "naive-activities"),
            ("activities+", reverse("activities:activity_list"), "cadre", "naive-activities+"),
            ("schedule-me", reverse("activities:my_schedule"), "cadre", "naive-schedule"),
            ("competition", fixtures, None, "naive-round"),
            ("results", fixtures + "?round=1", None, "naive-round"),
            ("standings", reverse("activities:competition_standings", args=[league.pk]), None, "naive-round"),
            ("bracket", reverse("activities:competition_bracket", args=[cup.pk]), None, "naive-round"),
            ("ics", reverse("activities:competition_ics", args=[league.pk]), None, "naive-round"),
        ]
        default_round = Match.objects.filter(competition=league, status=Match.Status.SCHEDULED).order_by("round_no")
        round_no = default_round.values_list("round_no", flat=True).first() or 1
        anchors = {
            "bare": ("/bench/bare/", None),
            "naive-unit": (f"/bench/naive/units/{unit.pk}/", "liaison"),
            "naive-activities": ("/bench/naive/activities/", None),
            # The same naive list for a signed-in cadre: session, user and roles are read for both.
            "naive-activities+": ("/bench/naive/activities/", "cadre"),
            "naive-schedule": ("/bench/naive/schedule/", "cadre"),
            "naive-round": (f"/bench/naive/competitions/{league.pk}/{round_no}/", None),
        }
        return pages, anchors

    def query_counts(self, path, cookie):
        client = Client()
        if cookie:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            response = client.get(path)
        if response.status_code != 200:
            raise CommandError(f"{path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as warm:
            client.get(path)
        return len(cold), len(warm), len(response.content)

    # ------------------------------------------------------------------------------------------------ server

    @staticmethod
    def fetch(url, cookie=None, timeout=10):
        request = urllib.request.Request(url)
        if cookie:
            request.add_header("Cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200 or response.geturl() != url:
                raise CommandError(f"{url} answered {response.status} from {response.geturl()} (session refused?)")
            return response.read()

    # ------------------------------------------------------------------------------------------------ load

    def load_wrk(self, url, *, connections, duration, cookie=None):
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
                    *(["-H", f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}"] if cookie else []),
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

    def load_python(self, url, *, connections, duration, cookie=None):
        """Threads with http.client; gunicorn's sync workers close each connection, so each thread reconnects."""
        host_port, path = url.removeprefix("http://").split("/", 1)
        host, port = host_port.split(":")
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop_at = time.perf_counter() + duration
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}

        def worker():
            conn = HTTPConnection(host, int(port), timeout=10)
            mine, failed = [], 0
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                try:
                    conn.request("GET", "/" + path, headers=headers)
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

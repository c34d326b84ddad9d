"""Benchmark the team-registration race on gunicorn: 200 liaisons POST at once for 50 places, and leave no trace.

What it does, in order:
1. creates its own data in the configured database, every row clearly named "[bench_race]": 200 units (codes
   BENCH-RACE-001...), each with a liaison and four eligible cadres (employee numbers BRACE...), and a published
   activity (an events-per-athlete limit, so the Activity row is locked too, as in a real meet) with one
   competition of 50 places, doubles, one entry per unit;
2. logs every liaison in by creating its session directly (and a CSRF secret of its own, sent as the cookie and
   the form field), signed with a SECRET_KEY that gunicorn is given too;
3. runs `collectstatic` and starts gunicorn with sync workers on 127.0.0.1 in production mode (DEBUG=false, the
   same DATABASE_URL), as bench_pages does;
4. for each round: a burst of 200 concurrent POSTs, each liaison entering its unit's team (two members), then the
   same burst of 200 read-only GETs of the same form (the anchor: what the race should cost at most); every
   request has its own thread and connection, all released together by a barrier, timed client-side. It prints
   p50/p95/max of both bursts and the ratio race p95 / read-only p95, and checks that exactly 50 teams hold
   places 1..50 (it fails otherwise); then the teams are deleted for the next round;
5. stops gunicorn and deletes everything it created (unless --keep).

Run it against PostgreSQL (SQLite serialises writers and has no row locks, so the race means nothing there):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_race .venv/bin/python manage.py bench_race
"""

import os
import secrets
import string
import threading
import time
from datetime import timedelta
from http.client import HTTPConnection
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from activities.bench.server import free_port, gunicorn_environment, start_gunicorn, stop_gunicorn
from activities.models import Activity, Competition, Team, TeamMember
from portal.models import AuditEntry, Cadre, Unit

MARK = "[bench_race]"
UNIT_CODE = "BENCH-RACE-{:03d}"
EMPLOYEE_PREFIX = "BRACE"
CADRES_PER_UNIT = 4
TEAM_SIZE = 2
SESSION_PREFIX = "benchrace"
KEY_CHARS = string.ascii_lowercase + string.digits


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each process still alive (Linux /proc; empty elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


class Command(BaseCommand):
    help = "Benchmark 200 concurrent team registrations for 50 places against 200 read-only GETs of the same form."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=200, help="liaisons racing, one per unit (default 200)")
        parser.add_argument("--places", type=int, default=50, help="places in the competition (default 50)")
        parser.add_argument("--rounds", type=int, default=3, help="rounds of race + read-only burst (default 3)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
        parser.add_argument("--port", type=int, default=0, help="port for gunicorn on 127.0.0.1 (default: a free one)")
        parser.add_argument("--keep", action="store_true", help="keep the generated data afterwards")

    def handle(self, *args, units, places, rounds, workers, port, keep, **options):
        if not 2 <= units <= 999 or not 1 <= places < units:
            raise CommandError("--units must be between 2 and 999 and --places between 1 and --units - 1.")
        if rounds < 1:
            raise CommandError("--rounds must be at least 1.")
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        if connection.vendor != "postgresql":
            self.stdout.write(self.style.WARNING("Not PostgreSQL: no row locks, the figures say little."))
        secret_key = secrets.token_urlsafe(50)
        started = time.perf_counter()
        competition, liaisons = self.create_data(units, places)
        clients = self.log_in(liaisons, secret_key)
        self.analyze()
        self.stdout.write(
            f"Created {MARK} data in {time.perf_counter() - started:.1f} s: {units} units with a liaison and "
            f"{CADRES_PER_UNIT} cadres each, a competition of {places} places (teams of {TEAM_SIZE})"
        )
        failed_rounds = []
        try:
            port = port or free_port()
            server = start_gunicorn(
                port=port,
                workers=workers,
                environment=gunicorn_environment(secret_key=secret_key),
                # A backlog above the burst size: no connection of the burst is refused by the kernel. Another
                # gunicorn on this machine (bench_pages, a developer's) may own the default control socket.
                extra_args=["--backlog", "2048", "--timeout", "120", "--no-control-socket"],
                write=self.stdout.write,
            )
            server.base = ("127.0.0.1", port)
            try:
                path = reverse("activities:team_create", args=[competition.pk])
                self.warm_up(server.base, path, clients, workers)
                self.stdout.write(
                    f"\nBurst: {units} requests released together (one thread and connection each), "
                    f"gunicorn {workers} sync workers; latency per request, client-side, in ms"
                )
                header = (
                    f"{'round':>5} {'race p50':>9} {'race p95':>9} {'race max':>9} {'read p50':>9} {'read p95':>9} "
                    f"{'read max':>9} {'ratio':>6} {'cpu ratio':>9}  outcome"
                )
                self.stdout.write(header)
                ratios, cpu_ratios = [], []
                for number in range(1, rounds + 1):
                    self.reset(competition)
                    race = self.measured_burst(server, path, clients, post=True)
                    outcome, ok = self.check_places(competition, places, race)
                    read = self.measured_burst(server, path, clients, post=False)
                    if read["errors"]:
                        ok = False
                        outcome += f"; {read['errors']} read-only requests failed"
                    ratio = race["p95"] / read["p95"] if read["p95"] else float("inf")
                    cpu_ratio = race["cpu"] / read["cpu"] if read["cpu"] else float("nan")
                    ratios.append(ratio)
                    cpu_ratios.append(cpu_ratio)
                    if not ok:
                        failed_rounds.append(number)
                    self.stdout.write(
                        f"{number:>5} {race['p50']:>9.0f} {race['p95']:>9.0f} {race['max']:>9.0f} "
                        f"{read['p50']:>9.0f} {read['p95']:>9.0f} {read['max']:>9.0f} {ratio:>6.2f} "
                        f"{cpu_ratio:>9.2f}  {outcome}"
                    )
                ratios.sort()
                cpu_ratios.sort()
                self.stdout.write(
                    f"ratio race p95 / read-only p95: median {percentile(ratios, 50):.2f}, best {ratios[0]:.2f}, "
                    f"worst {ratios[-1]:.2f}; CPU seconds (gunicorn workers + their PostgreSQL backends) race / "
                    f"read-only: median {percentile(cpu_ratios, 50):.2f}"
                )
                self.stdout.write(
                    "(latency ratios swing with whatever else the machine runs; the CPU ratio hardly does)"
                )
            finally:
                stop_gunicorn(server)
        finally:
            if keep:
                self.stdout.write(f"Kept the {MARK} data (competition {competition.pk}).")
            else:
                self.delete_data()
                self.stdout.write(f"Deleted the {MARK} data.")
        if failed_rounds:
            raise CommandError(f"Capacity not held exactly in round(s) {', '.join(map(str, failed_rounds))}.")

    # ------------------------------------------------------------------------------------------------ data

    @transaction.atomic
    def create_data(self, units: int, places: int):
        self.delete_data()
        unit_rows = Unit.objects.bulk_create(
            [
                Unit(
                    name=f"{MARK} 竞速测试单位{n:03d}",
                    short_name=f"竞速{n:03d}",
                    code=UNIT_CODE.format(n),
                    sort_order=9500 + n,
                )
                for n in range(1, units + 1)
            ]
        )
        # One unusable password for everybody: the liaisons log in by session, the others never log in.
        unusable = make_password(None)
        numbers = [
            (unit, f"{EMPLOYEE_PREFIX}{n:03d}{k}")
            for n, unit in enumerate(unit_rows, 1)
            for k in range(1 + CADRES_PER_UNIT)
        ]
        users = get_user_model().objects.bulk_create(
            [get_user_model()(username=employee_no, password=unusable) for _, employee_no in numbers]
        )
        cadres = Cadre.objects.bulk_create(
            [
                Cadre(
                    user=user,
                    employee_no=employee_no,
                    name=f"竞速{employee_no[-4:]}",
                    gender=Cadre.Gender.MALE if index % 2 else Cadre.Gender.FEMALE,
                    unit=unit,
                    position="科员",
                    is_liaison=employee_no.endswith("0"),
                    must_change_password=False,
                )
                for index, ((unit, employee_no), user) in enumerate(zip(numbers, users, strict=True))
            ]
        )
        now = timezone.now()
        activity = Activity.objects.create(
            title=f"{MARK} 竞速报名测试运动会",
            status=Activity.Status.PUBLISHED,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=32),
            venue="市体育中心",
            max_events_per_athlete=3,
        )
        competition = Competition.objects.create(
            activity=activity,
            name=f"{MARK} 羽毛球双打",
            team_size_min=TEAM_SIZE,
            team_size_max=TEAM_SIZE,
            entries_per_unit=1,
            capacity=places,
            registration_deadline=now + timedelta(days=7),
        )
        by_unit: dict[int, list[Cadre]] = {}
        for cadre in cadres:
            by_unit.setdefault(cadre.unit_id, []).append(cadre)
        liaisons = []
        for unit in unit_rows:
            liaison, *others = by_unit[unit.pk]
            liaisons.append((liaison, [c.pk for c in others[:TEAM_SIZE]]))
        return competition, liaisons

    def log_in(self, liaisons, secret_key: str):
        """A session per liaison, as a login would leave it, signed with the key gunicorn gets; and a CSRF secret."""
        engine = import_module(settings.SESSION_ENGINE)
        backend = settings.AUTHENTICATION_BACKENDS[-1]
        clients = []
        with override_settings(SECRET_KEY=secret_key):
            for liaison, members in liaisons:
                user = liaison.user
                session = engine.SessionStore()
                # A recognisable key, so that the clean-up finds these sessions without decoding them.
                session._session_key = SESSION_PREFIX + "".join(secrets.choice(KEY_CHARS) for _ in range(24))
                session[SESSION_KEY] = str(user.pk)
                session[BACKEND_SESSION_KEY] = backend
                session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                session.save(must_create=True)
                csrf = "".join(secrets.choice(KEY_CHARS) for _ in range(32))
                cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
                body = urlencode({"csrfmiddlewaretoken": csrf, "name": "", "members": members}, doseq=True)
                clients.append({"cookie": cookie, "body": body, "session_key": session.session_key})
        return clients

    def reset(self, competition):
        """Empty the competition for the next round (and the audit entries of the teams going away)."""
        teams = Team.objects.filter(competition=competition)
        ids = [str(pk) for pk in teams.values_list("pk", flat=True)]
        AuditEntry.objects.filter(object_type=Team._meta.label_lower, object_id__in=ids).delete()
        TeamMember.objects.filter(competition=competition).delete()
        teams.delete()

    def check_places(self, competition, places: int, race) -> tuple[str, bool]:
        active = Team.objects.filter(competition=competition, status=Team.Status.ACTIVE)
        held = sorted(active.values_list("place_no", flat=True))
        members = TeamMember.objects.filter(competition=competition).count()
        ok = (
            held == list(range(1, places + 1))
            and race["statuses"].get(302, 0) == places
            and members == places * TEAM_SIZE
            and not race["errors"]
        )
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(race["statuses"].items()))
        outcome = f"{len(held)} of {places} places held ({statuses}"
        outcome += f", {race['errors']} failed)" if race["errors"] else ")"
        return ("OK " if ok else "WRONG ") + outcome, ok

    def analyze(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Unit, Cadre, get_user_model(), Session, Team, TeamMember, Competition, Activity):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def delete_data(self):
        activities = Activity.objects.filter(title__startswith=MARK)
        teams = Team.objects.filter(competition__activity__in=activities)
        ids = [str(pk) for pk in teams.values_list("pk", flat=True)]
        AuditEntry.objects.filter(object_type=Team._meta.label_lower, object_id__in=ids).delete()
        cadres = Cadre.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX, unit__code__startswith="BENCH-RACE-")
        user_ids = list(cadres.values_list("user_id", flat=True))
        AuditEntry.objects.filter(actor_id__in=user_ids).delete()
        TeamMember.objects.filter(competition__activity__in=activities).delete()
        teams.delete()
        activities.delete()
        Session.objects.filter(session_key__startswith=SESSION_PREFIX).delete()
        cadres.delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()
        Unit.objects.filter(code__startswith="BENCH-RACE-").delete()

    # ------------------------------------------------------------------------------------------------ server

    # ------------------------------------------------------------------------------------------------ load

    def server_pids(self, server) -> set[int]:
        """gunicorn's processes and the PostgreSQL backends of this database (the workers' connections)."""
        pids = {server.pid}
        try:
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            pids.update(int(pid) for pid in children)
        except OSError:
            pass
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                pids.update(pid for (pid,) in cursor.fetchall())
        return pids

    def measured_burst(self, server, path, clients, *, post: bool):
        """A burst, with the CPU seconds the server side (app and database) spent on it."""
        before = cpu_seconds(self.server_pids(server))
        figures = self.burst(server.base, path, clients, post=post)
        after = cpu_seconds(self.server_pids(server) | set(before))
        figures["cpu"] = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
        return figures

    @staticmethod
    def request(base, path, client, *, post: bool) -> int:
        conn = HTTPConnection(*base, timeout=60)
        try:
            headers = {"Cookie": client["cookie"], "Host": "127.0.0.1"}
            if post:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                conn.request("POST", path, body=client["body"], headers=headers)
            else:
                conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def warm_up(self, base, path, clients, workers):
        """Every worker has its database connection and compiled templates before the first burst."""
        for client in clients[: workers * 4]:
            status = self.request(base, path, client, post=False)
            if status != 200:
                raise CommandError(f"GET {path} as a liaison answered {status}: is the session accepted?")

    def burst(self, base, path, clients, *, post: bool):
        """Every client's request in its own thread, released together; latency measured per request."""
        barrier = threading.Barrier(len(clients))
        latencies = [0.0] * len(clients)
        statuses = [0] * len(clients)

        def run(index, client):
            barrier.wait(timeout=60)
            began = time.perf_counter()
            try:
                statuses[index] = self.request(base, path, client, post=post)
            except OSError:
                statuses[index] = 0
            latencies[index] = (time.perf_counter() - began) * 1000

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts: dict[int, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        expected = {200, 302} if post else {200}
        latencies.sort()
        return {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "max": latencies[-1],
            "statuses": counts,
            "errors": sum(count for status, count in counts.items() if status not in expected),
        }

"""Time the quarterly and annual summary workbooks on a city's year of data at several scales, on PostgreSQL,
against a floor: the same figures computed by hand-written SQL in the same run.

For each scale (1 = the city: 100 units, 30,000 cadres, ~566 activities held, ~300,000 person-times; see
portal/bench/report_data.py) the command empties the benchmark's tables, loads the year, ANALYZEs, and for the
quarter and the whole year prints: the workbook's build time (builder.build_workbook to a temporary file), its SQL
queries, peak Python allocations (tracemalloc, in a second build) and the process's peak resident memory; the
floor's time and queries; the ratio report / floor; and whether each figure of the report's code
(figures.period_figures and unit_rows) equals the floor's (MATCH / MISMATCH). A summary at the end checks the
targets: the annual report at the largest scale within 3x the floor and under 10 s, and time growing no faster
than the data.

The loader TRUNCATEs units, cadres, users and the activities' tables: the command refuses a database whose name
does not contain "bench" (or start with "test_"). `make bench-report` creates and drops its own database.
"""

from __future__ import annotations

import math
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from portal.bench.report_data import load_year, roster_counts
from portal.bench.report_floor import compare, floor_figures, report_side
from portal.reports.builder import BuildContext, build_workbook
from portal.reports.periods import Period

GOAL_RATIO = 3.0
GOAL_SECONDS = 10.0
GOAL_SCALE = 4.0
# Time may grow a little faster than the data before we call it superlinear: timings on a shared machine jitter.
GROWTH_TOLERANCE = 1.15


class Timeout(Exception):
    pass


def _peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark for this process (Linux), so each build's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _load() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _bounded(seconds: float, work):
    """Run work() in a transaction whose statements may each take at most `seconds` (rolled back at the end, so
    nothing the build writes stays); Timeout when PostgreSQL cancels one."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
            result = work()
            transaction.set_rollback(True)
            return result
    except DatabaseError as error:
        if "statement timeout" in str(error) or "canceling statement" in str(error):
            raise Timeout(str(error).splitlines()[0]) from error
        raise


class Command(BaseCommand):
    help = (
        "Benchmark the quarterly and annual workbooks on PostgreSQL at several city scales against a hand-written "
        "SQL floor, and check the report's figures against the floor's. Empties the benchmark database's tables."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scales", default="1,2,4", help="comma-separated city scales (default 1,2,4)")
        parser.add_argument("--year", type=int, help="the year loaded and reported (default: last year)")
        parser.add_argument("--quarter", type=int, default=2, help="the quarter benchmarked (default 2)")
        parser.add_argument(
            "--report-timeout",
            type=float,
            default=300,
            help="cancel any single SQL statement of the report's code after this many seconds (default 300)",
        )
        parser.add_argument(
            "--runs", type=int, default=2, help="time the report and the floor this many times each, keep the best"
        )
        parser.add_argument("--no-tracemalloc", action="store_true", help="skip the second, traced build")
        parser.add_argument("--no-check", action="store_true", help="do not compare the figures with the floor")
        parser.add_argument(
            "--jit",
            choices=("server", "on", "off"),
            default="server",
            help="PostgreSQL's JIT for the report and the floor: the server's setting (default), or on/off",
        )
        parser.add_argument(
            "--work-mem", help="SET work_mem for the report and the floor alike (default: the server's, e.g. 4MB)"
        )
        parser.add_argument("--slowest", type=int, default=0, help="list the report's N slowest SQL statements")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(
        self,
        *args,
        scales,
        year,
        quarter,
        report_timeout,
        runs,
        no_tracemalloc,
        no_check,
        jit,
        work_mem,
        slowest,
        seed,
        **kw,
    ):
        if connection.vendor != "postgresql":
            raise CommandError("bench_report needs PostgreSQL: run `make bench-report` (it creates its own database).")
        name = connection.settings_dict["NAME"] or ""
        if "bench" not in name and not name.startswith("test_"):
            raise CommandError(f"bench_report empties the tables of {name!r}: use a database named *bench*.")
        try:
            scale_list = [float(s) for s in scales.split(",") if s.strip()]
        except ValueError as error:
            raise CommandError(f"--scales: {error}") from error
        year = year or timezone.localtime().year - 1
        periods = [Period(year, quarter), Period(year)]
        for period in periods:
            if not period.is_over(timezone.now()):
                raise CommandError(f"{period.slug} is not over yet: pick a finished year.")
        self.options = {
            "timeout": report_timeout,
            "runs": max(1, runs),
            "tracemalloc": not no_tracemalloc,
            "check": not no_check,
            "slowest": slowest,
        }
        with connection.cursor() as cursor:
            if jit != "server":
                cursor.execute(f"SET jit = {jit}")
            if work_mem:
                cursor.execute("SELECT set_config('work_mem', %s, false)", [work_mem])
        self._environment(name)
        results = []
        for scale in scale_list:
            results.append(self._scale(scale, year, seed, periods))
        self._summary(results)

    def _environment(self, name: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
            settings_shown = []
            for setting in ("work_mem", "shared_buffers", "max_parallel_workers_per_gather", "jit"):
                cursor.execute(f"SHOW {setting}")
                settings_shown.append(f"{setting}={cursor.fetchone()[0]}")
        self.stdout.write(f"database: {version}, {name}; {', '.join(settings_shown)}; {os.cpu_count()} CPUs")
        self.stdout.write(
            f"time zone: {settings.TIME_ZONE}; report statement timeout {self.options['timeout']:g} s; "
            f"load average {_load()}"
        )

    def _scale(self, scale: float, year: int, seed: int, periods: list[Period]) -> dict:
        self.stdout.write(f"\n=== scale {scale:g} ===")
        started = time.perf_counter()
        loaded = load_year(scale, year, seed)
        load_seconds = time.perf_counter() - started
        c = loaded.counts
        held = roster_counts(year)
        self.stdout.write(
            f"loaded in {load_seconds:.1f} s (with ANALYZE): {c['units']} units, {c['cadres']:,} cadres (and users), "
            f"{c['tenures']:,} tenure rows, {c['activities']:,} activities ({c['competitions']} competitions, "
            f"{c['teams']:,} teams, {c['placings']:,} placings), {c['registrations']:,} sign-up rows (all statuses), "
            f"{c['team_members']:,} team-member rows (all teams)"
        )
        self.stdout.write(
            f"  {year}: {held['activities_held_in_year']} activities held, "
            f"{held['activities_draft_or_cancelled_in_year']} draft or cancelled; units inactive now "
            f"{held['units_inactive_now']} (closed in {year}: {held['units_closed_in_year']}, opened in {year}: "
            f"{held['units_opened_in_year']}); cadres inactive now {held['cadres_inactive_now']:,} (deactivated in "
            f"{year}: {held['cadres_deactivated_in_year']:,}), moved to another unit in {year}: "
            f"{held['cadres_moved_in_year']:,}"
        )
        self.stdout.write(
            f"  not counted: {held['signups_waitlisted']:,} waitlisted and {held['signups_cancelled']:,} cancelled "
            f"sign-ups, {held['teams_withdrawn']:,} withdrawn teams ({held['members_of_withdrawn_teams']:,} members), "
            f"the activities above that were not held or fall outside the period"
        )
        outcome = {"scale": scale, "load": load_seconds, "periods": {}}
        for period in periods:
            outcome["periods"][period.slug] = self._period(period)
        return outcome

    def _period(self, period: Period) -> dict:
        label = f"annual {period.slug}" if period.is_annual else f"quarter {period.slug}"
        floor = floor_figures(period)  # warms the cache for both sides
        self.stdout.write(
            f"\n  {label}: {floor['totals']['participations']:,} person-times ({floor['signups']:,} sign-ups + "
            f"{floor['team_members']:,} team members), {floor['totals']['activities_held']} activities held"
        )
        outcome = {"person_times": floor["totals"]["participations"], "report": None, "floor": None}
        # The workbook also shows the previous period's totals, so the floor computes them too.
        previous = period.previous()
        floor_best, floor_queries = math.inf, 0
        for _ in range(self.options["runs"]):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                floor_figures(period)
                floor_figures(previous, totals_only=True)
                floor_best = min(floor_best, time.perf_counter() - began)
            floor_queries = len(queries)
        outcome["floor"] = floor_best
        timeout = self.options["timeout"]
        try:
            builds = [self._build(period, timeout) for _ in range(self.options["runs"])]
            seconds, queries, size, peak_rss, rss_before, captured = min(builds, key=lambda build: build[0])
        except Timeout as error:
            self.stdout.write(f"    report  : TIMEOUT, a statement ran over {timeout:g} s ({error})")
            self.stdout.write(f"    floor   : {floor_best:.3f} s, {floor_queries} queries")
            return outcome
        outcome["report"] = seconds
        in_sql = sum(float(q["time"]) for q in captured)
        self.stdout.write(
            f"    report  : {seconds:.3f} s (best of {len(builds)}; {in_sql:.3f} s in SQL), {queries} queries, "
            f"{size / 1024:.0f} KiB "
            f"workbook; peak RSS {peak_rss:.0f} MB (RSS before {rss_before:.0f} MB)"
        )
        self.stdout.write(
            f"    floor   : {floor_best:.3f} s, {floor_queries} queries (best of {self.options['runs']}; "
            f"with the totals of {previous.slug}, which the workbook shows too)"
        )
        self.stdout.write(f"    ratio   : {seconds / floor_best:.1f}x the floor")
        for query in sorted(captured, key=lambda q: -float(q["time"]))[: self.options["slowest"]]:
            sql = " ".join(query["sql"].split())
            self.stdout.write(f"      {float(query['time']):7.3f} s  {sql[:150]}")
        if self.options["tracemalloc"]:
            tracemalloc.start()
            try:
                self._build(period, timeout)
                _, peak = tracemalloc.get_traced_memory()
                self.stdout.write(f"    memory  : tracemalloc peak {peak / 2**20:.1f} MB during a second build")
            except Timeout:
                self.stdout.write("    memory  : TIMEOUT in the traced build")
            finally:
                tracemalloc.stop()
        if self.options["check"]:
            self._check(period, floor, timeout)
        return outcome

    def _build(self, period: Period, timeout: float):
        with tempfile.TemporaryDirectory(prefix="bench-report-") as workdir:
            path = Path(workdir) / "report.xlsx"
            now = timezone.now()
            context = BuildContext(requested_by="bench_report", generated_at=now, data_as_of=now, version=1)
            rss_before = _rss_mb()
            _peak_rss_reset()

            def build():
                with translation.override(settings.LANGUAGE_CODE):
                    return build_workbook(path=path, period=period, context=context)

            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                _bounded(timeout, build)
                seconds = time.perf_counter() - began
            size = path.stat().st_size
            return seconds, len(queries), size, _peak_rss_mb(), rss_before, queries.captured_queries

    def _check(self, period: Period, floor: dict, timeout: float) -> None:
        try:
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                report = _bounded(timeout, lambda: report_side(period))
                seconds = time.perf_counter() - began
        except Timeout:
            self.stdout.write("    figures : TIMEOUT, not checked")
            return
        lines = compare(report, floor)
        failed = [line for line in lines if not line[1]]
        verdict = "all MATCH" if not failed else f"{len(failed)} MISMATCH"
        self.stdout.write(
            f"    figures : period_figures + unit_rows {seconds:.3f} s, {len(queries)} queries; vs floor: {verdict}"
        )
        for figure, matched, detail in lines:
            self.stdout.write(f"      {'MATCH   ' if matched else 'MISMATCH'} {figure:<28} {detail}")

    def _summary(self, results: list[dict]) -> None:
        self.stdout.write(f"\n=== summary === (load average now {_load()}: other work on the machine slows both sides)")
        self.stdout.write(
            f"{'scale':>6} {'period':>9} {'person-times':>13} {'report s':>9} {'floor s':>8} {'ratio':>6}"
        )
        for result in results:
            for slug, data in result["periods"].items():
                report = f"{data['report']:.3f}" if data["report"] is not None else "TIMEOUT"
                ratio = f"{data['report'] / data['floor']:.1f}x" if data["report"] is not None else "-"
                self.stdout.write(
                    f"{result['scale']:>6g} {slug:>9} {data['person_times']:>13,} {report:>9} {data['floor']:>8.3f} "
                    f"{ratio:>6}"
                )
        annual = [(r["scale"], next(d for s, d in r["periods"].items() if "-" not in s)) for r in results]
        largest_scale, largest = max(annual, key=lambda item: item[0])
        if largest["report"] is None:
            self.stdout.write(f"goal, annual at scale {largest_scale:g}: FAIL (timed out)")
        else:
            ratio = largest["report"] / largest["floor"]
            ok = ratio <= GOAL_RATIO and largest["report"] < GOAL_SECONDS
            note = "" if largest_scale >= GOAL_SCALE else f" (the goal is stated at scale {GOAL_SCALE:g})"
            self.stdout.write(
                f"goal, annual at scale {largest_scale:g}: {largest['report']:.2f} s (< {GOAL_SECONDS:g} s), "
                f"{ratio:.1f}x the floor (<= {GOAL_RATIO:g}x): {'PASS' if ok else 'FAIL'}{note}"
            )
        timed = sorted((s, d) for s, d in annual if d["report"] is not None)
        for (scale_a, a), (scale_b, b) in zip(timed, timed[1:], strict=False):
            data_growth = b["person_times"] / a["person_times"]
            time_growth = b["report"] / a["report"]
            exponent = math.log(time_growth) / math.log(data_growth) if data_growth > 1 else float("nan")
            ok = time_growth <= data_growth * GROWTH_TOLERANCE
            self.stdout.write(
                f"growth, annual {scale_a:g} -> {scale_b:g}: data x{data_growth:.2f}, time x{time_growth:.2f} "
                f"(exponent {exponent:.2f}): {'PASS' if ok else 'FAIL'} (time may grow up to "
                f"{GROWTH_TOLERANCE:g}x the data's growth)"
            )

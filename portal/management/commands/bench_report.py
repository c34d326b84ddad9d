"""Time the quarterly summary workbook on the configured database and leave no trace.

Adds a year of synthetic participations (50 activities: individual sign-ups plus four sports meets with a team of
every unit in eight events, about 30,000 person-times) unless --no-synthetic, builds the quarterly report the way
the Celery task does, and prints seconds, peak memory (tracemalloc and the process's maximum resident set) and SQL
queries. Everything runs in one transaction that is rolled back; the report files are deleted.
"""

import random
import resource
import time
import tracemalloc
from datetime import datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Cadre, Report, Unit
from portal.reports import services
from portal.reports.periods import Period

BENCH_TITLE = "[bench] "
KINDS = ["sport", "culture", "reading", "volunteering", "debate", "other"]
POINTS = [7, 5, 4, 3, 2, 1]


class Rollback(Exception):
    """Raised at the end to roll the benchmark's rows back."""


def _model(name: str):
    # Looked up, not imported: portal imports no domain app (the benchmark only needs the activities' tables).
    return apps.get_model("activities", name)


class Command(BaseCommand):
    help = "Benchmark the quarterly summary workbook: seconds, peak memory and SQL queries (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="the year of the synthetic data (default: last year)")
        parser.add_argument("--quarter", type=int, default=2, help="the quarter benchmarked (default 2)")
        parser.add_argument("--participations", type=int, default=30_000, help="synthetic person-times in the year")
        parser.add_argument("--activities", type=int, default=50, help="synthetic activities in the year")
        parser.add_argument("--no-synthetic", action="store_true", help="benchmark the data as it is")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, year, quarter, participations, activities, no_synthetic, seed, **options):
        year = year or timezone.localtime().year - 1
        period = Period(year, quarter)
        if not period.is_over(timezone.now()):
            raise CommandError(f"{period.slug} is not over yet; pick a finished quarter.")
        units = Unit.objects.filter(is_active=True).count()
        cadres = Cadre.objects.filter(is_active=True).count()
        if not units or not cadres:
            raise CommandError("No active units or cadres: run `manage.py seed_demo --scale city` first.")
        self.stdout.write(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        self.stdout.write(f"active units: {units}; active cadres: {cadres}")
        created_files = []
        try:
            with transaction.atomic():
                if not no_synthetic:
                    started = time.perf_counter()
                    counts = _synthetic_year(year, participations, activities, random.Random(seed))
                    _analyze()
                    self.stdout.write(
                        f"synthetic {year}: {counts['activities']} activities, {counts['signups']} sign-ups, "
                        f"{counts['members']} team members, {counts['placings']} placings "
                        f"({time.perf_counter() - started:.1f} s)"
                    )
                self._measure(period, created_files)
                self._measure(Period(year), created_files, label="annual report (whole year)", memory=False)
                self._measure(Period(2001, 1), created_files, label="empty quarter (query count check)", memory=False)
                raise Rollback
        except Rollback:
            pass
        finally:
            for report in created_files:
                report.file.storage.delete(report.file.name)
        self.stdout.write("rolled back: no row and no file left behind")

    def _measure(self, period: Period, created_files: list, *, label: str = "", memory: bool = True) -> None:
        """Build the period's report as the task does; print time, queries, and (first run) memory."""
        report = Report.objects.create(year=period.year, quarter=period.quarter, version=900 + len(created_files))
        rss_before = _max_rss_mb()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            built = services.report_generate(report_id=report.pk)
        seconds = time.perf_counter() - started
        if built is None or built.status != Report.Status.DONE:
            raise CommandError(f"the report did not build: {Report.objects.get(pk=report.pk).error}")
        created_files.append(built)
        headline = built.headline
        self.stdout.write(f"\n{label or 'quarterly report ' + period.slug}")
        self.stdout.write(
            f"  figures: {headline['activities_held']} activities, {headline['participations']:,} person-times, "
            f"{headline['cadres_reached']:,} cadres reached, {headline['units_reached']}/{headline['active_units']} "
            f"units"
        )
        self.stdout.write(
            f"  time: {seconds:.2f} s; SQL queries: {len(queries)}; file: {built.file_size / 1024:.0f} KiB"
        )
        if not memory:
            return
        # A second build under tracemalloc (which slows Python down) for the peak of Python allocations.
        again = Report.objects.create(year=period.year, quarter=period.quarter, version=950 + len(created_files))
        tracemalloc.start()
        services.report_generate(report_id=again.pk)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        again.refresh_from_db()
        created_files.append(again)
        self.stdout.write(
            f"  peak memory: tracemalloc {peak / 2**20:.1f} MB during the build; process max RSS "
            f"{_max_rss_mb():.0f} MB (was {rss_before:.0f} MB before the build)"
        )


def _analyze() -> None:
    """Refresh PostgreSQL's statistics on the tables just filled, as autovacuum would after a real year's data."""
    if connection.vendor != "postgresql":
        return
    names = ("Activity", "Competition", "Team", "TeamMember", "Placing", "Registration")
    tables = ", ".join(connection.ops.quote_name(_model(name)._meta.db_table) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _synthetic_year(year: int, participations: int, activities: int, rng: random.Random) -> dict:
    """A year of activities for the benchmark: four sports meets (a team of up to 3 cadres of every unit in each
    of 8 events, places 1-6 scored) and individual sign-ups for the rest; created with bulk_create."""
    Activity, Competition, Team, TeamMember, Placing, Registration = (
        _model(name) for name in ("Activity", "Competition", "Team", "TeamMember", "Placing", "Registration")
    )
    cadres_by_unit: dict[int, list[int]] = {}
    for pk, unit_id in Cadre.objects.filter(is_active=True, unit__is_active=True).values_list("pk", "unit_id"):
        cadres_by_unit.setdefault(unit_id, []).append(pk)
    all_cadres = [pk for ids in cadres_by_unit.values() for pk in ids]
    start = timezone.make_aware(datetime(year, 1, 8, 9))
    step = timedelta(days=350 / max(activities, 1))
    meets = set(range(0, activities, max(activities // 4, 1))[:4])
    created = Activity.objects.bulk_create(
        [
            Activity(
                title=f"{BENCH_TITLE}{year}-{index + 1:02d}",
                kind="sport" if index in meets else KINDS[index % len(KINDS)],
                status="finished",
                starts_at=start + index * step,
                ends_at=start + index * step + timedelta(hours=3),
                open_to_individuals=index not in meets,
                has_medal_table=index in meets,
            )
            for index in range(activities)
        ]
    )
    counts = {"activities": len(created), "signups": 0, "members": 0, "placings": 0}
    for index, activity in enumerate(created):
        if index not in meets:
            continue
        competitions = Competition.objects.bulk_create(
            [
                Competition(
                    activity=activity,
                    name=f"{BENCH_TITLE}event {n}",
                    team_size_min=1,
                    team_size_max=3,
                    registration_deadline=activity.starts_at - timedelta(days=7),
                )
                for n in range(8)
            ]
        )
        for competition in competitions:
            teams = Team.objects.bulk_create(
                [
                    Team(competition=competition, unit_id=unit_id, name=f"team {unit_id}", place_no=n + 1)
                    for n, unit_id in enumerate(cadres_by_unit)
                ]
            )
            members = [
                TeamMember(team=team, competition=competition, cadre_id=cadre_id)
                for team in teams
                for cadre_id in rng.sample(cadres_by_unit[team.unit_id], min(3, len(cadres_by_unit[team.unit_id])))
            ]
            TeamMember.objects.bulk_create(members, batch_size=2000)
            counts["members"] += len(members)
            podium = rng.sample(teams, min(len(POINTS), len(teams)))
            Placing.objects.bulk_create(
                [
                    Placing(
                        competition=competition, team=team, unit_id=team.unit_id, place=place, points=Decimal(points)
                    )
                    for place, (team, points) in enumerate(zip(podium, POINTS, strict=False), start=1)
                ]
            )
            counts["placings"] += len(podium)
    individual = [a for i, a in enumerate(created) if i not in meets]
    per_activity = max((participations - counts["members"]) // max(len(individual), 1), 0)
    for activity in individual:
        chosen = rng.sample(all_cadres, min(per_activity, len(all_cadres)))
        Registration.objects.bulk_create(
            [Registration(activity=activity, cadre_id=cadre_id, status="confirmed") for cadre_id in chosen],
            batch_size=2000,
        )
        counts["signups"] += len(chosen)
    return counts

"""`manage.py bench_fixtures`: time the draw planners (pure Python, no database) for N teams."""

import time

from django.core.management.base import BaseCommand, CommandError

from activities.tournament import groups_then_knockout, knockout, round_robin


class Command(BaseCommand):
    help = (
        "Time round_robin, knockout (with a third-place match) and groups_then_knockout for N teams and print the "
        "number of planned matches and the best wall time of several runs. Touches no database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=128, help="Number of teams (default 128).")
        parser.add_argument("--groups", type=int, default=16, help="Groups for groups_then_knockout (default 16).")
        parser.add_argument("--advance", type=int, default=2, help="Teams advancing per group (default 2).")
        parser.add_argument("--runs", type=int, default=5, help="Runs per planner; the best is reported (default 5).")

    def handle(self, *args, teams, groups, advance, runs, **options):
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        entries = list(range(1, teams + 1))
        planners = [
            ("round_robin", lambda: round_robin(entries)),
            ("knockout (third place)", lambda: knockout(entries, third_place=True)),
            (
                f"groups_then_knockout ({groups} groups, {advance} advance)",
                lambda: groups_then_knockout(entries, group_count=groups, advance_per_group=advance).matches,
            ),
        ]
        self.stdout.write(f"{teams} teams, best of {runs} runs")
        for name, plan in planners:
            best = float("inf")
            for _ in range(runs):
                started = time.perf_counter()
                try:
                    matches = plan()
                except ValueError as error:
                    raise CommandError(f"{name}: {error}") from error
                # Best, not mean: the minimum is the run least disturbed by the rest of the machine.
                best = min(best, time.perf_counter() - started)
            self.stdout.write(f"{name:<45} {len(matches):>7} matches {best * 1000:>9.2f} ms")

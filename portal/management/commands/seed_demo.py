"""`manage.py seed_demo`: realistic demo units, cadres and role accounts, then each app's season; safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from portal.demo_data import DEMO_PASSWORD, SCALES, demo_seed, format_logins
from portal.demo_registry import demo_calendar, demo_seeders


class Command(BaseCommand):
    help = (
        "Create demo data: units of a prefecture-level city, cadres with login accounts (one liaison per unit) "
        f"and the staff / leader / admin accounts, all with the password {DEMO_PASSWORD}. "
        "Idempotent: only what is missing is created."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="demo",
            help="demo: 40 units, 2,000 cadres (default); city: 100 units, 30,000 cadres.",
        )
        parser.add_argument("--cadres", type=int, help="Number of demo cadres, overriding the scale's count.")
        parser.add_argument("--quiet", action="store_true", help="Print only the table of demo logins.")

    def handle(self, *args, scale, cadres, quiet, **options):
        def progress(line):
            if not quiet:
                self.stdout.write(line)

        scale_info = SCALES[scale]
        progress(
            f"演示数据 Demo data: scale {scale}, {scale_info.units} units, "
            f"{scale_info.cadres if cadres is None else cadres} cadres"
        )
        try:
            result = demo_seed(scale=scale, cadres=cadres, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if result.units_without_cadres:
            self.stderr.write(
                "单位无干部 Units without cadres, so without a liaison (ask for more with --cadres): "
                + "、".join(result.units_without_cadres)
            )
        verb = "done" if result.created_anything else "nothing to create, already seeded"
        progress(f"完成 {verb} in {result.seconds:.1f} s")
        # One calendar for every app: the same "today", the same finished quarters (see portal.demo_registry).
        calendar = demo_calendar()
        first, last = calendar.months[0], calendar.months[-1]
        progress(f"演示季 Demo season: {first:%Y-%m} – {last:%Y-%m}, today {calendar.today:%Y-%m-%d}")
        for name, seeder in demo_seeders():
            progress(f"{name}: {seeder(scale=scale, progress=progress, calendar=calendar)}")
        self.stdout.write("")
        self.stdout.write(
            f"演示账号 Demo logins (密码 password: {DEMO_PASSWORD}; accounts that existed before keep theirs)"
        )
        self.stdout.write(format_logins(result.logins))

"""Domain apps add their demo data to `seed_demo` through this registry, so portal imports no domain app.

An app registers a seeder in its AppConfig.ready(); `seed_demo` calls every seeder after the shared model
is seeded, in registration order (INSTALLED_APPS order), as

    seeder(scale="demo" | "city", progress=print_a_line, calendar=DemoCalendar) -> one-line summary

A seeder must be idempotent (a second run creates nothing) and deterministic (a seeded random stream).

The season calendar
-------------------
Every quarterly and annual workbook leadership can generate must have figures after `make run`, so demo data is
not piled on today: each app spreads it over the same `DemoCalendar`, which `seed_demo` makes once (one "now" for
every app) and passes to every seeder. It covers

- `finished_quarters`: the four quarters before the current one, oldest first: the quarters that ended in the
  past twelve months, always one Q1, Q2, Q3 and Q4, whose workbooks (and last year's annual one) leadership can
  generate; give each of them several things held and finished (results published, hours
  confirmed, claims approved...), typically by quarter number: the committee's year has a rhythm (spring
  festival in Q1, 4·23 reading day in Q2, 七一 in Q3, the autumn sports meet in Q4);
- `current_quarter`: what has happened so far this quarter (dates before `now`) and what is under way today;
- the coming months up to `ahead_until`: open registrations, upcoming fixtures, things to sign up for.

`calendar.on(period, month, day, hour)` places a date in a quarter (month 0-2 of the quarter; the day is kept
inside short months), `calendar.from_today(days, hour)` a date relative to today, and `calendar.is_past(moment)`
/ `calendar.is_ahead(moment)` say which side of today it falls on. `calendar.months` lists the first day of
every month of the season. Keying rows by a title that carries the year of their date (e.g. "2026年...") keeps
a seeder idempotent and lets the same yearly event appear in two quarters a year apart.
"""

from __future__ import annotations

import calendar as calendar_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from .reports.periods import Period

DemoSeeder = Callable[..., str]
_seeders: list[tuple[str, DemoSeeder]] = []

# How many finished quarters the season covers (one of each quarter number: the past year), and how far ahead.
FINISHED_QUARTERS = 4
AHEAD_MONTHS = 2


def register_demo_seeder(name: str, seeder: DemoSeeder) -> None:
    """Register `seeder(*, scale, progress, calendar) -> str` (see the module docstring)."""
    if name not in {registered for registered, _ in _seeders}:
        _seeders.append((name, seeder))


def demo_seeders() -> list[tuple[str, DemoSeeder]]:
    return list(_seeders)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DemoCalendar:
    """The demo season around `now`: the finished quarters of the past year, this quarter, the coming months."""

    now: datetime

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def current_quarter(self) -> Period:
        return Period.containing(self.now)

    @property
    def finished_quarters(self) -> list[Period]:
        """The FINISHED_QUARTERS quarters before the current one, oldest first."""
        quarters = [self.current_quarter]
        for _ in range(FINISHED_QUARTERS):
            quarters.append(quarters[-1].previous_quarter())
        return quarters[:0:-1]

    @property
    def quarters(self) -> list[Period]:
        """The finished quarters, then the current one."""
        return [*self.finished_quarters, self.current_quarter]

    @property
    def start(self) -> datetime:
        """The first moment of the season: the start of the oldest finished quarter."""
        return self.finished_quarters[0].start

    @property
    def ahead_until(self) -> datetime:
        """The end of the season: AHEAD_MONTHS after the end of the current month."""
        return timezone.make_aware(
            datetime.combine(_add_months(self.today.replace(day=1), AHEAD_MONTHS + 1), datetime.min.time())
        )

    @property
    def months(self) -> list[date]:
        """The first day of every month of the season, oldest first."""
        first = timezone.localdate(self.start)
        last = _add_months(self.today.replace(day=1), AHEAD_MONTHS)
        months = [first]
        while months[-1] < last:
            months.append(_add_months(months[-1], 1))
        return months

    def on(self, period: Period, month: int, day: int, hour: int, minute: int = 0) -> datetime:
        """Local time `hour:minute` on day `day` of month `month` (0, 1 or 2) of the quarter `period`.

        A day past the end of a short month is its last day (day 31 of February is the 28th or 29th).
        """
        if period.quarter is None or not 0 <= month <= 2:
            raise ValueError("a quarter and its month 0, 1 or 2")
        first = timezone.localdate(period.start)
        year, number = first.year, first.month + month
        day = min(day, calendar_module.monthrange(year, number)[1])
        return timezone.make_aware(datetime(year, number, day, hour, minute))

    def from_today(self, days: int, hour: int, minute: int = 0) -> datetime:
        """Local time `days` from today at `hour` o'clock plus `minute` minutes (which may pass the hour)."""
        day = self.today + timedelta(days=days)
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour)) + timedelta(minutes=minute)

    def is_past(self, moment: datetime) -> bool:
        return moment < self.now

    def is_ahead(self, moment: datetime) -> bool:
        """After now, and within the season's coming months."""
        return self.now <= moment < self.ahead_until


def demo_calendar(now: datetime | None = None) -> DemoCalendar:
    """The season calendar around `now` (default: timezone.now()); seed_demo makes one and passes it on."""
    return DemoCalendar(now=now or timezone.now())

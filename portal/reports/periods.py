"""Report periods: a quarter or a whole year, as half-open ranges of local time [start, end)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

PERIOD_SLUG = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")


@dataclass(frozen=True)
class Period:
    """A calendar quarter (1-4) of a year, or the whole year when `quarter` is None.

    `cutoff` ends the period early ("this year so far"): nothing at or after it counts. Boundaries are midnight
    in the portal's time zone (settings.TIME_ZONE), so an activity starting at 00:30 on 1 April in Beijing time
    belongs to the second quarter.
    """

    year: int
    quarter: int | None = None
    cutoff: datetime | None = None

    def __post_init__(self):
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError(f"A quarter is 1-4, got {self.quarter}.")

    @classmethod
    def from_slug(cls, slug: str) -> Period:
        """'2026-Q1' or '2025' (a whole year); ValueError for anything else."""
        match = PERIOD_SLUG.match(slug or "")
        if not match:
            raise ValueError(f"Not a period: {slug!r}")
        quarter = match["quarter"]
        return cls(int(match["year"]), int(quarter) if quarter else None)

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        """The quarter that contains `moment` (local time)."""
        local = timezone.localtime(moment)
        return cls(local.year, (local.month - 1) // 3 + 1)

    @classmethod
    def year_to_date(cls, moment: datetime) -> Period:
        """This year from 1 January up to `moment`."""
        return cls(timezone.localtime(moment).year, None, cutoff=moment)

    def previous_quarter(self) -> Period:
        if self.quarter in (None, 1):
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def previous(self) -> Period:
        """The period of the same length just before: the previous quarter, or the previous whole year."""
        if self.quarter is None:
            return Period(self.year - 1)
        return self.previous_quarter()

    def next_quarter(self) -> Period:
        if self.quarter in (None, 4):
            return Period(self.year + 1, 1)
        return Period(self.year, self.quarter + 1)

    @property
    def is_annual(self) -> bool:
        return self.quarter is None

    @property
    def start(self) -> datetime:
        month = 1 if self.quarter is None else 3 * (self.quarter - 1) + 1
        return timezone.make_aware(datetime(self.year, month, 1))

    @property
    def natural_end(self) -> datetime:
        if self.quarter is None or self.quarter == 4:
            return timezone.make_aware(datetime(self.year + 1, 1, 1))
        return timezone.make_aware(datetime(self.year, 3 * self.quarter + 1, 1))

    @property
    def end(self) -> datetime:
        if self.cutoff is not None:
            return min(self.natural_end, max(self.cutoff, self.start))
        return self.natural_end

    @property
    def last_day(self):
        """The last calendar day covered (for display)."""
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    def is_over(self, now: datetime) -> bool:
        return self.natural_end <= now

    def is_future(self, now: datetime) -> bool:
        return self.start > now

    @property
    def slug(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        if self.quarter is None:
            return _("%(year)s (whole year)") % {"year": self.year}
        return _("%(year)s Q%(quarter)s") % {"year": self.year, "quarter": self.quarter}

    @property
    def range_label(self) -> str:
        return f"{timezone.localtime(self.start).date():%Y-%m-%d} – {self.last_day:%Y-%m-%d}"

    def __str__(self):
        return self.slug


def reportable_periods(now: datetime, years: int = 4) -> list[Period]:
    """The finished periods offered on the "generate now" form: newest first, quarters and whole years."""
    current_year = timezone.localtime(now).year
    periods = []
    for year in range(current_year, current_year - years, -1):
        whole = Period(year)
        if whole.is_over(now):
            periods.append(whole)
        periods.extend(Period(year, quarter) for quarter in (4, 3, 2, 1) if Period(year, quarter).is_over(now))
    return periods

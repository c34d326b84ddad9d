"""Writes on a competition's settings: what the draw is made from, and how results turn into tables and places.

The admin shows these settings read-only on a competition's page and changes them here, through "change
settings": what the draw depends on cannot change once the draw is made (it would describe another competition
than the one played), nor make entries already accepted invalid; how results are scored may change at any time,
and everything computed from it (the group qualifiers, the placings and team points, hence the medal table, the
reports and the cached public pages, whose key follows the competition's `updated_at`) is recomputed at once.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.permissions import is_committee_staff

from ..models import Competition, JudgeScore, RankedResult, Team
from ..tournament import TIEBREAKERS
from .placings import competition_compute_placings
from .results import _feed_knockout_from_groups
from .teams import lock_competition

# What the draw and the entries are made from. Once the draw is made (entries locked, fixtures or results exist)
# a change would leave the fixtures, the groups or the accepted entries describing another competition.
DRAW_FIELDS = (
    "format",
    "team_size_min",
    "team_size_max",
    "entries_per_unit",
    "capacity",
    "gender_rule",
    "min_age",
    "max_age",
    "group_count",
    "advance_per_group",
    "third_place_match",
)
# How results become tables and places. They may change at any time; what is computed from them is recomputed.
SCORING_FIELDS = ("points_win", "points_draw", "points_loss", "tiebreakers", "result_ordering", "drop_extreme_scores")
# Scoring fields that decide a group table, hence who qualifies for the knockout.
TABLE_FIELDS = ("points_win", "points_draw", "points_loss", "tiebreakers")
SETTINGS_FIELDS = DRAW_FIELDS + SCORING_FIELDS


class SettingsError(PortalError):
    """The competition's settings cannot change as asked."""


def _label(field: str) -> str:
    return str(Competition._meta.get_field(field).verbose_name)


def _plain(value):
    """A value as the audit trail (JSON) keeps it."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def competition_is_drawn(competition: Competition) -> bool:
    """Whether the draw is made: entries locked, or fixtures or results exist. Three light queries at most."""
    if competition.entries_locked or competition.matches.exists():
        return True
    return (
        RankedResult.objects.filter(team__competition=competition).exists()
        or JudgeScore.objects.filter(team__competition=competition).exists()
    )


def _clean_tiebreakers(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        example = '["' + '", "'.join(TIEBREAKERS) + '"]'
        raise SettingsError(_("Give the tie-breakers as a list, e.g. %(example)s.") % {"example": example})
    unknown = [name for name in value if name not in TIEBREAKERS]
    if unknown or len(set(value)) != len(value):
        raise SettingsError(
            _("Unknown or repeated tie-breaker: %(names)s. The tie-breakers are %(known)s.")
            % {"names": ", ".join(unknown) or ", ".join(value), "known": ", ".join(TIEBREAKERS)}
        )
    return value


def _entry_problems(competition: Competition) -> list[str]:
    """What the new entry settings would make wrong with the teams already entered (before the draw)."""
    problems = []
    teams = Team.objects.filter(competition=competition, status=Team.Status.ACTIVE)
    entered = teams.count()
    if competition.capacity is not None and competition.capacity < entered:
        problems.append(
            ngettext(
                "%(count)d team is entered already: the places cannot be fewer.",
                "%(count)d teams are entered already: the places cannot be fewer.",
                entered,
            )
            % {"count": entered}
        )
    elif competition.capacity is not None:
        # A withdrawal leaves a gap (places 1-6 and 8 held): fewer places than the highest one held would let the
        # next entry take a place twice over the new limit, so the limit cannot drop below it.
        highest = teams.aggregate(highest=Max("place_no"))["highest"] or 0
        if highest > competition.capacity:
            problems.append(
                _(
                    "A team holds entry number %(number)d: the places cannot be fewer than %(number)d "
                    "(a withdrawn team left a gap below it)."
                )
                % {"number": highest}
            )
    most = teams.values("unit").annotate(n=Count("id")).aggregate(most=Max("n"))["most"] or 0
    if most > competition.entries_per_unit:
        problems.append(
            _("A unit has %(count)d teams entered already: the entries per unit cannot be fewer.") % {"count": most}
        )
    sizes = teams.annotate(n=Count("members")).filter(
        Q(n__lt=competition.team_size_min) | Q(n__gt=competition.team_size_max)
    )
    wrong = sizes.count()
    if wrong:
        problems.append(
            ngettext(
                "%(count)d team entered already has a size outside %(min)d–%(max)d.",
                "%(count)d teams entered already have a size outside %(min)d–%(max)d.",
                wrong,
            )
            % {"count": wrong, "min": competition.team_size_min, "max": competition.team_size_max}
        )
    return problems


@transaction.atomic
def competition_update_settings(*, actor, competition: Competition, changes: dict) -> Competition:
    """Change a competition's settings (`changes`: {field name: new value}, names from SETTINGS_FIELDS).

    Committee staff only. Locks the competition (and its activity first, as the registration services do).
    Refused with SettingsError: a field that is not a setting; a change to DRAW_FIELDS once the draw is made
    (`competition_is_drawn`: reset the fixtures and unlock the entries first); before the draw, places, entries
    per unit or team sizes that the teams already entered would break; unknown tie-breakers. The model's own
    rules apply (ValidationError). A change to SCORING_FIELDS is recomputed in the same transaction: the group
    qualifiers of the knockout (ResultError when a knockout match that already has a result would change; then
    nothing is saved) and the placings with their team points. Audited with the old and new values; a change
    to nothing writes nothing. Returns the competition as saved.
    """
    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can change a competition's settings."))
    unknown = sorted(set(changes) - set(SETTINGS_FIELDS))
    if unknown:
        raise SettingsError(
            _("These fields are not competition settings: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    competition = lock_competition(competition.pk)
    if "tiebreakers" in changes:
        changes = {**changes, "tiebreakers": _clean_tiebreakers(changes["tiebreakers"])}
    old = {field: getattr(competition, field) for field in changes}
    changed = {field: value for field, value in changes.items() if old[field] != value}
    if not changed:
        return competition
    draw_changes = [field for field in DRAW_FIELDS if field in changed]
    if draw_changes and competition_is_drawn(competition):
        raise SettingsError(
            _(
                "The draw of %(competition)s is made, so %(fields)s can no longer change. Reset the fixtures and "
                "unlock the entries first (only possible while no result is entered)."
            )
            % {"competition": competition.name, "fields": "、".join(_label(f) for f in draw_changes)}
        )
    for field, value in changed.items():
        setattr(competition, field, value)
    competition.full_clean(exclude=["activity", "referees"])
    if draw_changes:
        problems = _entry_problems(competition)
        if problems:
            raise SettingsError(" ".join(problems))
    competition.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action="competition.settings",
        obj=competition,
        changes={
            "old": {field: _plain(old[field]) for field in changed},
            "new": {field: _plain(changed[field]) for field in changed},
        },
    )
    if any(field in SCORING_FIELDS for field in changed):
        if competition.format == Competition.Format.GROUPS_KNOCKOUT and any(f in TABLE_FIELDS for f in changed):
            _feed_knockout_from_groups(competition)
        competition_compute_placings(competition=competition, actor=actor)
    return competition

"""Eligibility: the pure rules of who may enter what, shared by the services and by the member picker.

Per cadre: gender and age on the competition's first day (`cadre_problem`, `age_on`); per team: its size and,
for mixed events, one man and one woman (`team_composition_problems`); across the meet: one team per event and
the events-per-athlete limit (`entry_problems`). Also the errors every registration service raises.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.errors import PortalError
from portal.models import Cadre, Unit

from ..models import Competition, Team, TeamMember


class RegistrationClosed(PortalError):
    """The registration window is shut: not published, not yet open, past the deadline, or entries locked."""


class NoPlacesLeft(PortalError):
    """Every place of the activity or competition is taken."""


class EntryRejected(PortalError):
    """One or more rules of a team entry are broken; `messages` lists each problem for the form."""

    def __init__(self, messages: Iterable[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day` (a birthday on 29 February counts as reached on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def competition_first_day(competition: Competition) -> date:
    """The day ages are measured on: the first day of the competition's activity."""
    return timezone.localdate(competition.activity.starts_at)


def age_band_label(competition: Competition) -> str:
    low, high = competition.min_age, competition.max_age
    if low is not None and high is not None:
        return _("aged %(min)s to %(max)s") % {"min": low, "max": high}
    if high is not None:
        return _("aged %(max)s and under") % {"max": high}
    if low is not None:
        return _("aged %(min)s and over") % {"min": low}
    return ""


def cadre_problem(competition: Competition, cadre: Cadre, first_day: date | None = None) -> str | None:
    """Why this cadre may not enter this competition by gender or age, naming the cadre and the rule; or None."""
    rule = competition.gender_rule
    if rule == Competition.GenderRule.MALE and cadre.gender != Cadre.Gender.MALE:
        return _("%(name)s cannot enter %(competition)s: it is for men only.") % {
            "name": cadre.name,
            "competition": competition.name,
        }
    if rule == Competition.GenderRule.FEMALE and cadre.gender != Cadre.Gender.FEMALE:
        return _("%(name)s cannot enter %(competition)s: it is for women only.") % {
            "name": cadre.name,
            "competition": competition.name,
        }
    if competition.min_age is None and competition.max_age is None:
        return None
    band = age_band_label(competition)
    if cadre.birth_date is None:
        return _(
            "%(name)s has no birth date on record, so the age rule of %(competition)s (%(band)s) cannot be "
            "checked; ask the committee to add it."
        ) % {"name": cadre.name, "competition": competition.name, "band": band}
    age = age_on(cadre.birth_date, first_day or competition_first_day(competition))
    too_young = competition.min_age is not None and age < competition.min_age
    too_old = competition.max_age is not None and age > competition.max_age
    if too_young or too_old:
        return _("%(name)s is %(age)s on the first day, and %(competition)s is for cadres %(band)s.") % {
            "name": cadre.name,
            "age": age,
            "competition": competition.name,
            "band": band,
        }
    return None


def team_composition_problems(competition: Competition, cadres: list[Cadre]) -> list[str]:
    """Rules on the team as a whole: its size and, for mixed events, one man and one woman at least."""
    problems = []
    low, high = competition.team_size_min, competition.team_size_max
    if not low <= len(cadres) <= high:
        if low == high:
            problems.append(
                ngettext(
                    "A team of %(competition)s has %(min)s member; you chose %(count)s.",
                    "A team of %(competition)s has %(min)s members; you chose %(count)s.",
                    low,
                )
                % {"competition": competition.name, "min": low, "count": len(cadres)}
            )
        else:
            problems.append(
                _("A team of %(competition)s has %(min)s to %(max)s members; you chose %(count)s.")
                % {"competition": competition.name, "min": low, "max": high, "count": len(cadres)}
            )
    if competition.gender_rule == Competition.GenderRule.MIXED:
        genders = {c.gender for c in cadres}
        if not {Cadre.Gender.MALE, Cadre.Gender.FEMALE} <= genders:
            problems.append(
                _("%(competition)s is for mixed teams: choose at least one man and one woman.")
                % {"competition": competition.name}
            )
    return problems


def entry_problems(
    *,
    competition: Competition,
    unit: Unit,
    cadres: list[Cadre],
    team: Team | None = None,
    joining=None,
    other_entries: bool = True,
) -> list[str]:
    """Every broken rule of a team made of `cadres`, each message naming the cadre and the rule.

    `joining` limits the per-cadre rules to those ids (a substitution checks only the incoming cadre); the
    team-wide rules always look at the whole team. Two queries at most (one more if the competition's activity is
    not loaded), both for the rules that read other entries (one team per event, events per athlete);
    `other_entries=False` leaves those out and runs no query: what a service checks before taking its lock, since
    only the lock makes those counts hold.
    """
    problems = team_composition_problems(competition, cadres)
    checked = [c for c in cadres if joining is None or c.pk in joining]
    first_day = competition_first_day(competition)
    for cadre in checked:
        if cadre.unit_id != unit.pk or not cadre.is_active:
            problems.append(_("%(name)s is not an active cadre of %(unit)s.") % {"name": cadre.name, "unit": unit.name})
            continue
        problem = cadre_problem(competition, cadre, first_day)
        if problem:
            problems.append(problem)
    if not other_entries:
        return problems
    ids = [c.pk for c in checked]
    names = {c.pk: c.name for c in checked}
    elsewhere = TeamMember.objects.filter(competition=competition, cadre_id__in=ids).select_related("team")
    if team is not None:
        elsewhere = elsewhere.exclude(team=team)
    for membership in elsewhere:
        problems.append(
            _("%(name)s is already in team %(team)s of %(competition)s; a cadre plays in one team per event.")
            % {"name": names[membership.cadre_id], "team": membership.team.name, "competition": competition.name}
        )
    activity = competition.activity
    limit = activity.max_events_per_athlete
    if limit is not None and ids:
        counts = (
            TeamMember.objects.filter(competition__activity=activity, team__status=Team.Status.ACTIVE, cadre_id__in=ids)
            .exclude(competition=competition)
            .values("cadre_id")
            .annotate(events=Count("competition", distinct=True))
        )
        for row in counts:
            if row["events"] + 1 > limit:
                problems.append(
                    ngettext(
                        "%(name)s is already entered in %(count)s event of %(activity)s; "
                        "the limit is %(limit)s per athlete.",
                        "%(name)s is already entered in %(count)s events of %(activity)s; "
                        "the limit is %(limit)s per athlete.",
                        row["events"],
                    )
                    % {
                        "name": names[row["cadre_id"]],
                        "count": row["events"],
                        "activity": activity.title,
                        "limit": limit,
                    }
                )
    return problems

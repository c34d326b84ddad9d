"""The draw and the schedule: locking entries, turning a draw plan into Match rows, scheduling, double bookings.

The draw plans themselves come from `activities.tournament.fixtures` (pure functions on team ids); this module
seeds the teams, persists what the plan says (wiring knockout matches to the slots their winners and losers move
into, advancing byes at once), and finds cadres or courts booked twice at the same time.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one
from portal.permissions import is_committee_staff

from ..models import Activity, Competition, Match, Placing, Team, TeamMember
from ..tournament import fixtures as plans

DEFAULT_SLOT_MINUTES = 60
DECIDED_STATUSES = (Match.Status.PLAYED, Match.Status.WALKOVER)
# Matches that occupy people and courts at their time: a bye or a cancelled match occupies nobody.
OCCUPYING_STATUSES = (Match.Status.SCHEDULED, Match.Status.PLAYED, Match.Status.WALKOVER)
BATCH_SIZE = 500
SCHEDULE_FIELDS = ("scheduled_at", "venue", "court")


class FixturesError(PortalError):
    """The draw cannot be made (or undone) as asked."""


@dataclass(frozen=True)
class FixturesSummary:
    matches: int
    byes: int
    rounds: int
    groups: dict = field(default_factory=dict)


def _require_staff(actor, message):
    if not is_committee_staff(actor):
        raise NotPermitted(message)


def _locked_competition(competition) -> Competition:
    # The row lock serialises the draw with registrations (which lock the same row) and with a second draw.
    return lock_one(Competition, competition.pk, select_related=["activity"])


@transaction.atomic
def competition_entries_lock(*, actor, competition: Competition, locked: bool = True) -> Competition:
    """Lock (or unlock) a competition's entries: a locked competition refuses new registrations.

    Staff only. Unlocking is refused once fixtures exist, since a team entered then would have no matches.
    Audited with the old and new lock time. Raises NotPermitted or FixturesError.
    """
    _require_staff(actor, _("Only committee staff can lock or unlock entries."))
    competition = _locked_competition(competition)
    old = competition.entries_locked_at
    if locked and old is not None:
        return competition
    if not locked:
        if old is None:
            return competition
        if competition.matches.exists():
            raise FixturesError(
                _("The fixtures of %(competition)s exist already; reset them before unlocking the entries.")
                % {"competition": competition}
            )
    competition.entries_locked_at = timezone.now() if locked else None
    competition.save(update_fields=["entries_locked_at", "updated_at"])
    audit_record(
        actor=actor,
        action="competition.lock_entries" if locked else "competition.unlock_entries",
        obj=competition,
        changes={
            "old": {"entries_locked_at": old.isoformat() if old else None},
            "new": {"entries_locked_at": competition.entries_locked_at.isoformat() if locked else None},
        },
    )
    return competition


def seeded_team_ids(competition: Competition) -> list[int]:
    """The active teams in draw order: seeded teams by seed (then id), then the others in a deterministic draw.

    The draw shuffles the unseeded teams with a random generator seeded by the competition's id, so the same
    entries always give the same draw (and a reset followed by a new draw reproduces it).
    """
    teams = list(
        Team.objects.filter(competition=competition, status=Team.Status.ACTIVE).order_by("id").values_list("id", "seed")
    )
    seeded = sorted((seed, pk) for pk, seed in teams if seed is not None)
    unseeded = [pk for pk, seed in teams if seed is None]
    random.Random(competition.pk).shuffle(unseeded)
    return [pk for _seed, pk in seeded] + unseeded


def _plan(competition: Competition, entries: list[int]):
    """(planned matches, groups, feeds) for the competition's format; FixturesError when the format forbids it."""
    count = len(entries)
    if competition.format == Competition.Format.ROUND_ROBIN:
        matches = plans.round_robin(entries)
        return [_as_league(m) for m in matches], {}, []
    if competition.format == Competition.Format.KNOCKOUT:
        return plans.knockout(entries, third_place=competition.third_place_match and count >= 4), {}, []
    group_count, advance = competition.group_count, competition.advance_per_group
    if group_count < 2:
        raise FixturesError(_("Groups then knockout needs at least two groups; set the number of groups first."))
    if group_count * 2 > count:
        raise FixturesError(
            _("%(count)d teams cannot fill %(groups)d groups: every group needs at least two teams.")
            % {"count": count, "groups": group_count}
        )
    smallest = count // group_count
    if not 1 <= advance <= smallest:
        raise FixturesError(
            _("Between 1 and %(max)d teams per group can advance (the smallest group has %(max)d teams).")
            % {"max": smallest}
        )
    third_place = competition.third_place_match and group_count * advance >= 4
    groups, matches, feeds = plans.groups_then_knockout(
        entries, group_count=group_count, advance_per_group=advance, third_place=third_place
    )
    return matches, groups, feeds


def _as_league(planned: plans.PlannedMatch) -> plans.PlannedMatch:
    return replace(planned, stage=Match.Stage.LEAGUE, group="")


@transaction.atomic
def fixtures_generate(*, actor, competition: Competition) -> FixturesSummary:
    """Make the draw: lock the entries, seed the teams and create every Match of the competition's format.

    Staff only. Seeding: teams by Team.seed, then the unseeded in a deterministic draw (see seeded_team_ids).
    A plain round robin becomes "league" matches; groups then knockout sets each team's group and creates "group"
    matches followed by the knockout skeleton (its first-round matches remember which group place feeds them, in
    Match.detail["feed"]); a knockout wires every match to the slot its winner moves into (and, with a third-place
    match, the semi-final losers to it). A first-round bye gets status "bye" and its team moves on at once.
    Matches get the competition's venue; times are set later (matches_schedule). Bulk inserts: the number of
    queries grows with the number of matches only by insert batches. Audited.

    Raises NotPermitted for non-staff, FixturesError for fewer than two teams, fixtures that exist already, or a
    ranked or judged competition (which has no matches).
    """
    _require_staff(actor, _("Only committee staff can make the draw."))
    competition = _locked_competition(competition)
    if not competition.uses_matches:
        raise FixturesError(
            _("%(competition)s is a ranked or judged event: it has results per team, not matches.")
            % {"competition": competition}
        )
    if competition.matches.exists():
        raise FixturesError(
            _("The fixtures of %(competition)s exist already; reset them first if the draw must be made again.")
            % {"competition": competition}
        )
    entries = seeded_team_ids(competition)
    if len(entries) < 2:
        raise FixturesError(
            _("%(competition)s has %(count)d team(s); a draw needs at least two.")
            % {"competition": competition, "count": len(entries)}
        )
    planned, groups, feeds = _plan(competition, entries)

    if competition.entries_locked_at is None:
        competition.entries_locked_at = timezone.now()
        competition.save(update_fields=["entries_locked_at", "updated_at"])
    if groups:
        _assign_groups(competition, groups)

    feed_by_slot = defaultdict(dict)
    for feed in feeds:
        feed_by_slot[feed.round_no, feed.slot][feed.side] = [feed.group, feed.place]
    rows = []
    for plan in planned:
        detail = {}
        if plan.stage == Match.Stage.KNOCKOUT and (plan.round_no, plan.slot) in feed_by_slot:
            detail["feed"] = feed_by_slot[plan.round_no, plan.slot]
        rows.append(
            Match(
                competition=competition,
                stage=plan.stage,
                group=plan.group,
                round_no=plan.round_no,
                slot=plan.slot,
                home_id=plan.home,
                away_id=plan.away,
                venue=competition.venue,
                status=Match.Status.BYE if plan.is_bye else Match.Status.SCHEDULED,
                detail=detail,
            )
        )
    created = Match.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    byes = _wire_knockout(planned, created)
    rounds = max((p.round_no for p in planned), default=0)
    summary = FixturesSummary(matches=len(created), byes=byes, rounds=rounds, groups=groups)
    audit_record(
        actor=actor,
        action="competition.fixtures_generate",
        obj=competition,
        changes={
            "old": {"matches": 0},
            "new": {
                "matches": summary.matches,
                "byes": byes,
                "draw": entries,
                "groups": {label: members for label, members in groups.items()},
            },
        },
    )
    return summary


def _assign_groups(competition: Competition, groups: dict) -> None:
    teams = []
    for label, members in groups.items():
        teams += [Team(pk=pk, group=label) for pk in members]
    Team.objects.filter(competition=competition).exclude(group="").update(group="")
    Team.objects.bulk_update(teams, ["group"], batch_size=BATCH_SIZE)


def _wire_knockout(planned: list, created: list[Match]) -> int:
    """Point knockout matches at their next slots and move bye winners on; returns the number of byes."""
    by_key = {(m.stage, m.group, m.round_no, m.slot): m for m in created}
    changed = {}
    byes = 0
    for plan, match in zip(planned, created, strict=True):
        if plan.next_slot is not None:
            round_no, slot, side = plan.next_slot
            match.next_match = by_key[Match.Stage.KNOCKOUT, "", round_no, slot]
            match.next_side = side
            changed[match.pk] = match
        if plan.loser_next_slot is not None:
            round_no, slot, side = plan.loser_next_slot
            match.loser_next_match = by_key[Match.Stage.THIRD_PLACE, "", round_no, slot]
            match.loser_next_side = side
            changed[match.pk] = match
    for match in created:
        if match.status == Match.Status.BYE and match.home_id is not None:
            byes += 1
            match.winner_id = match.home_id
            changed[match.pk] = match
            if match.next_match is not None:
                setattr(match.next_match, f"{match.next_side}_id", match.home_id)
                changed[match.next_match.pk] = match.next_match
        elif match.status == Match.Status.BYE:
            byes += 1  # fed from the group stage later
    if changed:
        Match.objects.bulk_update(
            list(changed.values()),
            ["next_match", "next_side", "loser_next_match", "loser_next_side", "winner", "home", "away"],
            batch_size=BATCH_SIZE,
        )
    return byes


@transaction.atomic
def fixtures_reset(*, actor, competition: Competition) -> int:
    """Delete a competition's fixtures (and placings, and the teams' groups) so the draw can be made again.

    Staff only, and only while no result has been entered (a bye is not a result). Entries stay locked; unlock
    them with competition_entries_lock if late entries must come in. Returns the number of matches deleted.
    Audited. Raises NotPermitted or FixturesError.
    """
    _require_staff(actor, _("Only committee staff can reset the fixtures."))
    competition = _locked_competition(competition)
    matches = Match.objects.filter(competition=competition)
    played = matches.filter(status__in=DECIDED_STATUSES).count()
    if played:
        raise FixturesError(
            _("%(count)d match(es) of %(competition)s have results; fixtures with results cannot be reset.")
            % {"count": played, "competition": competition}
        )
    # Wiring first, so the delete does not have to null the self-references row by row.
    matches.update(next_match=None, loser_next_match=None)
    count, _by_model = matches.delete()
    Placing.objects.filter(competition=competition).delete()
    Team.objects.filter(competition=competition).exclude(group="").update(group="")
    audit_record(
        actor=actor,
        action="competition.fixtures_reset",
        obj=competition,
        changes={"old": {"matches": count}, "new": {"matches": 0}},
    )
    return count


@transaction.atomic
def matches_schedule(*, actor, match: Match, scheduled_at: datetime | None, venue: str, court: str) -> list:
    """Set a match's time and place (staff only); returns the double bookings it is now part of, as warnings.

    A double booking (a cadre in two matches at once, a court used twice) is not an error: staff may fix the
    other match next. Times must be timezone-aware. Audited with the old and new values when anything changed.
    Raises NotPermitted, or PortalError for a cancelled match or a naive time.
    """
    _require_staff(actor, _("Only committee staff can schedule matches."))
    match = lock_one(Match, match.pk, select_related=["competition"])
    if match.status == Match.Status.CANCELLED:
        raise PortalError(_("A cancelled match cannot be scheduled."))
    if scheduled_at is not None and timezone.is_naive(scheduled_at):
        raise PortalError(_("The match time needs a time zone."))
    venue, court = (venue or "").strip(), (court or "").strip()
    old = _schedule_values(match)
    match.scheduled_at, match.venue, match.court = scheduled_at, venue, court
    new = _schedule_values(match)
    if old != new:
        match.clean_fields(exclude=[f.name for f in Match._meta.fields if f.name not in SCHEDULE_FIELDS])
        match.save(update_fields=["scheduled_at", "venue", "court", "updated_at"])
        audit_record(actor=actor, action="match.schedule", obj=match, changes={"old": old, "new": new})
    if match.scheduled_at is None:
        return []
    return [c for c in schedule_conflicts(matches=[match.pk]) if match.pk in (c.first.pk, c.second.pk)]


def _schedule_values(match: Match) -> dict:
    return {
        "scheduled_at": match.scheduled_at.isoformat() if match.scheduled_at else None,
        "venue": match.venue,
        "court": match.court,
    }


# --- Double bookings ---------------------------------------------------------------------------------------------


@dataclass
class ScheduleConflict:
    """Two matches that overlap in time and share cadres (kind "cadre") or a venue and court (kind "venue")."""

    kind: str
    first: Match
    second: Match
    subjects: list = field(default_factory=list)  # cadre names, or ["venue · court"]

    @property
    def is_cadre(self) -> bool:
        return self.kind == "cadre"


def slot_minutes() -> int:
    return int(getattr(settings, "ACTIVITIES_MATCH_SLOT_MINUTES", DEFAULT_SLOT_MINUTES))


def schedule_conflicts(
    *,
    competition: Competition | None = None,
    activity: Activity | None = None,
    matches=None,
    slot: int | None = None,
) -> list[ScheduleConflict]:
    """Double bookings touching a competition's (or an activity's, or the given match ids') scheduled matches.

    Two matches clash when they start less than `slot` minutes apart (default: ACTIVITIES_MATCH_SLOT_MINUTES, 60)
    and either share a cadre (through their teams' members, in any competition of any activity) or share the same
    venue and court (a blank court is not a booking of a court). Byes and cancelled matches occupy nobody.
    A read: three queries whatever the number of matches (the scope, the matches around it, their members).
    Returns conflicts ordered by time; cadre clashes list every shared cadre's name.
    """
    length = timedelta(minutes=slot if slot is not None else slot_minutes())
    scope = Match.objects.filter(scheduled_at__isnull=False, status__in=OCCUPYING_STATUSES)
    if competition is not None:
        scope = scope.filter(competition=competition)
    elif activity is not None:
        scope = scope.filter(competition__activity=activity)
    elif matches is not None:
        scope = scope.filter(pk__in=list(matches))
    else:
        raise ValueError("schedule_conflicts needs a competition, an activity or match ids")
    scope_times = list(scope.values_list("pk", "scheduled_at"))
    if not scope_times:
        return []
    scope_ids = {pk for pk, _at in scope_times}
    start = min(at for _pk, at in scope_times) - length
    end = max(at for _pk, at in scope_times) + length
    around = list(
        Match.objects.filter(scheduled_at__gt=start, scheduled_at__lt=end, status__in=OCCUPYING_STATUSES)
        .select_related("competition", "home", "away")
        .order_by("scheduled_at", "pk")
    )
    by_pk = {m.pk: m for m in around}
    team_ids = {t for m in around for t in (m.home_id, m.away_id) if t is not None}
    members = defaultdict(list)
    names = {}
    for team_id, cadre_id, name in TeamMember.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "cadre_id", "cadre__name"
    ):
        members[team_id].append(cadre_id)
        names[cadre_id] = name

    occupants = defaultdict(list)  # key -> [match pk, ...] in time order
    for match in around:
        for team_id in {match.home_id, match.away_id} - {None}:
            for cadre_id in members[team_id]:
                occupants["cadre", cadre_id].append(match.pk)
        venue = match.venue or match.competition.venue
        if match.court:
            occupants["venue", (venue, match.court)].append(match.pk)

    clashes = {}
    for (kind, subject), pks in occupants.items():
        for i, first_pk in enumerate(pks):
            first = by_pk[first_pk]
            for second_pk in pks[i + 1 :]:
                second = by_pk[second_pk]
                if second.scheduled_at - first.scheduled_at >= length:
                    break
                if first_pk == second_pk or not ({first_pk, second_pk} & scope_ids):
                    continue
                key = (kind, first_pk, second_pk)
                conflict = clashes.get(key)
                if conflict is None:
                    conflict = clashes[key] = ScheduleConflict(kind=kind, first=first, second=second)
                label = names[subject] if kind == "cadre" else " · ".join(part for part in subject if part)
                if label not in conflict.subjects:
                    conflict.subjects.append(label)
    return sorted(clashes.values(), key=lambda c: (c.first.scheduled_at, c.first.pk, c.second.pk, c.kind))

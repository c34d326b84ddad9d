"""Team entries: liaisons (or committee staff) entering their unit's teams, changing and withdrawing them.

Every rule is checked here (see `eligibility` for the rules on members), so a forged POST fails exactly like a
wrong one. Team places are guarded by a row lock on the Competition (and on the Activity first when a
per-athlete event limit spans the meet; always the Activity, then the Competition, then the Team, then a
Substitution, so two services never wait on each other in opposite orders) and backed up by the models'
unique constraints. The lock is held only for what it guards: an entry is judged before the lock on everything
it can be (a refused one never queues for it), and under the lock only what concurrent writers can change is
checked again before the write (see `team_register`).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one, lock_rows
from portal.models import Cadre, Unit
from portal.permissions import is_committee_staff, is_liaison_of

from ..models import Activity, Competition, Substitution, Team, TeamMember
from .eligibility import EntryRejected, NoPlacesLeft, RegistrationClosed, _when, entry_problems


def _load_cadres(members) -> list[Cadre]:
    """The chosen cadres, fresh from the database (their unit and active flag may have changed), in order."""
    ids = list(dict.fromkeys(getattr(m, "pk", m) for m in members))
    found = Cadre.objects.in_bulk(ids)
    if len(found) != len(ids):
        raise EntryRejected([_("One of the chosen cadres does not exist.")])
    return [found[pk] for pk in ids]


def member_record(cadres) -> list[dict]:
    return [{"id": c.pk, "employee_no": c.employee_no, "name": c.name} for c in cadres]


def team_entry_closed_reason(competition: Competition, now) -> str | None:
    """Why teams cannot be entered or changed in this competition now, or None while they can."""
    activity = competition.activity
    if activity.status != Activity.Status.PUBLISHED:
        return _("%(activity)s is not open for registration.") % {"activity": activity.title}
    if competition.entries_locked:
        return _("Entries for %(competition)s are locked: the draw has been made.") % {"competition": competition.name}
    if now > competition.registration_deadline:
        return _("Registration for %(competition)s closed at %(when)s.") % {
            "competition": competition.name,
            "when": _when(competition.registration_deadline),
        }
    if activity.registration_opens_at and now < activity.registration_opens_at:
        return _("Registration for %(competition)s opens at %(when)s.") % {
            "competition": competition.name,
            "when": _when(activity.registration_opens_at),
        }
    return None


def can_manage_unit_teams(actor, unit: Unit) -> bool:
    return is_committee_staff(actor) or is_liaison_of(actor, unit)


def require_manager(actor, unit: Unit) -> None:
    if not can_manage_unit_teams(actor, unit):
        raise NotPermitted(
            _("Only a liaison of %(unit)s or committee staff can manage its teams.") % {"unit": unit.name}
        )


def lock_competition(competition_id: int, activity: Activity | None = None) -> Competition:
    """Lock the Competition row (and the Activity row first when a per-athlete event limit spans the meet).

    The Activity lock makes the events-per-athlete count safe across the meet's competitions. `activity` is the
    competition's activity when the caller has just read it: it tells whether the meet has a limit without another
    query. The competition comes back with a fresh activity either way (the locked row when there is a limit).
    """
    if activity is None:
        activity_id = Competition.objects.values_list("activity_id", flat=True).get(pk=competition_id)
        activity = Activity.objects.get(pk=activity_id)
    if activity.max_events_per_athlete is None:
        # select_related reads the activity without locking it (lock_one locks only the competition's row).
        return lock_one(Competition, competition_id, select_related=["activity"])
    activity = lock_one(Activity, activity.pk)
    competition = lock_one(Competition, competition_id)
    competition.activity = activity
    return competition


def _lowest_free_place(competition: Competition) -> int:
    taken = set(
        Team.objects.filter(competition=competition, status=Team.Status.ACTIVE).values_list("place_no", flat=True)
    )
    place = 1
    while place in taken:
        place += 1
    if competition.capacity is not None and place > competition.capacity:
        raise _no_places_left(competition)
    return place


def _competition_for_checks(competition_id: int, unit: Unit) -> Competition:
    """The competition, fresh and with its activity, counting in the same query the active teams that hold one of its
    places (`places_taken`) and the unit's active teams (`unit_teams`): what the checks before the lock need."""
    active = Q(teams__status=Team.Status.ACTIVE)
    return (
        Competition.objects.select_related("activity")
        .annotate(
            places_taken=Count("teams", filter=active & Q(teams__place_no__lte=F("capacity"))),
            unit_teams=Count("teams", filter=active & Q(teams__unit=unit)),
        )
        .get(pk=competition_id)
    )


def _active_teams(competition: Competition) -> list[tuple[int, str]]:
    """(unit id, name) of every active team of the competition: the entries-per-unit and name checks in one query."""
    return list(Team.objects.filter(competition=competition, status=Team.Status.ACTIVE).values_list("unit_id", "name"))


def _check_entries_per_unit(competition: Competition, unit: Unit, entered: int | None = None) -> None:
    """Refuse one more active team for the unit when it has `entries_per_unit` already (under the competition lock).

    `entered` is the unit's active teams when the caller has counted them, else they are counted here.
    """
    if entered is None:
        entered = Team.objects.filter(competition=competition, unit=unit, status=Team.Status.ACTIVE).count()
    if entered >= competition.entries_per_unit:
        raise EntryRejected(
            [
                ngettext(
                    "%(unit)s already has %(count)s team in %(competition)s, the most allowed per unit.",
                    "%(unit)s already has %(count)s teams in %(competition)s, the most allowed per unit.",
                    entered,
                )
                % {"unit": unit.name, "count": entered, "competition": competition.name}
            ]
        )


def _no_places_left(competition: Competition) -> NoPlacesLeft:
    return NoPlacesLeft(
        _("No places left in %(competition)s: all %(capacity)s places are taken.")
        % {"competition": competition.name, "capacity": competition.capacity}
    )


def default_team_name(*, competition: Competition, unit: Unit, names_in_use: set[str] | None = None) -> str:
    """The default team name: "<unit short name>队<n>" with the lowest n no active team of the competition uses.

    A team name is data shown on draws and certificates, so it stays Chinese whatever the reader's language.
    `names_in_use` are the active teams' names when the caller has them already.
    """
    base = f"{unit.display_name}队"
    if names_in_use is None:
        names_in_use = set(
            Team.objects.filter(competition=competition, status=Team.Status.ACTIVE, name__startswith=base).values_list(
                "name", flat=True
            )
        )
    number = 1
    while f"{base}{number}" in names_in_use:
        number += 1
    return f"{base}{number}"


def _check_name(
    competition: Competition, name: str, team: Team | None = None, names_in_use: set[str] | None = None
) -> None:
    """Refuse a name an active team of the competition uses (but `team` itself); `names_in_use` saves the query."""
    if names_in_use is None:
        clash = Team.objects.filter(competition=competition, status=Team.Status.ACTIVE, name=name)
        if team is not None:
            clash = clash.exclude(pk=team.pk)
        taken = clash.exists()
    else:
        taken = name in names_in_use
    if taken:
        raise EntryRejected(
            [
                _("A team named %(name)s is already entered in %(competition)s; choose another name.")
                % {"name": name, "competition": competition.name}
            ]
        )


def _clean_name(name: str) -> None:
    """The rules of the name field alone (its length), so that a bad name is refused before the lock."""
    try:
        Team._meta.get_field("name").clean(name, None)
    except ValidationError as exc:
        raise EntryRejected(exc.messages) from exc


def _check_members(
    competition: Competition, unit: Unit, cadres: list[Cadre], team: Team | None = None, *, other_entries: bool = True
) -> None:
    problems = entry_problems(competition=competition, unit=unit, cadres=cadres, team=team, other_entries=other_entries)
    if problems:
        raise EntryRejected(problems)


def _validated(team: Team) -> None:
    try:
        # The partial unique constraints are checked by the database itself, under our lock.
        team.full_clean(exclude=["competition", "unit", "registered_by"], validate_constraints=False)
    except ValidationError as exc:
        raise EntryRejected(exc.messages) from exc


@transaction.atomic
def team_register(*, actor, competition: Competition, unit: Unit, name: str = "", members) -> Team:
    """Enter a unit's team of `members` (cadres or their ids) into a competition; nothing is saved on error.

    The rules: the actor is an active liaison of the unit or committee staff; the activity is published,
    registration has opened, the deadline has not passed, entries are not locked; the unit is active; at most
    `entries_per_unit` active teams per unit; a free place among `capacity` (the team takes the lowest free entry
    number); a valid name no active team of the competition uses (empty: the default name); team size; every
    member an active cadre of the unit, of the right gender and age, in no other team of the competition and
    within the meet's events-per-athlete limit.

    Before the lock, in that order: the permission; the window, the unit, entries per unit and a free place (one
    fresh read of the competition with both counts); the name as given (length, in use); the members (they
    exist; `entry_problems` without the other entries: each an active cadre of the unit, gender, age, team size).
    So a wrong entry never queues for the lock and the members are loaded and judged outside it; and once the
    competition is full, the late requests are refused at the free-place check without queueing either.
    Refusing there is safe: it rests on rows other transactions had committed, as if the request had come a
    moment earlier; accepting is only ever decided under the lock.
    Under the Competition row lock (the Activity first when the meet limits events per athlete), only what
    concurrent writers can change, then the insert: the window (staff lock entries under this lock), entries per
    unit and the (default) name (one query), the lowest free place (the capacity), and `entry_problems` in full:
    one team per event and the events-per-athlete count (the only two queries: they read other entries, and the
    Activity lock covers the count across the meet's competitions) and, again, the size, gender and age rules,
    pure Python over the members already loaded, because `competition_update_settings` changes those settings
    under this same lock. Not checked again: the permission, the unit and the members' own rows (unit, active
    flag, gender, birth date), which no lock of ours guards, so an older read of them changes nothing. The unique
    constraints on (competition, place_no) and (competition, name) among active teams and on (competition,
    cadre) back the lock up.

    Writes an audit entry with the members. Raises NotPermitted, RegistrationClosed, NoPlacesLeft or
    EntryRejected (which lists every broken rule).
    """
    require_manager(actor, unit)
    competition = _competition_for_checks(competition.pk, unit)
    _check_open(competition)
    if not unit.is_active:
        raise NotPermitted(_("%(unit)s is no longer active.") % {"unit": unit.name})
    _check_entries_per_unit(competition, unit, competition.unit_teams)
    # Every place 1..capacity held (the same rule as `_lowest_free_place`, from the count above).
    if competition.capacity is not None and competition.places_taken >= competition.capacity:
        raise _no_places_left(competition)
    name = (name or "").strip()
    if name:
        _clean_name(name)
        _check_name(competition, name)
    cadres = _load_cadres(members)
    _check_members(competition, unit, cadres, other_entries=False)

    competition = lock_competition(competition.pk, competition.activity)
    _check_open(competition)
    active = _active_teams(competition)
    _check_entries_per_unit(competition, unit, sum(1 for unit_id, _name in active if unit_id == unit.pk))
    place_no = _lowest_free_place(competition)
    names_in_use = {team_name for _unit_id, team_name in active}
    name = name or default_team_name(competition=competition, unit=unit, names_in_use=names_in_use)
    _check_name(competition, name, names_in_use=names_in_use)
    _check_members(competition, unit, cadres)
    team = Team(
        competition=competition,
        unit=unit,
        name=name,
        place_no=place_no,
        registered_by=actor if actor.is_authenticated else None,
    )
    _validated(team)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        # The lock makes this unreachable; if it ever is, the constraint has just refused a second holder of a place.
        raise _no_places_left(competition) from exc
    _add_members(team, cadres)
    audit_record(
        actor=actor,
        action="team.register",
        obj=team,
        changes={
            "status": [None, team.status],
            "competition": [None, competition.name],
            "unit": [None, unit.name],
            "place_no": [None, place_no],
            "members": [[], member_record(cadres)],
        },
    )
    return team


def _check_open(competition: Competition, hint: str = "") -> None:
    reason = team_entry_closed_reason(competition, timezone.now())
    if reason:
        raise RegistrationClosed(f"{reason} {hint}" if hint else reason)


def _add_members(team: Team, cadres: list[Cadre]) -> None:
    try:
        with transaction.atomic():
            TeamMember.objects.bulk_create(
                [TeamMember(team=team, competition_id=team.competition_id, cadre=cadre) for cadre in cadres]
            )
    except IntegrityError as exc:
        raise EntryRejected(
            [_("One of the members was entered in another team of this event a moment ago; please try again.")]
        ) from exc


def lock_team(team: Team) -> tuple[Competition, Team]:
    competition = lock_competition(team.competition_id)
    team = lock_one(Team, team.pk, select_related=["unit"])
    team.competition = competition
    if team.status != Team.Status.ACTIVE:
        raise PortalError(_("Team %(team)s has been withdrawn.") % {"team": team.name})
    return competition, team


@transaction.atomic
def team_update_members(*, actor, team: Team, members, name: str | None = None) -> Team:
    """Change an active team's members (and, if given, its name) before the deadline; nothing saved on error.

    The same rules as `team_register` apply to the new line-up, checked the same way: first without the lock (a
    fresh read of the team: still entered, window open, the new name valid and free, the members' own rules),
    then, under the Competition and Team row locks, only what concurrent writers can change (the team's status,
    the window, the name, `entry_problems` in full). After the deadline members change only by a substitution
    that staff approve. Audited with the old and new members. Raises NotPermitted, RegistrationClosed,
    PortalError (withdrawn team) or EntryRejected.
    """
    require_manager(actor, team.unit)
    hint = _("After the deadline, ask for a substitution; the committee approves it.")
    fresh = Team.objects.select_related("unit", "competition__activity").get(pk=team.pk)
    if fresh.status != Team.Status.ACTIVE:
        raise PortalError(_("Team %(team)s has been withdrawn.") % {"team": fresh.name})
    _check_open(fresh.competition, hint)
    new_name = (name or "").strip()
    renaming = name is not None and bool(new_name) and new_name != fresh.name
    if renaming:
        _check_name(fresh.competition, new_name, fresh)
        _clean_name(new_name)
    cadres = _load_cadres(members)
    _check_members(fresh.competition, fresh.unit, cadres, fresh, other_entries=False)

    competition, team = lock_team(team)
    _check_open(competition, hint)
    changes = {}
    if renaming and new_name != team.name:
        _check_name(competition, new_name, team)
        changes["name"] = [team.name, new_name]
        team.name = new_name
        _validated(team)
    _check_members(competition, team.unit, cadres, team)
    before = [m.cadre for m in team.members.select_related("cadre")]
    new_ids = {c.pk for c in cadres}
    old_ids = {c.pk for c in before}
    if new_ids != old_ids:
        team.members.exclude(cadre_id__in=new_ids).delete()
        _add_members(team, [c for c in cadres if c.pk not in old_ids])
        changes["members"] = [member_record(before), member_record(cadres)]
    if "name" in changes:
        team.save(update_fields=["name", "updated_at"])
    if changes:
        audit_record(actor=actor, action="team.update", obj=team, changes=changes)
    return team


@transaction.atomic
def team_withdraw(*, actor, team: Team) -> Team:
    """Withdraw a team: its place is freed and its members may enter another team of the event.

    Liaisons withdraw only while registration is open; committee staff may until entries are locked (after
    the draw a missing team is a walkover, not a withdrawal). Deletes the TeamMember rows; the audit entry
    keeps who was in the team. Pending substitutions of the team are rejected with it.
    Raises NotPermitted, RegistrationClosed or PortalError (already withdrawn).
    """
    require_manager(actor, team.unit)
    competition, team = lock_team(team)
    if competition.entries_locked:
        raise RegistrationClosed(
            _("Entries for %(competition)s are locked: the draw has been made.") % {"competition": competition.name}
        )
    if not is_committee_staff(actor):
        reason = team_entry_closed_reason(competition, timezone.now())
        if reason:
            raise RegistrationClosed(reason + " " + _("Ask the committee to withdraw the team."))
    members = [m.cadre for m in team.members.select_related("cadre")]
    team.members.all().delete()
    now = timezone.now()
    for substitution in lock_rows(team.substitutions.filter(status=Substitution.Status.PENDING)):
        substitution.status = Substitution.Status.REJECTED
        substitution.decided_by = actor if actor.is_authenticated else None
        substitution.decided_at = now
        substitution.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="substitution.reject",
            obj=substitution,
            changes={"status": [Substitution.Status.PENDING, substitution.status], "reason": "team withdrawn"},
        )
    team.status = Team.Status.WITHDRAWN
    team.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="team.withdraw",
        obj=team,
        changes={
            "status": [Team.Status.ACTIVE, Team.Status.WITHDRAWN],
            "place_no": [team.place_no, None],
            "members": [member_record(members), []],
        },
    )
    return team


def _members_at_withdrawal(team: Team) -> list[Cadre]:
    """The cadres a withdrawn team had, from its withdrawal's audit entry (withdrawing deletes the TeamMember rows)."""
    from portal.models import AuditEntry

    entry = (
        AuditEntry.objects.filter(action="team.withdraw", object_type=Team._meta.label_lower, object_id=str(team.pk))
        .order_by("-pk")
        .first()
    )
    members = (entry.changes.get("members") or [[]])[0] if entry is not None else []
    ids = [m["id"] for m in members if isinstance(m, dict) and "id" in m]
    found = Cadre.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@transaction.atomic
def team_reinstate(*, actor, team: Team) -> Team:
    """Enter a withdrawn team again (committee staff only), with the members it had when it withdrew.

    Checked under the Competition row lock like a new entry, since its place may have been taken meanwhile: the
    activity is published or closed and not over, entries are not locked (after the draw a team cannot come
    back), at most `entries_per_unit` active teams for the unit, a free place (the team takes the lowest free
    entry number, not necessarily its old one), its name still free, and every member still eligible (active,
    in no other team of the event, team size...). The members come from the withdrawal's audit entry.
    Audited. Raises NotPermitted, RegistrationClosed, NoPlacesLeft, EntryRejected or PortalError.
    """
    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can reinstate a withdrawn team."))
    competition = lock_competition(team.competition_id)
    team = lock_one(Team, team.pk, select_related=["unit"])
    team.competition = competition
    if team.status == Team.Status.ACTIVE:
        raise PortalError(_("Team %(team)s is entered already.") % {"team": team.name})
    activity = competition.activity
    if activity.status not in (Activity.Status.PUBLISHED, Activity.Status.CLOSED) or activity.is_over(timezone.now()):
        raise RegistrationClosed(
            _("%(activity)s is not taking entries any more; its teams can no longer change.")
            % {"activity": activity.title}
        )
    if competition.entries_locked:
        raise RegistrationClosed(
            _("Entries for %(competition)s are locked: the draw has been made.") % {"competition": competition.name}
        )
    _check_entries_per_unit(competition, team.unit)
    place_no = _lowest_free_place(competition)
    _check_name(competition, team.name, team)
    cadres = _members_at_withdrawal(team)
    problems = entry_problems(competition=competition, unit=team.unit, cadres=cadres, team=team)
    if problems:
        raise EntryRejected(problems)
    old_place = team.place_no
    team.status, team.place_no = Team.Status.ACTIVE, place_no
    try:
        with transaction.atomic():
            team.save(update_fields=["status", "place_no", "updated_at"])
    except IntegrityError as exc:
        raise _no_places_left(competition) from exc
    _add_members(team, cadres)
    audit_record(
        actor=actor,
        action="team.reinstate",
        obj=team,
        changes={
            "status": [Team.Status.WITHDRAWN, Team.Status.ACTIVE],
            "place_no": [old_place, place_no],
            "members": [[], member_record(cadres)],
        },
    )
    return team

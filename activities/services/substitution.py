"""Substitutions: after the registration deadline a team's members change only with a staff member's approval.

A liaison asks (`substitution_request`), committee staff decide in the admin (`substitution_decide`); the
swap re-checks every rule at the moment of approval, since the team and the incoming cadre may have changed.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one
from portal.models import Cadre
from portal.permissions import is_committee_staff

from ..models import Activity, Competition, Substitution, Team, TeamMember
from .eligibility import EntryRejected, entry_problems
from .teams import lock_team, member_record, require_manager, team_entry_closed_reason

# Once an activity is over or called off there is nobody left to substitute.
_SUBSTITUTION_STATUSES = (Activity.Status.PUBLISHED, Activity.Status.CLOSED)


def _require_not_over(activity: Activity) -> None:
    # Past its end an activity is over even before staff mark it finished: its line-ups are history.
    if activity.status not in _SUBSTITUTION_STATUSES or activity.is_over(timezone.now()):
        raise PortalError(_("%(activity)s is over; its teams can no longer change.") % {"activity": activity.title})


def _check_swap(*, competition: Competition, team: Team, outgoing: Cadre, incoming: Cadre) -> list[Cadre]:
    """Check that `incoming` may replace `outgoing`: the current line-up, or EntryRejected naming why not."""
    current = [m.cadre for m in team.members.select_related("cadre")]
    current_ids = {c.pk for c in current}
    if outgoing.pk not in current_ids:
        raise EntryRejected([_("%(name)s is not in team %(team)s.") % {"name": outgoing.name, "team": team.name}])
    if incoming.pk in current_ids:
        raise EntryRejected([_("%(name)s is already in team %(team)s.") % {"name": incoming.name, "team": team.name}])
    line_up = [c for c in current if c.pk != outgoing.pk] + [incoming]
    problems = entry_problems(competition=competition, unit=team.unit, cadres=line_up, team=team, joining={incoming.pk})
    if problems:
        raise EntryRejected(problems)
    return current


@transaction.atomic
def substitution_request(*, actor, team: Team, outgoing: Cadre, incoming: Cadre, reason: str) -> Substitution:
    """Ask to replace one member of a team after the deadline; the request waits for staff approval.

    The actor must be a liaison of the team's unit or committee staff. Refused while registration is still
    open (members change directly then), for a withdrawn team or a finished activity, when the outgoing cadre
    is not in the team, when a request for either cadre is already pending, and when the incoming cadre breaks
    any entry rule (unit, active, gender, age, one team per event, events per athlete). Audited.
    Raises NotPermitted, PortalError or EntryRejected.
    """
    require_manager(actor, team.unit)
    competition, team = lock_team(team)
    _require_not_over(competition.activity)
    if team_entry_closed_reason(competition, timezone.now()) is None:
        raise PortalError(
            _("Registration for %(competition)s is still open: change the team's members directly.")
            % {"competition": competition.name}
        )
    reason = (reason or "").strip()
    if not reason:
        raise EntryRejected([_("Give a reason for the substitution.")])
    outgoing = Cadre.objects.get(pk=outgoing.pk)
    incoming = Cadre.objects.get(pk=incoming.pk)
    pending = team.substitutions.filter(status=Substitution.Status.PENDING)
    if pending.filter(outgoing=outgoing).exists() or pending.filter(incoming=incoming).exists():
        raise EntryRejected(
            [_("A substitution for %(name)s is already waiting for approval.") % {"name": outgoing.name}]
        )
    _check_swap(competition=competition, team=team, outgoing=outgoing, incoming=incoming)
    substitution = Substitution(
        team=team,
        outgoing=outgoing,
        incoming=incoming,
        reason=reason,
        requested_by=actor if actor.is_authenticated else None,
    )
    substitution.full_clean(exclude=["requested_by"])
    substitution.save()
    audit_record(
        actor=actor,
        action="substitution.request",
        obj=substitution,
        changes={
            "status": [None, substitution.status],
            "outgoing": [None, member_record([outgoing])[0]],
            "incoming": [None, member_record([incoming])[0]],
            "reason": [None, reason],
        },
    )
    return substitution


@transaction.atomic
def substitution_decide(*, actor, substitution: Substitution, approve: bool) -> Substitution:
    """Approve (swap the members) or reject a pending substitution; committee staff only.

    Approval re-checks the rules under the Competition lock and swaps the TeamMember rows in the same
    transaction; if a rule now fails nothing changes and the request stays pending (staff may reject it).
    Audited. Raises NotPermitted, PortalError (already decided, team withdrawn) or EntryRejected.
    """
    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can decide on substitutions."))
    # Lock in the shared order (activity, competition, team, substitution) so a concurrent withdrawal cannot
    # deadlock with us.
    team = Team.objects.get(pk=Substitution.objects.values_list("team_id", flat=True).get(pk=substitution.pk))
    competition, team = lock_team(team)
    substitution = lock_one(Substitution, substitution.pk, select_related=["outgoing", "incoming"])
    if substitution.status != Substitution.Status.PENDING:
        raise PortalError(_("This substitution has already been decided."))
    changes = {}
    if approve:
        _require_not_over(competition.activity)
        before = _check_swap(
            competition=competition, team=team, outgoing=substitution.outgoing, incoming=substitution.incoming
        )
        TeamMember.objects.filter(team=team, cadre=substitution.outgoing).delete()
        try:
            with transaction.atomic():
                TeamMember.objects.create(team=team, competition=competition, cadre=substitution.incoming)
        except IntegrityError as exc:
            raise EntryRejected(
                [
                    _("%(name)s was entered in another team of this event a moment ago.")
                    % {"name": substitution.incoming.name}
                ]
            ) from exc
        after = [c for c in before if c.pk != substitution.outgoing_id] + [substitution.incoming]
        changes["members"] = [member_record(before), member_record(after)]
    old_status = substitution.status
    substitution.status = Substitution.Status.APPROVED if approve else Substitution.Status.REJECTED
    substitution.decided_by = actor
    substitution.decided_at = timezone.now()
    substitution.save(update_fields=["status", "decided_by", "decided_at"])
    changes["status"] = [old_status, substitution.status]
    audit_record(
        actor=actor,
        action="substitution.approve" if approve else "substitution.reject",
        obj=substitution,
        changes=changes,
    )
    return substitution

"""Writes on the shared model: cadres and their accounts, roles, activation; transactional and audited."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from . import history
from .audit import audit_record
from .errors import PortalError
from .locking import lock_one, lock_rows
from .models import Cadre
from .phones import normalize_phone

User = get_user_model()


def initial_password_hash() -> str:
    """The password of a new account: unusable, so that nobody can log in until they are issued one.

    A shared initial password would let anyone who knows it take over every account that has not logged in
    yet. Liaisons and staff issue each account its own random one-time password (portal.credentials); the
    account must then choose its own at first login. One call per batch is enough: the value is not secret.
    """
    return make_password(None)


def employee_no_taken_message(employee_no: str, taken: str) -> str:
    """The translated refusal for an employee number already in use, exactly or in another letter case."""
    if taken == employee_no:
        return _("An account with employee number %(no)s already exists.") % {"no": employee_no}
    return _(
        "Employee number %(no)s differs only in letter case from the existing account %(taken)s; people would "
        "read them as one. Use %(taken)s or another number."
    ) % {"no": employee_no, "taken": taken}


def employee_no_conflict(employee_no: str, *, exclude_user_id=None) -> str | None:
    """The login name of another account equal to `employee_no` ignoring letter case, or None."""
    accounts = User.objects.filter(username__iexact=employee_no)
    if exclude_user_id is not None:
        accounts = accounts.exclude(pk=exclude_user_id)
    taken = accounts.values_list("username", flat=True).first()
    if taken is None:
        cadres = Cadre.objects.filter(employee_no__iexact=employee_no)
        if exclude_user_id is not None:
            cadres = cadres.exclude(user_id=exclude_user_id)
        taken = cadres.values_list("employee_no", flat=True).first()
    return taken


@transaction.atomic
def cadre_save(*, actor, cadre: Cadre, password_hash: str | None = None) -> Cadre:
    """Create or update a cadre together with the login account named by the employee number.

    A new cadre gets an account without a usable password (a liaison or staff issue one, portal.credentials)
    and must choose their own at first login. The phone is stored in its normalised form.
    Raises ValidationError when a field is invalid, PortalError when the employee number is taken by another
    account, also when it differs only in letter case ("A001" and "a001" would be two logins read as one).
    """
    creating = cadre.pk is None
    cadre.employee_no = cadre.employee_no.strip()
    cadre.phone = normalize_phone(cadre.phone) or cadre.phone  # an unreadable phone is left to the validator
    taken = employee_no_conflict(cadre.employee_no, exclude_user_id=None if creating else cadre.user_id)
    if taken is not None:
        raise PortalError(employee_no_taken_message(cadre.employee_no, taken))
    if creating:
        user = User(username=cadre.employee_no, is_active=cadre.is_active)
        user.password = password_hash or initial_password_hash()
        user.save()
        cadre.user = user
        cadre.must_change_password = True
    cadre.full_clean()
    # Locked: the unit and activation before this save decide the history written below.
    stored = None if creating else lock_one(Cadre, cadre.pk, missing_ok=True)
    if not creating:
        user = cadre.user
        if user.username != cadre.employee_no:
            user.username = cadre.employee_no
        user.is_active = cadre.is_active
        user.save(update_fields=["username", "is_active"])
    cadre.save()
    # The reports count a cadre where and while they were active (portal.history).
    if creating:
        if cadre.is_active:
            history.cadres_started({cadre.pk: cadre.unit_id})
    elif stored is not None:
        history.cadre_changed(cadre, unit_id=stored.unit_id, is_active=stored.is_active)
    audit_record(actor=actor, action="cadre.create" if creating else "cadre.update", obj=cadre)
    return cadre


@transaction.atomic
def cadres_set_active(*, actor, cadres, active: bool, at=None) -> int:
    """Activate or deactivate cadres and their login accounts together; returns how many changed.

    `at` is when it happened (default now), recorded in their history for the reports (the demo season's leavers
    left months ago)."""
    changed = lock_rows(Cadre.objects.exclude(is_active=active), [c.pk for c in cadres])
    ids = [c.pk for c in changed]
    Cadre.objects.filter(pk__in=ids).update(is_active=active)
    User.objects.filter(cadre__in=ids).update(is_active=active)
    units_roster_changed(c.unit_id for c in changed)
    units = {c.pk: c.unit_id for c in changed}
    if active:
        history.cadres_started(units, at=at)
    else:
        history.cadres_ended(units, at=at)
    for cadre in changed:
        audit_record(actor=actor, action="cadre.activate" if active else "cadre.deactivate", obj=cadre)
    return len(changed)


@transaction.atomic
def cadres_set_liaison(*, actor, cadres, liaison: bool) -> int:
    """Make cadres liaisons of their own unit (or revoke it); inactive cadres cannot become liaisons."""
    candidates = lock_rows(Cadre.objects.exclude(is_liaison=liaison), [c.pk for c in cadres])
    if liaison:
        inactive = [str(c) for c in candidates if not c.is_active]
        if inactive:
            raise PortalError(_("Inactive cadres cannot be liaisons: %(names)s") % {"names": ", ".join(inactive)})
    changed = list(candidates)
    Cadre.objects.filter(pk__in=[c.pk for c in changed]).update(is_liaison=liaison)
    units_roster_changed(c.unit_id for c in changed)
    for cadre in changed:
        audit_record(actor=actor, action="cadre.liaison_grant" if liaison else "cadre.liaison_revoke", obj=cadre)
    return len(changed)


@transaction.atomic
def units_set_active(*, actor, units, active: bool) -> int:
    """Activate or deactivate units (committee staff only); returns how many changed. Audited, one entry each.

    A unit is never deleted: its cadres, teams, placings and report figures point at it. An inactive unit keeps
    all of that, drops out of the coverage count of active units, and cannot enter new teams (team_register).
    Its cadres stay as they are (deactivate them separately if they left). Raises NotPermitted.
    """
    from .errors import NotPermitted
    from .models import Unit
    from .permissions import is_committee_staff

    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can activate or deactivate units."))
    changed = lock_rows(Unit.objects.exclude(is_active=active), [u.pk for u in units])
    Unit.objects.filter(pk__in=[u.pk for u in changed]).update(is_active=active)
    if active:
        history.units_started([u.pk for u in changed])
    else:
        history.units_ended([u.pk for u in changed])
    for unit in changed:
        audit_record(
            actor=actor,
            action="unit.activate" if active else "unit.deactivate",
            obj=unit,
            changes={"is_active": [not active, active]},
        )
    return len(changed)


@transaction.atomic
def password_change(*, user, new_password: str) -> None:
    """Set the password the user chose (already validated by the form) and lift the first-login redirect.

    The cadre row is locked first, as portal.credentials does before it issues an initial password, so an
    initial password issued at the same moment cannot overwrite the password the person just chose.
    """
    lock_rows(Cadre.objects.filter(user=user))
    user.set_password(new_password)
    user.save(update_fields=["password"])
    Cadre.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    audit_record(actor=user, action="user.password_change", obj=user, object_type="auth.user")


def units_roster_changed(unit_ids) -> None:
    """Mark the units' lists of cadres as changed (their `updated_at`), inside the caller's transaction.

    The unit page keeps its list of cadres in the cache under the unit's `updated_at` (selectors.unit_page_state),
    so every write of cadres that bypasses Cadre.save (bulk updates) calls this; saves and deletes do through the
    signal receivers below. No audit entry: it records no decision.
    """
    from django.utils import timezone

    from .models import Unit

    ids = {pk for pk in unit_ids if pk is not None}
    if ids:
        Unit.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _remember_cadre_unit(sender, instance, raw=False, **kwargs):
    # A cadre moved to another unit leaves the old unit's list too.
    if not raw and not instance._state.adding and instance.pk is not None:
        instance._portal_unit_before = sender.objects.filter(pk=instance.pk).values_list("unit_id", flat=True).first()


def _cadre_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        units_roster_changed([instance.unit_id, getattr(instance, "_portal_unit_before", None)])


def _cadre_deleted(sender, instance, **kwargs):
    units_roster_changed([instance.unit_id])


def connect_roster_stamps():
    """Called from PortalConfig.ready(): every save and delete of a cadre marks its unit's list as changed."""
    from django.db.models.signals import post_delete, post_save, pre_save

    pre_save.connect(_remember_cadre_unit, sender=Cadre, dispatch_uid="portal.remember_cadre_unit")
    post_save.connect(_cadre_saved, sender=Cadre, dispatch_uid="portal.cadre_saved")
    post_delete.connect(_cadre_deleted, sender=Cadre, dispatch_uid="portal.cadre_deleted")

"""Writes on the shared model: cadres and their accounts, roles, activation; transactional and audited."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import PortalError
from .models import Cadre

User = get_user_model()


def initial_password_hash() -> str:
    """One hash of the configured initial password, shared by every account created in one batch.

    Hashing is deliberately slow (PBKDF2); hashing once per batch is what lets a 30,000-row roster
    import finish in seconds. Every such account must change its password at first login.
    """
    return make_password(settings.PORTAL_INITIAL_PASSWORD)


@transaction.atomic
def cadre_save(*, actor, cadre: Cadre, password_hash: str | None = None) -> Cadre:
    """Create or update a cadre together with the login account named by the employee number.

    A new cadre gets an account with the initial password and must change it at first login.
    Raises ValidationError when a field is invalid, PortalError when the employee number is taken
    by another account.
    """
    creating = cadre.pk is None
    cadre.employee_no = cadre.employee_no.strip()
    if creating:
        if User.objects.filter(username=cadre.employee_no).exists():
            raise PortalError(_("An account with employee number %(no)s already exists.") % {"no": cadre.employee_no})
        user = User(username=cadre.employee_no, is_active=cadre.is_active)
        user.password = password_hash or initial_password_hash()
        user.save()
        cadre.user = user
        cadre.must_change_password = True
    cadre.full_clean()
    if not creating:
        user = cadre.user
        if user.username != cadre.employee_no:
            if User.objects.filter(username=cadre.employee_no).exclude(pk=user.pk).exists():
                raise PortalError(
                    _("An account with employee number %(no)s already exists.") % {"no": cadre.employee_no}
                )
            user.username = cadre.employee_no
        user.is_active = cadre.is_active
        user.save(update_fields=["username", "is_active"])
    cadre.save()
    audit_record(actor=actor, action="cadre.create" if creating else "cadre.update", obj=cadre)
    return cadre


@transaction.atomic
def cadres_set_active(*, actor, cadres, active: bool) -> int:
    """Activate or deactivate cadres and their login accounts together; returns how many changed."""
    changed = list(Cadre.objects.select_for_update().filter(pk__in=[c.pk for c in cadres]).exclude(is_active=active))
    ids = [c.pk for c in changed]
    Cadre.objects.filter(pk__in=ids).update(is_active=active)
    User.objects.filter(cadre__in=ids).update(is_active=active)
    for cadre in changed:
        audit_record(actor=actor, action="cadre.activate" if active else "cadre.deactivate", obj=cadre)
    return len(changed)


@transaction.atomic
def cadres_set_liaison(*, actor, cadres, liaison: bool) -> int:
    """Make cadres liaisons of their own unit (or revoke it); inactive cadres cannot become liaisons."""
    candidates = Cadre.objects.select_for_update().filter(pk__in=[c.pk for c in cadres]).exclude(is_liaison=liaison)
    if liaison:
        inactive = [str(c) for c in candidates if not c.is_active]
        if inactive:
            raise PortalError(_("Inactive cadres cannot be liaisons: %(names)s") % {"names": ", ".join(inactive)})
    changed = list(candidates)
    Cadre.objects.filter(pk__in=[c.pk for c in changed]).update(is_liaison=liaison)
    for cadre in changed:
        audit_record(actor=actor, action="cadre.liaison_grant" if liaison else "cadre.liaison_revoke", obj=cadre)
    return len(changed)


@transaction.atomic
def password_changed(*, user) -> None:
    """Record that the user chose their own password, which lifts the first-login redirect."""
    Cadre.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    audit_record(actor=user, action="user.password_change", obj=user, object_type="auth.user")


@transaction.atomic
def cadres_reset_password(*, actor, cadres) -> int:
    """Give cadres the initial password again (a forgotten password); they must change it at next login.

    Also lifts a failed-login lock on those accounts, since the reset is usually why staff were called.
    """
    from axes.models import AccessAttempt

    ids = [c.pk for c in cadres]
    targets = list(Cadre.objects.select_for_update().filter(pk__in=ids).select_related("user"))
    User.objects.filter(cadre__in=ids).update(password=initial_password_hash())
    Cadre.objects.filter(pk__in=ids).update(must_change_password=True)
    AccessAttempt.objects.filter(username__in=[c.user.username for c in targets]).delete()
    for cadre in targets:
        audit_record(actor=actor, action="cadre.password_reset", obj=cadre)
    return len(targets)

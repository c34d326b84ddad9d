"""Individual sign-up: cadres signing up to activities open to individuals, cancelling, and the waiting list.

Places are guarded by a row lock (`select_for_update` on the Activity) and backed up by the models' unique
constraints.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one
from portal.models import Cadre
from portal.permissions import is_committee_staff

from ..models import Activity, Registration
from .eligibility import RegistrationClosed, _when


def signup_closed_reason(activity: Activity, now) -> str | None:
    """Why a cadre cannot sign up to (or cancel at) this activity now, or None when they can."""
    if not activity.open_to_individuals:
        return _("%(activity)s does not take individual sign-ups.") % {"activity": activity.title}
    if activity.status != Activity.Status.PUBLISHED:
        return _("%(activity)s is not open for registration.") % {"activity": activity.title}
    if activity.registration_opens_at and now < activity.registration_opens_at:
        return _("Registration for %(activity)s opens at %(when)s.") % {
            "activity": activity.title,
            "when": _when(activity.registration_opens_at),
        }
    if not activity.registration_is_open(now):
        return _("Registration for %(activity)s closed at %(when)s.") % {
            "activity": activity.title,
            "when": _when(activity.registration_closes_at),
        }
    return None


@transaction.atomic
def registration_sign_up(*, actor, activity: Activity, cadre: Cadre) -> Registration:
    """Sign a cadre up to an activity open to individuals: confirmed while places last, then waitlisted.

    Only the cadre themself may sign up, only while they are active and the registration window is open.
    Locks the Activity row so that two sign-ups racing for the last place cannot both be confirmed.
    Writes an audit entry. Raises NotPermitted, RegistrationClosed, or PortalError when already signed up.
    """
    if not actor.is_authenticated or cadre.user_id != actor.pk:
        raise NotPermitted(_("You can only sign yourself up."))
    activity = lock_one(Activity, activity.pk)
    if not Cadre.objects.filter(pk=cadre.pk, is_active=True).exists():
        raise NotPermitted(_("Only active cadres can sign up."))
    reason = signup_closed_reason(activity, timezone.now())
    if reason:
        raise RegistrationClosed(reason)
    live = Registration.objects.filter(activity=activity, cadre=cadre).exclude(status=Registration.Status.CANCELLED)
    if live.exists():
        raise PortalError(_("You are already signed up to %(activity)s.") % {"activity": activity.title})
    confirmed = Registration.objects.filter(activity=activity, status=Registration.Status.CONFIRMED).count()
    full = activity.capacity is not None and confirmed >= activity.capacity
    registration = Registration(
        activity=activity,
        cadre=cadre,
        status=Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED,
    )
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        # Only a second request of the same cadre slipping past the check above gets here.
        raise PortalError(_("You are already signed up to %(activity)s.") % {"activity": activity.title}) from exc
    audit_record(
        actor=actor, action="registration.sign_up", obj=registration, changes={"status": [None, registration.status]}
    )
    return registration


@transaction.atomic
def registration_cancel(*, actor, registration: Registration) -> Registration:
    """Cancel a sign-up; a freed confirmed place goes to the earliest person on the waiting list.

    A cadre cancels their own sign-up inside the registration window; committee staff may cancel any at
    any time. Cancellation and promotion happen in one transaction under the Activity row lock, and each is
    audited. Raises NotPermitted, RegistrationClosed, or PortalError when already cancelled.
    """
    staff = is_committee_staff(actor)
    activity = lock_one(Activity, registration.activity_id)
    registration = lock_one(Registration, registration.pk, select_related=["cadre"])
    if not staff and (not actor.is_authenticated or registration.cadre.user_id != actor.pk):
        raise NotPermitted(_("You can only cancel your own sign-up."))
    if registration.status == Registration.Status.CANCELLED:
        raise PortalError(_("This sign-up is already cancelled."))
    if not staff:
        reason = signup_closed_reason(activity, timezone.now())
        if reason:
            raise RegistrationClosed(reason)
    old_status = registration.status
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="registration.cancel",
        obj=registration,
        changes={"status": [old_status, registration.status]},
    )
    if old_status == Registration.Status.CONFIRMED:
        _promote_waitlisted(actor=actor, activity=activity)
    return registration


def _promote_waitlisted(*, actor, activity: Activity) -> list[Registration]:
    """Fill free places from the waiting list in sign-up order; the caller holds the Activity lock."""
    waiting = (
        Registration.objects.select_for_update()
        .filter(activity=activity, status=Registration.Status.WAITLISTED)
        .order_by("created_at", "id")
    )
    if activity.capacity is not None:
        confirmed = Registration.objects.filter(activity=activity, status=Registration.Status.CONFIRMED).count()
        waiting = waiting[: max(activity.capacity - confirmed, 0)]
    promoted = list(waiting)
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="registration.promote",
            obj=registration,
            changes={"status": [Registration.Status.WAITLISTED, Registration.Status.CONFIRMED]},
        )
    return promoted

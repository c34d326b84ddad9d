"""What the activities admin modules share: running a service from an admin action with messages, not 500s."""

from django.contrib import messages
from django.utils.translation import gettext as _

from portal.errors import PortalError


def run_for_each(modeladmin, request, queryset, call, *, done_message: str) -> int:
    """Call `call(obj)` for every selected object; each broken rule becomes an error message naming the object.

    Returns how many succeeded and reports that count with `done_message` (a "%(count)d" format string).
    """
    done = 0
    for obj in queryset:
        try:
            call(obj)
        except PortalError as error:
            modeladmin.message_user(
                request, _("%(object)s: %(error)s") % {"object": obj, "error": error}, messages.ERROR
            )
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    return done


def warn_conflicts(modeladmin, request, conflicts) -> None:
    """Show double bookings as warnings: staff decide which match to move."""
    for conflict in conflicts:
        modeladmin.message_user(request, describe_conflict(conflict), messages.WARNING)


def describe_conflict(conflict) -> str:
    if conflict.kind == "cadre":
        text = _("%(names)s would play two matches at once: %(first)s (%(first_at)s) and %(second)s (%(second_at)s).")
    else:
        text = _("%(names)s is booked twice at once: %(first)s (%(first_at)s) and %(second)s (%(second_at)s).")
    from django.utils import timezone

    return text % {
        "names": "、".join(conflict.subjects),
        "first": conflict.first,
        "first_at": timezone.localtime(conflict.first.scheduled_at).strftime("%Y-%m-%d %H:%M"),
        "second": conflict.second,
        "second_at": timezone.localtime(conflict.second.scheduled_at).strftime("%Y-%m-%d %H:%M"),
    }

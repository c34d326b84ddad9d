"""What the activities admin modules share: running a service from an admin action with messages, not 500s."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from portal.admin_tools import ParsedInitialMixin  # noqa: F401  (the activities admins import it from here)
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


def service_form_view(modeladmin, request, obj, form_class, apply, *, title: str, note: str = "", done: str):
    """A change page of its own for fields that change only through a service (settings, points scale...).

    GET shows `form_class` bound to `obj`; a valid POST calls `apply(form)` (which calls the service with the
    changed fields), and a refused change shows the service's messages on the form with nothing saved. Staff
    without the change permission get a 403. Returns the response.
    """
    if not modeladmin.has_change_permission(request, obj):
        raise PermissionDenied
    form = form_class(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            apply(form)
        except (PortalError, ValidationError) as error:
            for message in getattr(error, "messages", None) or [str(error)]:
                form.add_error(None, message)
        else:
            modeladmin.message_user(request, done, messages.SUCCESS)
            return redirect(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "original": obj,
        "title": title,
        "note": note,
        "form": form,
        "media": modeladmin.media + form.media,
        "change_url": reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]),
    }
    return TemplateResponse(request, "admin/activities/service_form.html", context)


def service_form_link(url_name: str, obj, label: str) -> str:
    """A link to a `service_form_view` page, for a read-only field on the change form."""
    if obj is None or obj.pk is None:
        return "—"
    return format_html('<a href="{}" class="button">{}</a>', reverse(url_name, args=[obj.pk]), label)

"""A cadre's own pages: "my schedule", the private calendar link, and the iCalendar feed behind that link.

Each cadre sees only their own matches and sign-ups: nothing here takes a cadre id from the request. The feed
needs no login (calendar apps cannot log in); its unguessable token is the key, and an unknown or revoked
token is a 404.
"""

import hashlib

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, re_path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.permissions import PortalAccessMixin, cadre_of
from portal.selectors import cached_fragment, templates_fingerprint

from ..ics import (
    CONTENT_TYPE,
    cadre_for_token,
    calendar_token_regenerate,
    match_event,
    registration_event,
    render_calendar,
)
from ..models import CalendarToken
from ..selectors.schedule import (
    cadre_matches,
    cadre_registrations,
    cadre_schedule,
    cadre_schedule_version,
    conceal_unpublished,
)


class CadreMixin(PortalAccessMixin):
    """Logged-in users with a cadre record; staff and leadership accounts without one get a 404."""

    def has_access(self, user):
        return cadre_of(user) is not None

    @property
    def cadre(self):
        return cadre_of(self.request.user)


class MyScheduleView(CadreMixin, TemplateView):
    """My matches and sign-ups in time order: what is coming, what is not timed yet, what is past.

    The list is cached for this cadre only (the key holds their id) under `cadre_schedule_version`, one light
    query; the person is checked on every request before the cache is read.
    """

    template_name = "activities/cadre/my_schedule.html"
    body_template = "activities/cadre/my_schedule_body.html"
    body_fingerprint = templates_fingerprint(
        body_template,
        "activities/partials/schedule_item.html",
        "activities/partials/team_label.html",
        "activities/partials/activity_when.html",
    )

    def get_context_data(self, **kwargs):
        cadre, now = self.cadre, timezone.now()

        def build():
            return render_to_string(self.body_template, {"schedule": cadre_schedule(cadre, now=now)})

        version = cadre_schedule_version(cadre, now=now)
        parts = (self.body_fingerprint, cadre.pk, version, translation.get_language())
        body = cached_fragment("activities:my-schedule", parts, build)
        return super().get_context_data(schedule_body=mark_safe(body), **kwargs)  # noqa: S308 - our own template


class MyCalendarView(CadreMixin, TemplateView):
    """My private calendar link with instructions; POST creates it or replaces it (the old link stops working)."""

    template_name = "activities/cadre/my_calendar.html"

    def get_context_data(self, **kwargs):
        token = CalendarToken.objects.filter(cadre=self.cadre).first()
        feed_url = webcal_url = None
        if token is not None:
            feed_url = self.request.build_absolute_uri(reverse("activities:cadre_ics", args=[token.token]))
            webcal_url = "webcal://" + feed_url.split("://", 1)[1]
        return super().get_context_data(token=token, feed_url=feed_url, webcal_url=webcal_url, **kwargs)

    def post(self, request):
        had_token = CalendarToken.objects.filter(cadre=self.cadre).exists()
        calendar_token_regenerate(actor=request.user, cadre=self.cadre)
        if had_token:
            messages.success(request, _("Your calendar link is new; the old one no longer works."))
        else:
            messages.success(request, _("Your calendar link is ready."))
        return redirect("activities:my_calendar")


class CadreCalendarFeed(View):
    """My matches and sign-ups as iCalendar, for the cadre whose token is in the URL; no login."""

    def get(self, request, token):
        cadre = cadre_for_token(token)
        if cadre is None:
            raise Http404
        # Calendar apps poll: an unchanged schedule (one light query) answers 304 without building the feed.
        version = cadre_schedule_version(cadre, now=timezone.now())
        parts = (cadre.pk, cadre.name, version, translation.get_language(), request.get_host(), request.scheme)
        etag = f'"{hashlib.sha1(repr(parts).encode()).hexdigest()[:20]}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            not_modified["Cache-Control"] = "private, max-age=300"
            return not_modified
        events = []
        for match in conceal_unpublished(cadre_matches(cadre).filter(scheduled_at__isnull=False)):
            url = request.build_absolute_uri(reverse("activities:competition_detail", args=[match.competition_id]))
            events.append(match_event(match, competition_url=url))
        for registration in cadre_registrations(cadre):
            url = request.build_absolute_uri(reverse("activities:activity_detail", args=[registration.activity_id]))
            events.append(registration_event(registration, activity_url=url))
        events.sort(key=lambda event: (event.start, event.uid))
        body = render_calendar(name=_("My schedule · %(name)s") % {"name": cadre.name}, events=events)
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="my-schedule.ics"'
        response["ETag"] = etag
        # Personal data behind a secret URL: no shared cache may keep it.
        response["Cache-Control"] = "private, max-age=300"
        return response


urlpatterns = [
    path("my/schedule/", MyScheduleView.as_view(), name="my_schedule"),
    path("my/calendar/", MyCalendarView.as_view(), name="my_calendar"),
    re_path(r"^ics/(?P<token>[A-Za-z0-9_-]{16,64})\.ics$", CadreCalendarFeed.as_view(), name="cadre_ics"),
]

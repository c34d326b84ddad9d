"""Public pages: the activity list, the month calendar, an activity's detail and medal table, and each
competition's fixtures, standings, bracket and iCalendar feed. Anonymous visitors are welcome; drafts are a 404
for everyone but committee staff.

The competition pages keep their body (header and rows) in the cache, keyed on `competition_version`, so a
128-team round robin serves from memory until something it shows changes; a cache hit costs one light query.
Results stay hidden from the public until staff publish them.
"""

import hashlib
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from portal.numbers import parse_positive_int
from portal.permissions import is_committee_staff, is_liaison

from ..forms.filters import ActivityFilterForm, parse_month
from ..ics import CONTENT_TYPE, match_event, render_calendar
from ..models import Activity, Competition, Match
from ..selectors.bracket import competition_bracket
from ..selectors.competition_cache import competition_state, competition_version, competition_with_activity
from ..selectors.fixtures import fixture_pages, page_summary, round_fixtures
from ..selectors.matches import conceal_advanced_entrants
from ..selectors.medals import medal_table
from ..selectors.public import (
    activity_competitions,
    activity_for_viewer,
    activity_list_version,
    calendar_month,
    public_activities,
)
from ..selectors.public import registration_window as window_of
from ..selectors.rankings import competition_ranking
from ..selectors.standings import competition_standings

# Safety net for writes that bypass the version (e.g. a unit renamed): a cached fragment lives at most this long.
FRAGMENT_TTL = 300
# A feed's body is kept by its content digest, which no write can leave stale: it may live long.
FEED_TTL = 24 * 3600
LIST_PAGE_SIZE = 20


def _templates_fingerprint() -> str:
    # A deploy that changes these templates must not be served bodies rendered by the old ones from a shared
    # cache (CACHE_URL=redis://...), so the templates' contents are part of every key.
    digest = hashlib.sha1()
    root = Path(settings.BASE_DIR) / "templates" / "activities"
    for template in sorted([*root.glob("public/*.html"), *root.glob("partials/*.html")]):
        digest.update(template.read_bytes())
    return digest.hexdigest()[:8]


TEMPLATES_FINGERPRINT = _templates_fingerprint()


def _cache_key(*parts) -> str:
    digest = hashlib.sha1("|".join(str(part) for part in (TEMPLATES_FINGERPRINT, *parts)).encode()).hexdigest()
    return f"activities:public:{digest}"


def cached(parts, build, timeout=FRAGMENT_TTL):
    """The cached value for `parts` (a tuple including the version), built by `build()` on a miss."""
    key = _cache_key(*parts)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value


def _reverse_or_none(name: str, *args) -> str | None:
    # The sign-up and team-entry pages belong to other modules; a missing one must not break this page.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class ActivityListView(TemplateView):
    """Public activities with search and filters, 20 per page, as cards.

    The list (filters, cards, paging) is the same for every viewer, so it is cached under `activity_list_version`
    (one light query) with the filters and the page; a search by title is rendered fresh.
    """

    template_name = "activities/public/activity_list.html"
    body_template = "activities/public/activity_list_body.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        form = ActivityFilterForm(self.request.GET or None)
        filters = form.filters()
        valid = not form.is_bound or form.is_valid()
        # The unit filter's options are cached under the same version (see UnitSelect).
        version = activity_list_version(now=now, with_teams=filters.get("unit") is not None)
        form.fields["unit"].widget.options_version = version
        # Bad page numbers show the first page (parse_positive_int refuses them), so they share its cache entry.
        number = parse_positive_int(self.request.GET.get("page")) or 1
        query = self.request.GET.copy()
        query.pop("page", None)
        query = query.urlencode()

        def build():
            activities = public_activities(**filters, now=now)
            page = Paginator(activities, LIST_PAGE_SIZE).get_page(number)
            context = {
                "form": form,
                "page_obj": page,
                "activities": page.object_list,
                "query": query,
                "filtered": any(filters.values()),
            }
            return render_to_string(self.body_template, context)

        if filters.get("search") or not valid:
            body = build()
        else:
            unit = filters.get("unit")
            key = (
                "activity_list",
                version,
                translation.get_language(),
                filters.get("kind"),
                filters.get("month"),
                unit.pk if unit else None,
                number,
                query,
            )
            body = cached(key, build)
        return super().get_context_data(list_body=mark_safe(body), **kwargs)  # noqa: S308 - our own template


class ActivityCalendarView(TemplateView):
    """A month of activities and matches: a grid on wide screens, a list by day on a phone."""

    template_name = "activities/public/activity_calendar.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        month = parse_month(self.request.GET.get("month")) or today.replace(day=1)
        return super().get_context_data(calendar=calendar_month(month=month, today=today), **kwargs)


class ActivityDetailView(TemplateView):
    template_name = "activities/public/activity_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            activity = activity_for_viewer(self.kwargs["pk"], user=user)
        except Activity.DoesNotExist as exc:
            raise Http404 from exc
        now = timezone.now()
        signup_url = _reverse_or_none("activities:signup", activity.pk) if activity.open_to_individuals else None
        register_url = None
        if activity.status == Activity.Status.PUBLISHED and is_liaison(user):
            register_url = _reverse_or_none("activities:register")
        return super().get_context_data(
            activity=activity,
            competitions=activity_competitions(activity),
            window=window_of(activity, now),
            signup_url=signup_url,
            register_url=register_url,
            is_draft=activity.status == Activity.Status.DRAFT,
            **kwargs,
        )


class MedalTableView(TemplateView):
    """A meet's medal table, unit team points and organisation awards."""

    template_name = "activities/public/medal_table.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            activity = activity_for_viewer(self.kwargs["pk"], user=user)
        except Activity.DoesNotExist as exc:
            raise Http404 from exc
        if not activity.has_medal_table:
            raise Http404
        staff = is_committee_staff(user)
        return super().get_context_data(
            activity=activity, table=medal_table(activity, include_unpublished=staff), staff_view=staff, **kwargs
        )


MATCH_FORMATS = (Competition.Format.ROUND_ROBIN, Competition.Format.KNOCKOUT, Competition.Format.GROUPS_KNOCKOUT)
LEAGUE_FORMATS = (Competition.Format.ROUND_ROBIN, Competition.Format.GROUPS_KNOCKOUT)
BRACKET_FORMATS = (Competition.Format.KNOCKOUT, Competition.Format.GROUPS_KNOCKOUT)


class CompetitionMixin:
    """The competition pages: a light query says whether the competition is in reach and what its version is;
    the page body (header and rows) is then served from the cache, or rendered and cached on a miss, when the
    full competition is loaded. An unknown competition, or a draft one for anyone but staff, is a 404.
    """

    tab = ""
    body_template = ""

    def dispatch(self, request, *args, **kwargs):
        self.state = competition_state(kwargs["pk"], user=request.user)
        if self.state is None:
            raise Http404
        self.version = competition_version(self.state)
        self.staff = is_committee_staff(request.user)
        self.show_results = self.state["results_published"] or self.staff
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def competition(self) -> Competition:
        return competition_with_activity(self.state["id"])

    def cached(self, name: str, build, *extra):
        """`build()` cached under the competition's version, the language, whether results show and the audience.

        Staff and everyone else never share an entry, even where the bodies would be equal today: a staff body
        shows what is not published yet (results, the teams a result moved on), and must never reach the public.
        """
        audience = "staff" if self.staff else "public"
        parts = (name, self.state["id"], self.version, translation.get_language(), self.show_results, audience, *extra)
        return cached(parts, build)

    def render_page(self, build_context, *extra) -> HttpResponse:
        def build():
            competition = self.competition
            context = {
                "competition": competition,
                "activity": competition.activity,
                "show_results": self.show_results,
                "unpublished_badge": self.show_results and not competition.results_published,
                "tab": self.tab,
                "has_standings": competition.format in LEAGUE_FORMATS,
                "has_bracket": competition.format in BRACKET_FORMATS,
                **build_context(),
            }
            return {"title": competition.name, "body": render_to_string(self.body_template, context)}

        page = self.cached(self.tab, build, *extra)
        context = {"title": page["title"], "body": mark_safe(page["body"])}  # noqa: S308 - our own template output
        return render(self.request, "activities/public/competition_page.html", context)


class CompetitionFixturesView(CompetitionMixin, View):
    """Fixtures one round per page (?round=N; default the first round with a match to play), or the ranking."""

    tab = "fixtures"
    body_template = "activities/public/competition_fixtures.html"

    @cached_property
    def pages(self):
        return fixture_pages(self.competition)

    def get(self, request, pk):
        if self.state["format"] not in MATCH_FORMATS:
            return self.render_page(lambda: {"lines": competition_ranking(self.competition)})
        # How many pages there are and which to show by default, without unpickling the whole list on a hit.
        count, default = self.cached("pages", lambda: page_summary(self.pages))
        number = parse_positive_int(request.GET.get("round"), maximum=count) or default

        def build_context():
            pages = self.pages
            if not pages:
                return {"pages": [], "page": None}
            page = pages[number - 1]
            return {
                "pages": pages,
                "page": page,
                "previous_page": pages[number - 2] if number > 1 else None,
                "next_page": pages[number] if number < len(pages) else None,
                "matches": round_fixtures(self.competition, page, conceal=not self.show_results),
            }

        return self.render_page(build_context, number)


class CompetitionStandingsView(CompetitionMixin, View):
    """League tables of a round robin or of each group; results hidden until published."""

    tab = "standings"
    body_template = "activities/public/competition_standings.html"

    def get(self, request, pk):
        if self.state["format"] not in LEAGUE_FORMATS:
            return redirect("activities:competition_detail", pk=pk)
        # Nothing is computed for a visitor who may not see the results.
        return self.render_page(
            lambda: {"tables": competition_standings(self.competition) if self.show_results else []}
        )


class CompetitionBracketView(CompetitionMixin, View):
    """The knockout bracket, a column per round (scrolls sideways on a phone)."""

    tab = "bracket"
    body_template = "activities/public/competition_bracket.html"

    def get(self, request, pk):
        if self.state["format"] not in BRACKET_FORMATS:
            return redirect("activities:competition_detail", pk=pk)
        return self.render_page(
            lambda: {"bracket": competition_bracket(self.competition, conceal=not self.show_results)}
        )


class CompetitionCalendarFeed(CompetitionMixin, View):
    """Every match of the competition that has a time, as an iCalendar feed anyone may subscribe to.

    Calendar apps poll it, so it answers conditional requests: its ETag is a digest of what the feed says
    (`feed_digest`), and Last-Modified when that last changed. The digest is computed once per competition version
    from the few columns the feed shows; a result entered moves the version but not the digest (once results are
    public, a score is not in the feed), so the 3 MB body of a 128-team round robin is built only when a time,
    a place, a team or a name changes. While results are hidden the digest follows every change, since a result
    can change which teams the feed may name.
    """

    def feed_digest(self, url: str) -> dict:
        """{"digest", "stamp"}: a digest of the feed's content and the latest change time of its matches."""

        def compute():
            # The feed tells a match's status only as cancelled or not: a result entered changes nothing here.
            # `updated_at` gives the stamp, not the digest.
            rows, stamp = [], None
            for *row, updated_at in (
                Match.objects.filter(competition_id=self.state["id"], scheduled_at__isnull=False)
                .exclude(status=Match.Status.BYE)
                .order_by("scheduled_at", "id")
                .values_list(
                    "id",
                    "scheduled_at",
                    "venue",
                    "court",
                    "status",
                    "home_id",
                    "away_id",
                    "home__name",
                    "away__name",
                    "updated_at",
                )
            ):
                rows.append((*row[:4], row[4] == Match.Status.CANCELLED, *row[5:]))
                stamp = updated_at if stamp is None else max(stamp, updated_at)
            digest = hashlib.sha1()
            parts = [self.state["updated_at"], self.state["activity_updated_at"], translation.get_language(), url]
            if not self.show_results:
                parts.append(self.version)
            digest.update(repr((parts, rows)).encode())
            return {"digest": digest.hexdigest()[:20], "stamp": stamp or self.state["updated_at"]}

        return self.cached("ics-digest", compute, url)

    def get(self, request, pk):
        url = request.build_absolute_uri(reverse("activities:competition_detail", args=[pk]))
        content = self.feed_digest(url)
        audience = "staff" if self.staff else "public"
        body_key = ("ics-body", pk, content["digest"], audience)
        # The body is kept with the stamp of the version it was built from: an unchanged feed keeps its DTSTAMPs.
        feed = cache.get(_cache_key(*body_key))
        stamp = feed["stamp"] if feed else content["stamp"]
        etag = f'"{content["digest"]}"'
        last_modified = int(stamp.timestamp()) if stamp else None
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return self.feed_headers(not_modified, etag, stamp)
        if feed is None:
            feed = {"stamp": stamp, "body": self.build_feed(url, stamp)}
            cache.set(_cache_key(*body_key), feed, FEED_TTL)
        response = HttpResponse(feed["body"], content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="competition-{pk}.ics"'
        return self.feed_headers(response, etag, stamp)

    @staticmethod
    def feed_headers(response, etag, stamp):
        response["ETag"] = etag
        if stamp:
            response["Last-Modified"] = http_date(stamp.timestamp())
        # Calendar apps and proxies may keep it, but must ask again (cheaply, with If-None-Match) before using it.
        response["Cache-Control"] = "public, no-cache"
        return response

    def build_feed(self, url, stamp) -> str:
        competition = self.competition
        matches = (
            Match.objects.filter(competition=competition, scheduled_at__isnull=False)
            .exclude(status=Match.Status.BYE)
            .select_related("home", "away")
            .order_by("scheduled_at", "id")
        )
        hidden = () if self.show_results else {competition.pk}
        events = []
        for match in conceal_advanced_entrants(matches, hidden_competitions=hidden):
            match.competition = competition
            events.append(match_event(match, competition_url=url, stamp=stamp))
        return render_calendar(name=f"{competition.activity.title} · {competition.name}", events=events)


urlpatterns = [
    path("", ActivityListView.as_view(), name="activity_list"),
    path("calendar/", ActivityCalendarView.as_view(), name="activity_calendar"),
    path("<id:pk>/", ActivityDetailView.as_view(), name="activity_detail"),
    path("<id:pk>/medals/", MedalTableView.as_view(), name="medal_table"),
    path("competitions/<id:pk>/", CompetitionFixturesView.as_view(), name="competition_detail"),
    path("competitions/<id:pk>/standings/", CompetitionStandingsView.as_view(), name="competition_standings"),
    path("competitions/<id:pk>/bracket/", CompetitionBracketView.as_view(), name="competition_bracket"),
    path("competitions/<id:pk>/calendar.ics", CompetitionCalendarFeed.as_view(), name="competition_ics"),
]

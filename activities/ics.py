"""iCalendar feeds (RFC 5545): a cadre's private feed behind a token, and each competition's public feed.

Written by hand rather than through a library: a feed is a handful of properties, and the rules that matter are
few: TEXT values escaped (RFC 5545 3.3.11), content lines folded at 75 octets without splitting a UTF-8
character (3.1), CRLF line ends, times in UTC. The cadre's token is the only secret; regenerating it revokes
every subscription made with the old URL.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import NotPermitted
from portal.locking import lock_one
from portal.models import Cadre
from portal.permissions import cadre_of, is_committee_staff

from .models import CalendarToken, Match, Registration, new_calendar_token
from .selectors.matches import conceal_advanced_entrants
from .selectors.schedule import MATCH_DURATION

PRODID = "-//Organs Work Portal//Activities//ZH"
UID_DOMAIN = "activities.organs-work-portal"
CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT property value: backslash, semicolon, comma and newlines escaped; other control characters dropped."""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch == "\n" or ch == "\t" or ord(ch) >= 0x20)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into physical lines of at most 75 octets; continuation lines start with a space."""
    if len(line.encode("utf-8")) <= MAX_OCTETS:
        return line
    lines, current, size = [], [], 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > MAX_OCTETS:
            lines.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += width
    lines.append("".join(current))
    return "\r\n".join(lines)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class CalendarEvent:
    """One VEVENT. The calendar has no METHOD, so DTSTAMP is when the event last changed (RFC 5545 3.8.7.2):
    the row's `updated_at`, which keeps a feed byte-for-byte the same until something in it changes."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    stamp: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE or CANCELLED


def render_calendar(*, name: str, events: Iterable[CalendarEvent]) -> str:
    """A whole VCALENDAR as text, ready to send as CONTENT_TYPE."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{format_utc(event.stamp)}",
            f"DTSTART:{format_utc(event.start)}",
            f"DTEND:{format_utc(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines += [f"STATUS:{event.status}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def _team_label(team, placeholder=None) -> str:
    if placeholder:
        return placeholder
    return team.name if team is not None else _("to be decided")


def match_event(match: Match, *, competition_url: str, stamp: datetime | None = None) -> CalendarEvent:
    """A VEVENT for a scheduled match; `match` needs its competition, activity and teams loaded.

    DTSTAMP is `stamp` when given (the competition feed passes the time its content last changed, so that a score
    entered, which the feed does not show, leaves it byte-for-byte the same), else the match's `updated_at`.

    While the competition's results are unpublished, a team that reached the match through a result shows as a
    placeholder ("Winner of Semi-finals match 1"): callers pass matches through `conceal_advanced_entrants`; a
    match that has not been through it is concealed here (one query), so a feed can never leak a result.
    """
    competition = match.competition
    if not hasattr(match, "home_placeholder"):
        hidden = () if competition.results_published else {competition.pk}
        conceal_advanced_entrants([match], hidden_competitions=hidden)
    location = match.venue or competition.venue or competition.activity.venue
    if match.court:
        location = f"{location} {match.court}".strip()
    return CalendarEvent(
        uid=f"match-{match.pk}@{UID_DOMAIN}",
        start=match.scheduled_at,
        end=match.scheduled_at + MATCH_DURATION,
        summary=(
            f"{competition.name}: {_team_label(match.home, match.home_placeholder)} – "
            f"{_team_label(match.away, match.away_placeholder)}"
        ),
        stamp=stamp or match.updated_at,
        location=location,
        description=f"{competition.activity.title}\n{competition_url}",
        url=competition_url,
        status="CANCELLED" if match.status == Match.Status.CANCELLED else "CONFIRMED",
    )


def registration_event(registration: Registration, *, activity_url: str) -> CalendarEvent:
    """A VEVENT for an individual sign-up; a place on the waiting list is TENTATIVE."""
    activity = registration.activity
    waiting = registration.status == Registration.Status.WAITLISTED
    summary = activity.title + (" (" + _("waiting list") + ")" if waiting else "")
    return CalendarEvent(
        # One UID per cadre and activity, so cancelling and signing up again updates the same calendar entry.
        uid=f"signup-{activity.pk}-{registration.cadre_id}@{UID_DOMAIN}",
        start=activity.starts_at,
        end=activity.ends_at,
        summary=summary,
        stamp=registration.updated_at,
        location=activity.venue,
        description=activity_url,
        url=activity_url,
        status="TENTATIVE" if waiting else "CONFIRMED",
    )


def cadre_for_token(token: str) -> Cadre | None:
    """The active cadre whose calendar token this is, or None. One query."""
    row = CalendarToken.objects.select_related("cadre").filter(token=token, cadre__is_active=True).first()
    return row.cadre if row else None


@transaction.atomic
def calendar_token_regenerate(*, actor, cadre: Cadre) -> CalendarToken:
    """Give the cadre a calendar token, replacing any old one so that URLs made with it stop working.

    Only the cadre themself (or committee staff) may do it. Audited; the token is a secret and stays out of the
    audit trail. Raises NotPermitted.
    """
    own = cadre_of(actor)
    if not ((own is not None and own.pk == cadre.pk) or is_committee_staff(actor)):
        raise NotPermitted(_("You can only change your own calendar link."))
    row = lock_one(CalendarToken.objects.filter(cadre=cadre), missing_ok=True)
    if row is None:
        row = CalendarToken(cadre=cadre)
        row.full_clean(exclude=["cadre"])
        row.save()
        action, old = "calendar_token.create", None
    else:
        row.token = new_calendar_token()
        row.created_at = timezone.now()
        row.save(update_fields=["token", "created_at"])
        action, old = "calendar_token.regenerate", "revoked"
    row.cadre = cadre
    audit_record(actor=actor, action=action, obj=row, changes={"token": [old, "new"]})
    return row

"""iCalendar feeds: valid RFC 5545 (escaping, folding at 75 octets, UTC times), the right events, tokens revoked."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from activities.ics import escape_text, fold, render_calendar
from activities.models import Activity, CalendarToken, Match, Registration
from tests.activities.factories import ActivityFactory, CompetitionFactory, MatchFactory, TeamFactory
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

try:  # the reference parser, when installed; our own checks below run either way
    import icalendar
except ImportError:  # pragma: no cover
    icalendar = None


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def unfold(text: str) -> list[str]:
    """Check the physical lines (CRLF, at most 75 octets) and return the unfolded content lines."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    lines = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def events(text: str) -> list[dict]:
    """Each VEVENT as {property name: value}, after checking the calendar's frame."""
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    header = dict(line.split(":", 1) for line in lines[1:] if not line.startswith(("BEGIN:VEVENT",)))
    assert header["VERSION"] == "2.0"
    assert header["PRODID"] and header["CALSCALE"] == "GREGORIAN" and header["X-WR-CALNAME"]
    found, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name.split(";")[0]] = value
    for event in found:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert required in event, (required, event)
        for moment in ("DTSTAMP", "DTSTART", "DTEND"):
            assert re.fullmatch(r"\d{8}T\d{6}Z", event[moment]), event[moment]
    if icalendar is not None:
        parsed = icalendar.Calendar.from_ical(text)
        assert len(parsed.walk("VEVENT")) == len(found)
    return found


# ---------------------------------------------------------------------------------------------------- format


def test_text_is_escaped():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert escape_text("bell\x07gone") == "bellgone"


@pytest.mark.parametrize("text", ["a" * 200, "乒" * 80, "x" + "乒" * 60, "ab😀" * 40])
def test_folding_keeps_lines_short_and_characters_whole(text):
    folded = fold(f"SUMMARY:{text}")
    for line in folded.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")  # never a split character
    assert folded.replace("\r\n ", "") == f"SUMMARY:{text}"


def test_a_rendered_calendar_round_trips():
    from activities.ics import CalendarEvent

    start = datetime(2026, 11, 12, 1, 30, tzinfo=UTC)
    text = render_calendar(
        name="市直机关运动会, 赛程",
        events=[
            CalendarEvent(
                uid="match-1@test",
                start=start,
                end=start + timedelta(hours=1),
                summary="男子单打：教育局, 财政局; 决赛 " + "很长" * 40,
                stamp=start,
                location="市体育馆; 3号台",
                description="第一行\n第二行",
            )
        ],
    )
    (event,) = events(text)
    assert unescape(event["SUMMARY"]).startswith("男子单打：教育局, 财政局; 决赛 很长")
    assert unescape(event["LOCATION"]) == "市体育馆; 3号台"
    assert unescape(event["DESCRIPTION"]) == "第一行\n第二行"
    assert event["DTSTART"] == "20261112T013000Z"
    if icalendar is not None:
        parsed = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
        assert str(parsed["LOCATION"]) == "市体育馆; 3号台"
        assert parsed["DTSTART"].dt == start


# ---------------------------------------------------------------------------------------------------- cadre feed


def _cadre_world(cadre):
    now = timezone.now().replace(microsecond=0)
    competition = CompetitionFactory(name="男子单打, 乒乓球", venue="")
    mine = TeamFactory(competition=competition, unit=cadre.unit, members=[cadre])
    match = MatchFactory(
        competition=competition, home=mine, scheduled_at=now + timedelta(days=1), venue="市体育馆", court="3号台"
    )
    untimed = MatchFactory(competition=competition, home=mine, scheduled_at=None)
    cancelled = MatchFactory(
        competition=competition, away=mine, scheduled_at=now + timedelta(days=2), status=Match.Status.CANCELLED
    )
    lecture = ActivityFactory(title="读书讲座", venue="图书馆")
    signup = Registration.objects.create(activity=lecture, cadre=cadre, status=Registration.Status.WAITLISTED)
    colleague = CadreFactory(unit=cadre.unit)
    theirs = MatchFactory(
        competition=competition,
        home=TeamFactory(competition=competition, unit=cadre.unit, members=[colleague]),
        scheduled_at=now + timedelta(days=3),
    )
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    draft_team = TeamFactory(competition=CompetitionFactory(activity=draft), unit=cadre.unit, members=[cadre])
    hidden = MatchFactory(competition=draft_team.competition, home=draft_team, scheduled_at=now)
    return {
        "match": match,
        "untimed": untimed,
        "cancelled": cancelled,
        "signup": signup,
        "theirs": theirs,
        "hidden": hidden,
    }


def test_cadre_feed_holds_my_timed_matches_and_sign_ups_only(client, cadre):
    world = _cadre_world(cadre)
    token = CalendarToken.objects.create(cadre=cadre)
    response = client.get(reverse("activities:cadre_ics", args=[token.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    text = response.content.decode("utf-8")
    found = {event["UID"]: event for event in events(text)}
    match = world["match"]
    assert set(found) == {
        f"match-{match.pk}@activities.organs-work-portal",
        f"match-{world['cancelled'].pk}@activities.organs-work-portal",
        f"signup-{world['signup'].activity_id}-{cadre.pk}@activities.organs-work-portal",
    }
    event = found[f"match-{match.pk}@activities.organs-work-portal"]
    assert event["DTSTART"] == match.scheduled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == (match.scheduled_at + timedelta(hours=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert unescape(event["LOCATION"]) == "市体育馆 3号台"
    assert unescape(event["SUMMARY"]).startswith("男子单打, 乒乓球: ")
    assert event["SUMMARY"].startswith("男子单打\\, 乒乓球")
    assert event["STATUS"] == "CONFIRMED"
    assert found[f"match-{world['cancelled'].pk}@activities.organs-work-portal"]["STATUS"] == "CANCELLED"
    signup = found[f"signup-{world['signup'].activity_id}-{cadre.pk}@activities.organs-work-portal"]
    assert signup["STATUS"] == "TENTATIVE"
    assert unescape(signup["LOCATION"]) == "图书馆"
    # The UIDs and stamps are stable: a second fetch describes the same events.
    again = {
        event["UID"]: event
        for event in events(client.get(reverse("activities:cadre_ics", args=[token.token])).content.decode())
    }
    assert again == found


def test_unknown_revoked_or_inactive_tokens_are_404(client, cadre):
    token = CalendarToken.objects.create(cadre=cadre)
    assert client.get(reverse("activities:cadre_ics", args=["x" * 32])).status_code == 404
    assert client.get(f"/activities/ics/{token.token}.ics").status_code == 200
    cadre.is_active = False
    cadre.save()
    assert client.get(f"/activities/ics/{token.token}.ics").status_code == 404


def test_cadre_feed_needs_no_login_and_ignores_who_is_logged_in(client, cadre, unit):
    other = CadreFactory(unit=unit)
    token = CalendarToken.objects.create(cadre=cadre)
    client.force_login(other.user)
    text = client.get(reverse("activities:cadre_ics", args=[token.token])).content.decode()
    assert cadre.name in text


# ---------------------------------------------------------------------------------------------------- competition feed


def test_competition_feed_lists_every_timed_match(client):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    competition = CompetitionFactory(name="羽毛球混双")
    units = UnitFactory.create_batch(4)
    teams = [TeamFactory(competition=competition, unit=unit, members=0) for unit in units]
    timed = [
        MatchFactory(competition=competition, home=teams[0], away=teams[1], scheduled_at=start),
        MatchFactory(competition=competition, home=teams[2], away=teams[3], scheduled_at=start, court="2号场"),
    ]
    MatchFactory(competition=competition, home=teams[0], away=teams[2], scheduled_at=None)
    MatchFactory(competition=competition, home=teams[3], away=None, scheduled_at=start, status=Match.Status.BYE)
    response = client.get(reverse("activities:competition_ics", args=[competition.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content.decode())
    assert sorted(event["UID"] for event in found) == sorted(
        f"match-{match.pk}@activities.organs-work-portal" for match in timed
    )
    assert all(f"/activities/competitions/{competition.pk}/" in event["URL"] for event in found)


def test_competition_feed_follows_changes(client):
    competition = CompetitionFactory()
    match = MatchFactory(competition=competition, scheduled_at=timezone.now())
    url = reverse("activities:competition_ics", args=[competition.pk])
    assert len(events(client.get(url).content.decode())) == 1
    match.scheduled_at += timedelta(days=1)
    match.save()
    (event,) = events(client.get(url).content.decode())
    assert event["DTSTART"] == match.scheduled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

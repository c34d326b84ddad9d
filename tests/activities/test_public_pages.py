"""Public activity and competition pages: who sees what, filters and paging, results held back until published,
standings and medal tables in the right order, bounded queries at 8 and 128 teams, the cache kept honest."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import (
    Activity,
    Competition,
    JudgeScore,
    Match,
    OrganisationAward,
    Placing,
    RankedResult,
    Team,
)
from activities.tournament.fixtures import knockout, round_robin
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # The competition pages cache their rows; each test starts and ends with nothing cached.
    cache.clear()
    yield
    cache.clear()


# ---------------------------------------------------------------------------------------------------- builders


def add_teams(competition, count, *, units=None):
    """`count` teams without members, seeded in entry order; units reused round-robin (at most 16 units)."""
    units = units or UnitFactory.create_batch(min(count, 16))
    return Team.objects.bulk_create(
        [
            Team(
                competition=competition,
                unit=units[i % len(units)],
                name=f"{units[i % len(units)].short_name}队{i // len(units) + 1}",
                place_no=i + 1,
                seed=i + 1,
            )
            for i in range(count)
        ]
    )


def result(index):
    """A varied, deterministic set score."""
    return [(3, 0), (3, 1), (1, 3), (3, 2), (0, 3), (2, 3)][index % 6]


def round_robin_competition(count, *, published=True, played_rounds=1, activity=None, **kwargs):
    """A round robin of `count` teams, every match timed (a day per round); the first rounds played."""
    activity = activity or ActivityFactory()
    competition = CompetitionFactory(
        activity=activity, format=Competition.Format.ROUND_ROBIN, results_published=published, **kwargs
    )
    teams = add_teams(competition, count)
    start = timezone.now() - timedelta(days=played_rounds)
    rows = []
    for index, planned in enumerate(round_robin([team.pk for team in teams])):
        played = planned.round_no <= played_rounds
        home, away = result(index)
        rows.append(
            Match(
                competition=competition,
                stage=Match.Stage.LEAGUE,
                round_no=planned.round_no,
                slot=planned.slot,
                home_id=planned.home,
                away_id=planned.away,
                scheduled_at=start + timedelta(days=planned.round_no - 1, minutes=planned.slot),
                venue="市体育馆",
                court=f"{planned.slot % 8 + 1}号台",
                status=Match.Status.PLAYED if played else Match.Status.SCHEDULED,
                home_score=home if played else None,
                away_score=away if played else None,
                winner_id=(planned.home if home > away else planned.away) if played else None,
            )
        )
    Match.objects.bulk_create(rows)
    return competition


def knockout_competition(count, *, published=True, third_place=False, activity=None):
    """A knockout of `count` teams; first-round matches played (home wins), byes marked."""
    activity = activity or ActivityFactory()
    competition = CompetitionFactory(
        activity=activity,
        format=Competition.Format.KNOCKOUT,
        results_published=published,
        third_place_match=third_place,
    )
    teams = add_teams(competition, count)
    rows = []
    for planned in knockout([team.pk for team in teams], third_place=third_place):
        played = planned.round_no == 1 and not planned.is_bye
        rows.append(
            Match(
                competition=competition,
                stage=planned.stage,
                round_no=planned.round_no,
                slot=planned.slot,
                home_id=planned.home,
                away_id=planned.away,
                scheduled_at=timezone.now() + timedelta(days=planned.round_no),
                status=Match.Status.BYE
                if planned.is_bye
                else (Match.Status.PLAYED if played else Match.Status.SCHEDULED),
                home_score=3 if played else None,
                away_score=1 if played else None,
                winner_id=planned.home if played or planned.is_bye else None,
            )
        )
    Match.objects.bulk_create(rows)
    return competition


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


# ---------------------------------------------------------------------------------------------------- permissions
# Who may see each page, drafts included: tests/test_permission_matrix.py.


def test_a_page_of_the_wrong_kind_redirects_to_the_competition(client):
    league = round_robin_competition(4)
    cup = knockout_competition(4)
    assert client.get(reverse("activities:competition_bracket", args=[league.pk]))["Location"] == reverse(
        "activities:competition_detail", args=[league.pk]
    )
    assert client.get(reverse("activities:competition_standings", args=[cup.pk]))["Location"] == reverse(
        "activities:competition_detail", args=[cup.pk]
    )


def test_medal_table_is_only_for_a_meet(client):
    assert client.get(reverse("activities:medal_table", args=[ActivityFactory().pk])).status_code == 404


# ---------------------------------------------------------------------------------------------------- list


def test_list_shows_public_statuses_and_never_drafts(client):
    shown = [ActivityFactory(title=f"公开{status}", status=status) for status in Activity.PUBLIC_STATUSES]
    ActivityFactory(title="草稿活动", status=Activity.Status.DRAFT)
    html = page(client, reverse("activities:activity_list"))
    for activity in shown:
        assert activity.title in html
    assert "草稿活动" not in html


def test_list_filters_by_title_kind_month_and_unit(client):
    now = timezone.now()
    november = timezone.make_aware(timezone.datetime(2030, 11, 12, 9))
    table_tennis = ActivityFactory(title="乒乓球赛", kind=Activity.Kind.SPORT, starts_at=november)
    reading = ActivityFactory(title="读书会", kind=Activity.Kind.READING, starts_at=now + timedelta(days=3))
    spanning = ActivityFactory(
        title="跨月活动", starts_at=november - timedelta(days=20), ends_at=november - timedelta(days=5)
    )
    entered, other = UnitFactory(), UnitFactory()
    competition = CompetitionFactory(activity=reading)
    TeamFactory(competition=competition, unit=entered, members=0)
    withdrawn = CompetitionFactory(activity=table_tennis)
    TeamFactory(competition=withdrawn, unit=other, members=0, status=Team.Status.WITHDRAWN)
    url = reverse("activities:activity_list")

    def titles(**params):
        return set(re.findall(r'<h2 class="h6 mb-1">([^<]+)</h2>', page(client, url, **params)))

    assert titles(q="乒乓") == {"乒乓球赛"}
    assert titles(kind="reading") == {"读书会"}
    assert titles(month="2030-11") == {"乒乓球赛", "跨月活动"}
    assert titles(unit=entered.pk) == {"读书会"}
    # A withdrawn team does not count as taking part.
    assert titles(unit=other.pk) == set()
    assert titles(q="赛", kind="sport", month="2030-11") == {"乒乓球赛"}
    assert spanning.title in titles()


def test_invalid_month_is_reported_and_ignored(client):
    ActivityFactory(title="照常显示")
    html = page(client, reverse("activities:activity_list"), month="2026-13")
    assert "照常显示" in html
    assert "YYYY-MM" in html


def test_list_pages_by_twenty_keeping_the_filters(client):
    for n in range(25):
        ActivityFactory(title=f"读书活动{n:02d}", kind=Activity.Kind.READING)
    url = reverse("activities:activity_list")
    first = page(client, url, kind="reading")
    assert len(re.findall(r'data-testid="activity-\d+"', first)) == 20
    assert "kind=reading&amp;page=2" in first
    assert len(re.findall(r'data-testid="activity-\d+"', page(client, url, kind="reading", page=2))) == 5


def test_list_puts_upcoming_soonest_first_then_the_past(client):
    now = timezone.now()
    ActivityFactory(title="下月活动", starts_at=now + timedelta(days=30))
    ActivityFactory(title="明天活动", starts_at=now + timedelta(days=1))
    ActivityFactory(title="上月活动", starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=29))
    ActivityFactory(title="昨天活动", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    html = page(client, reverse("activities:activity_list"))
    order = [html.index(title) for title in ("明天活动", "下月活动", "昨天活动", "上月活动")]
    assert order == sorted(order)


def test_list_runs_the_same_queries_for_5_and_for_40_activities(client):
    url = reverse("activities:activity_list")
    ActivityFactory.create_batch(5)
    few = count_queries(client, url)
    ActivityFactory.create_batch(35)
    assert count_queries(client, url) == few


# ---------------------------------------------------------------------------------------------------- calendar


def test_calendar_places_activities_and_counts_matches_per_day(client):
    day = timezone.make_aware(timezone.datetime(2026, 11, 12, 9))
    ActivityFactory(title="十一月讲座", starts_at=day, ends_at=day + timedelta(hours=2))
    ActivityFactory(title="全年健步走", starts_at=day - timedelta(days=100), ends_at=day + timedelta(days=100))
    ActivityFactory(title="草稿不显示", status=Activity.Status.DRAFT, starts_at=day, ends_at=day)
    league = round_robin_competition(4, played_rounds=0, name="十一月联赛")
    Match.objects.filter(competition=league).update(scheduled_at=day)
    html = page(client, reverse("activities:activity_calendar"), month="2026-11")
    assert "十一月讲座" in html
    assert "草稿不显示" not in html
    # A long activity is listed once above the grid, not in every cell.
    long_running = html.split('data-testid="long-running"')[1].split('data-testid="calendar-grid"')[0]
    assert "全年健步走" in long_running
    assert html.count("全年健步走") == 1
    # Six matches on the same day are one entry with a count.
    assert "十一月联赛 ×6" in html
    phone_list = html.split('data-testid="calendar-list"')[1]
    assert "十一月讲座" in phone_list
    assert "11月12日" in phone_list or "November 12" in phone_list


def test_calendar_defaults_to_this_month_and_links_the_neighbours(client):
    html = page(client, reverse("activities:activity_calendar"), month="not-a-month")
    today = timezone.localdate()
    next_month = (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    assert f"?month={next_month}" in html


def test_calendar_and_detail_run_the_same_queries_for_few_and_many(client):
    day = timezone.make_aware(timezone.datetime(2030, 11, 12, 9))
    meet = ActivityFactory(starts_at=day, ends_at=day + timedelta(days=2))
    calendar_url = reverse("activities:activity_calendar")
    detail_url = reverse("activities:activity_detail", args=[meet.pk])
    round_robin_competition(4, activity=meet)
    few = (count_queries(client, calendar_url, month="2030-11"), count_queries(client, detail_url))
    for n in range(10):
        ActivityFactory(starts_at=day + timedelta(days=n), ends_at=day + timedelta(days=n, hours=2))
        league = round_robin_competition(6, activity=meet)
        Match.objects.filter(competition=league).update(scheduled_at=day + timedelta(days=n))
    assert (count_queries(client, calendar_url, month="2030-11"), count_queries(client, detail_url)) == few


# ---------------------------------------------------------------------------------------------------- detail


def test_detail_shows_facts_competitions_and_escapes_the_description(client):
    activity = ActivityFactory(
        title="机关运动会",
        venue="市体育中心",
        description="第一段 <script>alert(1)</script>\n第二行",
        has_medal_table=True,
        open_to_individuals=True,
    )
    league = round_robin_competition(4, activity=activity, name="男子单打")
    html = page(client, reverse("activities:activity_detail", args=[activity.pk]))
    assert "市体育中心" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in html
    assert "<script>alert" not in html
    assert reverse("activities:competition_detail", args=[league.pk]) in html
    assert league.get_format_display() in html or "循环赛" in html
    assert reverse("activities:medal_table", args=[activity.pk]) in html
    assert f"/activities/{activity.pk}/signup/" in html
    assert 'data-testid="registration-window"' in html


def test_detail_without_sign_up_or_medal_table_has_no_such_links(client):
    activity = ActivityFactory(open_to_individuals=False, has_medal_table=False)
    html = page(client, reverse("activities:activity_detail", args=[activity.pk]))
    assert 'data-testid="signup-link"' not in html
    assert 'data-testid="medal-table-link"' not in html


def test_detail_shows_the_poster(client):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 60), "red").save(buffer, "PNG")
    activity = ActivityFactory(poster=SimpleUploadedFile("poster.png", buffer.getvalue(), content_type="image/png"))
    html = page(client, reverse("activities:activity_detail", args=[activity.pk]))
    assert 'data-testid="poster"' in html
    assert activity.poster.url in html


def test_staff_see_a_draft_with_a_badge(client, staff_user):
    draft = ActivityFactory(status=Activity.Status.DRAFT)
    client.force_login(staff_user)
    assert 'data-testid="draft-badge"' in page(client, reverse("activities:activity_detail", args=[draft.pk]))


def test_liaison_gets_a_link_to_register_teams(client, liaison):
    activity = ActivityFactory()
    CompetitionFactory(activity=activity)
    client.force_login(liaison.user)
    assert 'data-testid="register-link"' in page(client, reverse("activities:activity_detail", args=[activity.pk]))
    client.logout()
    assert 'data-testid="register-link"' not in page(client, reverse("activities:activity_detail", args=[activity.pk]))


# ---------------------------------------------------------------------------------------------------- fixtures


def test_fixtures_default_to_the_next_round_and_page_by_round(client):
    league = round_robin_competition(8, played_rounds=2)
    url = reverse("activities:competition_detail", args=[league.pk])
    html = page(client, url)
    assert re.search(r'data-testid="round-title">\D*3', html), "the first round with a match to play"
    assert html.count('data-testid="match-') == 4
    round_one = page(client, url, round=1)
    assert re.search(r'data-testid="round-title">\D*1', round_one)
    first = Match.objects.filter(competition=league, round_no=1).select_related("home__unit").first()
    assert f'data-testid="match-{first.pk}"' in round_one
    assert first.home.unit.short_name in round_one
    assert first.court in round_one
    # Out of range falls back to the default page rather than failing.
    assert re.search(r'data-testid="round-title">\D*3', page(client, url, round=99))


def test_unpublished_scores_are_hidden_from_the_public_but_shown_to_staff(client, staff_user, cadre):
    league = round_robin_competition(4, published=False, played_rounds=1)
    played = Match.objects.filter(competition=league, round_no=1).first()
    url = reverse("activities:competition_detail", args=[league.pk])
    for user in (None, cadre.user):
        if user:
            client.force_login(user)
        html = page(client, url, round=1)
        card = html.split(f'data-testid="match-{played.pk}"')[1].split('data-testid="match-')[0]
        assert f'<span class="score">{played.home_score}</span>' not in card
        assert "winner" not in card
        assert 'data-testid="result-pending"' in card
        assert 'data-testid="unpublished-badge"' not in html
    client.force_login(staff_user)
    html = page(client, url, round=1)
    assert 'data-testid="unpublished-badge"' in html
    card = html.split(f'data-testid="match-{played.pk}"')[1].split('data-testid="match-')[0]
    assert f'<span class="score">{played.home_score}</span>' in card
    assert "team winner" in card


def test_published_scores_and_winner_are_shown(client):
    league = round_robin_competition(4, played_rounds=1)
    played = Match.objects.filter(competition=league, round_no=1).first()
    card = page(client, reverse("activities:competition_detail", args=[league.pk]), round=1)
    card = card.split(f'data-testid="match-{played.pk}"')[1].split('data-testid="match-')[0]
    assert f'<span class="score">{played.home_score}</span>' in card
    assert f'<span class="score">{played.away_score}</span>' in card
    assert "team winner" in card


def test_group_stage_rounds_are_grouped_by_group(client):
    competition = CompetitionFactory(format=Competition.Format.GROUPS_KNOCKOUT, group_count=2, results_published=True)
    teams = add_teams(competition, 8)
    rows = []
    for group, members in (("A", teams[:4]), ("B", teams[4:])):
        for planned in round_robin([team.pk for team in members], group=group):
            rows.append(
                Match(
                    competition=competition,
                    stage=Match.Stage.GROUP,
                    group=group,
                    round_no=planned.round_no,
                    slot=planned.slot,
                    home_id=planned.home,
                    away_id=planned.away,
                )
            )
    Match.objects.bulk_create(rows)
    html = page(client, reverse("activities:competition_detail", args=[competition.pk]))
    first, second = ("A 组", "B 组") if "A 组" in html else ("Group A", "Group B")
    assert html.index(first) < html.index(second)


# ---------------------------------------------------------------------------------------------------- standings


def _league_with(results, *, teams=4, published=True, **kwargs):
    """A round robin whose decided matches are `results`: (home index, away index, home score, away score)."""
    competition = CompetitionFactory(format=Competition.Format.ROUND_ROBIN, results_published=published, **kwargs)
    entries = add_teams(competition, teams)
    Match.objects.bulk_create(
        [
            Match(
                competition=competition,
                stage=Match.Stage.LEAGUE,
                round_no=1,
                slot=slot,
                home=entries[home],
                away=entries[away],
                status=Match.Status.PLAYED,
                home_score=hs,
                away_score=as_,
                winner=entries[home] if hs > as_ else entries[away] if as_ > hs else None,
            )
            for slot, (home, away, hs, as_) in enumerate(results)
        ]
    )
    return competition, entries


def _standing_order(html):
    return [int(pk) for pk in re.findall(r'data-testid="standing-(\d+)"', html)]


def _places(html):
    return [int(place) for place in re.findall(r'data-testid="standing-\d+">\s*<td>(\d+)</td>', html)]


def test_standings_break_ties_by_head_to_head_then_difference(client):
    # A, B and C beat each other in a circle and all beat D: level on points and head-to-head. Score difference
    # leaves A and C level (+4 each); head-to-head between the two puts C (who beat A) first.
    competition, (a, b, c, d) = _league_with(
        [(0, 1, 3, 0), (1, 2, 3, 2), (2, 0, 3, 1), (0, 3, 3, 0), (1, 3, 3, 0), (2, 3, 3, 0)]
    )
    html = page(client, reverse("activities:competition_standings", args=[competition.pk]))
    assert _standing_order(html) == [c.pk, a.pk, b.pk, d.pk]
    assert _places(html) == [1, 2, 3, 4]


def test_standings_share_a_place_when_nothing_separates_teams(client):
    competition, (a, b, c) = _league_with([(0, 1, 2, 2)], teams=3, points_draw=1)
    html = page(client, reverse("activities:competition_standings", args=[competition.pk]))
    assert _standing_order(html) == [a.pk, b.pk, c.pk]
    # a and b drew (1 point each) and nothing separates them; c has not played.
    assert _places(html) == [1, 1, 3]


def test_standings_are_hidden_until_published(client, staff_user):
    competition, _ = _league_with([(0, 1, 3, 0)], published=False)
    url = reverse("activities:competition_standings", args=[competition.pk])
    html = page(client, url)
    assert 'data-testid="results-hidden"' in html
    assert 'data-testid="standing-' not in html
    client.force_login(staff_user)
    html = page(client, url)
    assert 'data-testid="standing-' in html
    assert 'data-testid="unpublished-badge"' in html


# ---------------------------------------------------------------------------------------------------- bracket


def test_bracket_shows_rounds_byes_and_winners(client):
    cup = knockout_competition(6, third_place=True)
    html = page(client, reverse("activities:competition_bracket", args=[cup.pk]))
    titles = re.findall(r'<div class="bracket-round-title">([^<]+)</div>', html)
    assert len(titles) == 3
    assert html.count('data-testid="bracket-match-') == 7
    assert "side winner" in html
    # Two of the top seeds have a bye in a 6-team bracket.
    assert Match.objects.filter(competition=cup, status=Match.Status.BYE).count() == 2
    third = Match.objects.get(competition=cup, stage=Match.Stage.THIRD_PLACE)
    assert f'data-testid="match-{third.pk}"' in html


def test_bracket_hides_scores_until_published(client):
    cup = knockout_competition(4, published=False)
    html = page(client, reverse("activities:competition_bracket", args=[cup.pk]))
    assert "side winner" not in html
    assert ">3</span>" not in html


# ---------------------------------------------------------------------------------------------------- rankings


def test_ranked_event_ranks_times_with_ties_and_no_result_last(client):
    competition = CompetitionFactory(
        format=Competition.Format.RANKED, result_ordering=Competition.Ordering.LOWER_IS_BETTER, results_published=True
    )
    slow, fast, also_fast, missing = add_teams(competition, 4)
    for team, value in ((slow, "13.50"), (fast, "12.90"), (also_fast, "12.90")):
        RankedResult.objects.create(team=team, value=Decimal(value))
    RankedResult.objects.create(team=missing, value=None, note="未完赛")
    html = page(client, reverse("activities:competition_detail", args=[competition.pk]))
    order = [int(pk) for pk in re.findall(r'data-testid="ranking-(\d+)"', html)]
    assert order == [fast.pk, also_fast.pk, slow.pk, missing.pk]
    ranks = re.findall(r'data-testid="ranking-\d+">\s*<td>([^<]+)</td>', html)
    assert ranks == ["1", "1", "3", "–"]
    assert "未完赛" in html


def test_judged_event_drops_extremes_and_hides_until_published(client):
    competition = CompetitionFactory(
        format=Competition.Format.JUDGED, drop_extreme_scores=True, results_published=False
    )
    first, second = add_teams(competition, 2)
    for judge, (one, two) in enumerate([(90, 85), (80, 86), (70, 87), (99, 10)]):
        JudgeScore.objects.create(team=first, judge=f"评委{judge}", score=Decimal(one))
        JudgeScore.objects.create(team=second, judge=f"评委{judge}", score=Decimal(two))
    url = reverse("activities:competition_detail", args=[competition.pk])
    assert 'data-testid="results-hidden"' in page(client, url)
    Competition.objects.filter(pk=competition.pk).update(results_published=True)
    html = page(client, url)
    order = [int(pk) for pk in re.findall(r'data-testid="ranking-(\d+)"', html)]
    # Without the extremes: first (80+90)/2 = 85, second (85+86)/2 = 85.5.
    assert order == [second.pk, first.pk]
    assert "85.5" in html


# ---------------------------------------------------------------------------------------------------- medal table


def test_medal_table_orders_by_gold_silver_bronze_and_shares_ranks(client, staff_user):
    meet = ActivityFactory(has_medal_table=True)
    a, b, c = UnitFactory(short_name="甲局"), UnitFactory(short_name="乙局"), UnitFactory(short_name="丙局")

    def event(places, *, published=True):
        competition = CompetitionFactory(activity=meet, results_published=published)
        for index, (unit, place, points) in enumerate(places):
            team = TeamFactory(competition=competition, unit=unit, members=0, place_no=index + 1)
            Placing.objects.create(competition=competition, team=team, unit=unit, place=place, points=Decimal(points))

    event([(a, 1, 7), (b, 2, 5), (c, 3, 4)])
    event([(b, 1, 6), (c, 1, 6), (a, 3, 4)])  # a shared gold
    event([(c, 2, 5), (a, 3, "3.5"), (b, 3, "3.5")])  # two bronzes
    event([(a, 1, 7)], published=False)
    OrganisationAward.objects.create(activity=meet, unit=c, note="组织有力")
    url = reverse("activities:medal_table", args=[meet.pk])

    html = page(client, url)
    table = html.split('data-testid="medal-table"')[1].split("</table>")[0]
    rows = re.findall(
        r'data-testid="medal-unit-(\d+)"><td>(\d+)</td>.*?<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', table, re.S
    )
    # b and c: 1 gold, 1 silver, 1 bronze (rank 1, shared; c listed first on its team points); a: 1 gold,
    # 0 silver, 2 bronze, behind both on silvers although it has as many medals.
    assert [(int(u), int(r), int(g), int(s), int(br)) for u, r, g, s, br in rows] == [
        (c.pk, 1, 1, 1, 1),
        (b.pk, 1, 1, 1, 1),
        (a.pk, 3, 1, 0, 2),
    ]
    points = html.split('data-testid="points-table"')[1].split("</table>")[0]
    assert re.findall(r'data-testid="points-unit-(\d+)"', points) == [str(c.pk), str(b.pk), str(a.pk)]
    assert re.findall(r'data-testid="points-unit-\d+"><td>(\d+)</td>', points) == ["1", "2", "2"]
    assert "14.5" in points and "15" in points
    assert "组织有力" in html
    # The unpublished event counts only in the committee's view, where a now leads with two golds.
    client.force_login(staff_user)
    html = page(client, url)
    assert 'data-testid="unpublished-badge"' in html
    table = html.split('data-testid="medal-table"')[1]
    assert re.findall(r'data-testid="medal-unit-(\d+)"', table)[0] == str(a.pk)


def test_medal_table_counts_events_not_placings():
    """Each event counts once however many teams it placed (a join once counted placings as events)."""
    from activities.selectors.medals import medal_table

    meet = ActivityFactory(has_medal_table=True)
    placed = CompetitionFactory(activity=meet, results_published=True)
    CompetitionFactory(activity=meet, results_published=True)  # no results yet
    for index, unit in enumerate(UnitFactory.create_batch(3)):
        team = TeamFactory(competition=placed, unit=unit, members=0, place_no=index + 1)
        Placing.objects.create(competition=placed, team=team, unit=unit, place=index + 1)
    table = medal_table(meet)
    assert (table.competitions_placed, table.competitions) == (1, 2)


def test_medal_table_runs_the_same_queries_for_few_and_many_placings(client):
    meet = ActivityFactory(has_medal_table=True)
    units = UnitFactory.create_batch(12)

    def events(count):
        for _ in range(count):
            competition = CompetitionFactory(activity=meet, results_published=True)
            for place, unit in enumerate(units[:6], start=1):
                team = TeamFactory(competition=competition, unit=unit, members=0, place_no=place)
                Placing.objects.create(competition=competition, team=team, unit=unit, place=place, points=7 - place)
            OrganisationAward.objects.create(activity=meet, unit=units[OrganisationAward.objects.count()])

    url = reverse("activities:medal_table", args=[meet.pk])
    events(1)
    few = count_queries(client, url)
    events(6)
    assert count_queries(client, url) == few


# ---------------------------------------------------------------------------------------------------- query budgets


@pytest.mark.parametrize(
    ("url_name", "build"),
    [
        ("activities:competition_detail", lambda n: round_robin_competition(n, played_rounds=3)),
        ("activities:competition_standings", lambda n: round_robin_competition(n, played_rounds=3)),
        ("activities:competition_bracket", lambda n: knockout_competition(n, third_place=True)),
        ("activities:competition_ics", lambda n: round_robin_competition(n, played_rounds=3)),
    ],
    ids=["fixtures", "standings", "bracket", "ics"],
)
def test_competition_pages_run_the_same_queries_for_8_and_128_teams(client, url_name, build):
    small, large = build(8), build(128)
    counts = []
    for competition in (small, large):
        cache.clear()
        counts.append(count_queries(client, reverse(url_name, args=[competition.pk])))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 4
    # Served again from the cache: only the competition (with its version) is read.
    assert count_queries(client, reverse(url_name, args=[large.pk])) == 1


def test_standings_of_128_teams_list_every_team(client):
    league = round_robin_competition(128, played_rounds=2)
    html = page(client, reverse("activities:competition_standings", args=[league.pk]))
    assert len(_standing_order(html)) == 128
    assert _places(html)[0] == 1


def test_logged_in_pages_stay_bounded(client, cadre):
    small, large = round_robin_competition(8), round_robin_competition(128)
    client.force_login(cadre.user)
    counts = []
    for competition in (small, large):
        cache.clear()
        counts.append(count_queries(client, reverse("activities:competition_detail", args=[competition.pk])))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------------------------------- the cache


def test_cached_pages_change_as_soon_as_a_result_changes(client):
    league = round_robin_competition(4, played_rounds=1)
    url = reverse("activities:competition_detail", args=[league.pk])
    match = Match.objects.filter(competition=league, round_no=1).first()
    assert f'<span class="score">{match.home_score}</span>' in page(client, url, round=1)
    match.home_score, match.away_score = 17, 15
    match.save()
    html = page(client, url, round=1)
    assert '<span class="score">17</span>' in html
    assert '<span class="score">15</span>' in html
    standings = page(client, reverse("activities:competition_standings", args=[league.pk]))
    assert "17:" in standings or ":17" in standings


def test_publishing_by_bulk_update_shows_results_at_once(client):
    league = round_robin_competition(4, published=False, played_rounds=1)
    url = reverse("activities:competition_detail", args=[league.pk])
    assert 'data-testid="result-pending"' in page(client, url, round=1)
    # An admin action may publish with a bulk update that leaves updated_at untouched.
    Competition.objects.filter(pk=league.pk).update(results_published=True)
    assert 'data-testid="result-pending"' not in page(client, url, round=1)


def test_reset_fixtures_new_draw_and_renamed_team_show_at_once(client, staff_user):
    from activities.services.fixtures import fixtures_reset

    league = round_robin_competition(4, played_rounds=0)
    url = reverse("activities:competition_detail", args=[league.pk])
    assert page(client, url, round=1).count('data-testid="match-') == 2
    # Matches are only ever deleted all at once, by a reset of the draw.
    fixtures_reset(actor=staff_user, competition=league)
    assert 'data-testid="match-' not in page(client, url)
    Match.objects.create(
        competition=league,
        stage=Match.Stage.LEAGUE,
        round_no=1,
        slot=0,
        home=Team.objects.filter(competition=league).first(),
        away=Team.objects.filter(competition=league).last(),
    )
    assert page(client, url).count('data-testid="match-') == 1
    team = Team.objects.filter(competition=league).first()
    team.unit.short_name = "改名局"
    team.unit.save()
    team.save()  # the team's updated_at moves with any change of its own
    standings = page(client, reverse("activities:competition_standings", args=[league.pk]))
    assert "改名局" in standings


def test_a_new_team_and_a_withdrawal_show_at_once(client):
    league = round_robin_competition(4, played_rounds=0)
    url = reverse("activities:competition_standings", args=[league.pk])
    assert len(_standing_order(page(client, url))) == 4
    latecomer = TeamFactory(competition=league, members=0, place_no=99)
    assert latecomer.pk in _standing_order(page(client, url))
    Team.objects.filter(pk=latecomer.pk).delete()
    assert latecomer.pk not in _standing_order(page(client, url))


def test_staff_and_public_do_not_share_a_cached_page(client, staff_user):
    league = round_robin_competition(4, published=False, played_rounds=1)
    url = reverse("activities:competition_detail", args=[league.pk])
    client.force_login(staff_user)
    assert 'data-testid="result-pending"' not in page(client, url, round=1)
    client.logout()
    assert 'data-testid="result-pending"' in page(client, url, round=1)


# ---------------------------------------------------------------------------------------------------- languages


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(client, language):
    meet = ActivityFactory(has_medal_table=True)
    league = round_robin_competition(4, activity=meet, played_rounds=1)
    cup = knockout_competition(4, activity=meet)
    client.cookies["django_language"] = language
    urls = [
        reverse("activities:activity_list"),
        reverse("activities:activity_calendar"),
        reverse("activities:activity_detail", args=[meet.pk]),
        reverse("activities:medal_table", args=[meet.pk]),
        reverse("activities:competition_detail", args=[league.pk]),
        reverse("activities:competition_standings", args=[league.pk]),
        reverse("activities:competition_bracket", args=[cup.pk]),
    ]
    for url in urls:
        html = page(client, url)
        assert f'<html lang="{language}">' in html, url
        # The navigation's "Log in" is in the Chinese catalogue already.
        assert ("Log in" in html) == (language == "en"), url

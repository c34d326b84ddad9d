"""The navigation's roles come from one query per request, are never kept across requests, and the cached
navigation bar fills in each person's own name, path and CSRF token."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import permissions
from portal.permissions import COMMITTEE_STAFF_GROUP, LEADERSHIP_GROUP
from portal.services import cadres_set_active, cadres_set_liaison
from tests.factories import CadreFactory, UserFactory

pytestmark = pytest.mark.django_db

NAV_LINKS = {
    "schedule": "/activities/my/schedule/",
    "unit": "/units/mine/",
    "referee": "/activities/referee/",
    "reports": "/reports/",
    "admin": "/admin/",
}


def nav_html(client):
    html = client.get(reverse("portal:home")).content.decode()
    start = html.index('<nav class="navbar')
    return html[start : html.index("</nav>", start)]


def links(client):
    html = nav_html(client)
    return {name for name, href in NAV_LINKS.items() if f'href="{href}"' in html}


def test_every_role_of_a_user_takes_one_query(cadre, django_assert_num_queries):
    user = type(cadre.user).objects.get(pk=cadre.user.pk)  # nothing loaded yet
    with django_assert_num_queries(1):
        assert permissions.cadre_of(user) == cadre
        assert not permissions.is_committee_staff(user)
        assert not permissions.is_leadership(user)
        assert not permissions.is_liaison(user)
        assert permissions.role_flag(user, "activities_referee") is False


def test_a_page_with_the_navigation_runs_session_user_and_roles_only(client, cadre):
    client.force_login(cadre.user)
    client.get(reverse("activities:activity_list"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("portal:my_page"))
    # Session, user, the roles query (with the cadre) and the page's own (the cadre's unit): nothing for the bar.
    assert len(captured) == 4


def test_an_account_without_cadre_gets_no_cadre_links(client, staff_user):
    client.force_login(staff_user)
    assert links(client) == {"referee", "reports", "admin"}


def test_roles_given_and_taken_show_on_the_next_request(client, cadre, staff_user, refereed_competition):
    client.force_login(cadre.user)
    assert links(client) == {"schedule"}
    cadres_set_liaison(actor=staff_user, cadres=[cadre], liaison=True)
    cadre.user.groups.add(Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0])
    refereed_competition.referees.add(cadre.user)
    assert links(client) == {"schedule", "unit", "referee", "reports"}
    cadres_set_liaison(actor=staff_user, cadres=[cadre], liaison=False)
    cadre.user.groups.clear()
    refereed_competition.referees.remove(cadre.user)
    assert links(client) == {"schedule"}
    # The liaison's pages follow the same fresh roles (not only the links).
    cadres_set_liaison(actor=staff_user, cadres=[cadre], liaison=True)
    assert client.get(reverse("portal:unit_detail", args=[cadre.unit_id])).status_code == 200
    cadres_set_active(actor=staff_user, cadres=[cadre], active=False)
    assert client.get(reverse("portal:unit_detail", args=[cadre.unit_id])).status_code in (302, 404)


def test_the_staff_group_needs_the_staff_flag_as_before(client):
    user = UserFactory(is_staff=False)
    user.groups.add(Group.objects.get_or_create(name=COMMITTEE_STAFF_GROUP)[0])
    client.force_login(user)
    assert "admin" not in links(client)


def test_the_cached_bar_carries_each_persons_own_name_path_and_token(client):
    first = CadreFactory(name="<b>甲</b>")
    second = CadreFactory(name="乙")
    client.force_login(first.user)
    html = client.get(reverse("portal:home"), {"x": 'PORTALNAVxNAME"<'}).content.decode()
    assert "&lt;b&gt;甲&lt;/b&gt;" in html and "<b>甲</b>" not in html
    # A marker inside a filled-in value stays as it is: the values are put in in one pass.
    assert 'name="next" type="hidden" value="/?x=PORTALNAVxNAME%22%3C"' in html
    assert html.count('name="csrfmiddlewaretoken" value="') == 2
    assert "PORTALNAVxTOKEN" not in html and "PORTALNAVxPATH" not in html
    client.force_login(second.user)
    html = nav_html(client)
    assert "乙" in html and "甲" not in html


def test_english_and_chinese_bars_are_kept_apart(client, cadre):
    client.force_login(cadre.user)
    assert "我的日程" in nav_html(client)
    client.cookies["django_language"] = "en"
    assert "My schedule" in nav_html(client)

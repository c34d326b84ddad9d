"""The individual sign-up page: status, sign up, waiting list, cancel; permissions and query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Registration
from activities.services.signup import registration_sign_up
from portal.models import AuditEntry
from tests.activities.factories import ActivityFactory
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "cadre", "liaison", "other_liaison", "staff", "leader"]


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def lecture(db):
    return ActivityFactory(title="Lecture", open_to_individuals=True, capacity=1)


def _url(activity):
    return reverse("activities:signup", kwargs={"pk": activity.pk})


def _fill(activity, count):
    for cadre in CadreFactory.create_batch(count):
        registration_sign_up(actor=cadre.user, activity=activity, cadre=cadre)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, role, lecture, cadre, liaison, other_liaison, staff_user, leader):
    users = {
        "anonymous": None,
        "cadre": cadre.user,
        "liaison": liaison.user,
        "other_liaison": other_liaison.user,
        "staff": staff_user,
        "leader": leader,
    }
    # Sign-up is for people with a cadre record; pure staff and leadership accounts have none.
    expected = {"anonymous": 302, "cadre": 200, "liaison": 200, "other_liaison": 200, "staff": 404, "leader": 404}
    if users[role]:
        client.force_login(users[role])
    response = client.get(_url(lecture))
    assert response.status_code == expected[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    post = client.post(_url(lecture), {"action": "signup"})
    assert post.status_code == {**expected, "cadre": 302, "liaison": 302, "other_liaison": 302}[role]
    assert Registration.objects.count() == (1 if expected[role] == 200 else 0)


@pytest.mark.parametrize(
    "change", [{"status": Activity.Status.DRAFT}, {"open_to_individuals": False}], ids=["draft", "teams-only"]
)
def test_activities_without_individual_sign_up_have_no_page(client, cadre, lecture, change):
    Activity.objects.filter(pk=lecture.pk).update(**change)
    client.force_login(cadre.user)
    assert client.get(_url(lecture)).status_code == 404
    assert client.post(_url(lecture), {"action": "signup"}).status_code == 404
    assert not Registration.objects.exists()
    assert client.get(reverse("activities:signup", kwargs={"pk": 999999})).status_code == 404


def test_sign_up_then_cancel(client, cadre, lecture):
    client.force_login(cadre.user)
    page = client.get(_url(lecture)).content.decode()
    assert "Not signed up" in page
    assert 'data-testid="signup-submit"' in page
    response = client.post(_url(lecture), {"action": "signup"}, follow=True)
    html = response.content.decode()
    assert "You are signed up." in html
    assert "You have a place." in html
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    response = client.post(_url(lecture), {"action": "cancel"}, follow=True)
    assert "Your sign-up is cancelled." in response.content.decode()
    assert Registration.objects.get().status == Registration.Status.CANCELLED


def test_full_activity_puts_me_on_the_waiting_list_with_my_position(client, cadre, lecture):
    _fill(lecture, 3)  # one confirmed, two waiting
    client.force_login(cadre.user)
    page = client.get(_url(lecture)).content.decode()
    assert "Join the waiting list" in page
    html = client.post(_url(lecture), {"action": "signup"}, follow=True).content.decode()
    assert "All places are taken: you are on the waiting list." in html
    assert "You are number 3 on the waiting list." in html
    summary = client.get(_url(lecture)).context["summary"]
    assert (summary.confirmed, summary.waitlisted, summary.places_left) == (1, 3, 0)


def test_cancelling_promotes_the_next_in_line(client, cadre, lecture):
    client.force_login(cadre.user)
    client.post(_url(lecture), {"action": "signup"})
    waiting = CadreFactory()
    registration_sign_up(actor=waiting.user, activity=lecture, cadre=waiting)
    client.post(_url(lecture), {"action": "cancel"})
    assert Registration.objects.get(cadre=waiting).status == Registration.Status.CONFIRMED


def test_sign_up_after_the_window_shows_the_reason_and_saves_nothing(client, cadre, lecture):
    Activity.objects.filter(pk=lecture.pk).update(registration_closes_at=timezone.now() - timedelta(hours=1))
    client.force_login(cadre.user)
    page = client.get(_url(lecture)).content.decode()
    assert "Registration for Lecture closed at" in page
    assert 'data-testid="signup-submit"' not in page
    audit = AuditEntry.objects.count()
    html = client.post(_url(lecture), {"action": "signup"}, follow=True).content.decode()
    assert "Registration for Lecture closed at" in html
    assert not Registration.objects.exists()
    assert AuditEntry.objects.count() == audit


def test_double_sign_up_and_bad_actions_are_refused(client, cadre, lecture):
    client.force_login(cadre.user)
    client.post(_url(lecture), {"action": "signup"})
    html = client.post(_url(lecture), {"action": "signup"}, follow=True).content.decode()
    assert "You are already signed up to Lecture." in html
    assert Registration.objects.count() == 1
    html = client.post(_url(lecture), {"action": "delete-everything"}, follow=True).content.decode()
    assert "Choose to sign up or to cancel." in html
    client.post(_url(lecture), {"action": "cancel"})
    html = client.post(_url(lecture), {"action": "cancel"}, follow=True).content.decode()
    assert "You are not signed up to this activity." in html
    assert Registration.objects.get().status == Registration.Status.CANCELLED


def test_signup_page_query_count_does_not_grow_with_sign_ups(client, cadre, lecture, django_assert_max_num_queries):
    client.force_login(cadre.user)
    registration_sign_up(actor=cadre.user, activity=lecture, cadre=cadre)
    counts = []
    for more in (5, 200):
        _fill(lecture, more)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_url(lecture)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get(_url(lecture))

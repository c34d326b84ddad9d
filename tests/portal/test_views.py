import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from portal.models import AuditEntry, Cadre
from tests.factories import TEST_PASSWORD, CadreFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password=TEST_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_cadre_logs_in_with_employee_number(client, cadre):
    response = _login(client, cadre.employee_no)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:my_page")
    page = client.get(reverse("portal:my_page"))
    assert cadre.unit.name in page.content.decode()


def test_wrong_password_is_rejected_with_a_message(client, cadre):
    response = _login(client, cadre.employee_no, "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_throttled(client, cadre, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cadre.employee_no, "wrong-password")
    # Even the right password is refused while the lock holds.
    response = _login(client, cadre.employee_no)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()


def test_throttling_is_per_account_and_address(client, cadre, unit):
    other = CadreFactory(unit=unit)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, cadre.employee_no, "wrong-password")
    assert _login(client, other.employee_no).status_code == 302


def test_first_login_forces_a_password_change(client, unit):
    cadre = CadreFactory(unit=unit, must_change_password=True)
    _login(client, cadre.employee_no)
    response = client.get(reverse("portal:my_page"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("password_change"))
    # The unit page, the home page: everything but the password pages redirects.
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("password_change"))
    new_password = "Qiming-2026-xyz"
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert cadre.must_change_password is False
    assert cadre.user.check_password(new_password)
    assert client.get(reverse("portal:my_page")).status_code == 200
    assert AuditEntry.objects.filter(action="user.password_change", object_id=str(cadre.user_id)).exists()


def test_password_change_rejects_a_weak_password_and_keeps_the_flag(client, unit):
    cadre = CadreFactory(unit=unit, must_change_password=True)
    client.force_login(cadre.user)
    response = client.post(
        reverse("password_change"), {"old_password": TEST_PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    cadre.refresh_from_db()
    assert cadre.must_change_password is True


def test_logout_is_a_post(client, cadre):
    client.force_login(cadre.user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_chinese_by_default_even_when_the_browser_asks_for_english(client):
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()


def test_language_switch_to_english_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_unit_page_masks_phones_and_lists_only_its_cadres(client, liaison, unit, other_unit):
    mine = CadreFactory(unit=unit, phone="13912345678", name="李四")
    stranger = CadreFactory(unit=other_unit, name="王五")
    client.force_login(liaison.user)
    html = client.get(reverse("portal:unit_detail", kwargs={"pk": unit.pk})).content.decode()
    assert mine.name in html
    assert "139****5678" in html
    assert "13912345678" not in html
    assert stranger.name not in html


def test_unit_page_search_filter_and_paging(client, liaison, unit):
    CadreFactory.create_batch(60, unit=unit)
    target = CadreFactory(unit=unit, name="欧阳修", is_active=False)
    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", kwargs={"pk": unit.pk})
    page1 = client.get(url)
    assert len(page1.context["cadres"]) == 50
    assert page1.context["page_obj"].paginator.count == 62
    assert len(client.get(url, {"page": 2}).context["cadres"]) == 12
    found = client.get(url, {"q": "欧阳"}).context["cadres"]
    assert [c.pk for c in found] == [target.pk]
    assert [c.pk for c in client.get(url, {"active": "0"}).context["cadres"]] == [target.pk]
    assert client.get(url, {"page": 999}).status_code == 200


def _bulk_cadres(unit, count, start=0):
    password = make_password(TEST_PASSWORD)
    numbers = range(start, start + count)
    users = UserFactory._meta.model.objects.bulk_create(
        [UserFactory.build(username=f"B{unit.pk}-{i:05d}", password=password) for i in numbers]
    )
    Cadre.objects.bulk_create(
        [
            Cadre(user=user, employee_no=user.username, name=f"干部{i}", gender="M", unit=unit, phone=f"137{i:08d}")
            for i, user in zip(numbers, users, strict=True)
        ]
    )


def test_unit_page_runs_the_same_queries_for_10_and_1000_cadres(client, django_assert_max_num_queries, unit, liaison):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.services import units_roster_changed

    client.force_login(liaison.user)
    url = reverse("portal:unit_detail", kwargs={"pk": unit.pk})
    counts = []
    for start, count in ((0, 10), (10, 990)):
        _bulk_cadres(unit, count, start)
        # A bulk write bypasses Cadre.save, so it marks the unit's list as changed itself, as the writers do.
        units_roster_changed([unit.pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    # A search is rendered fresh: session, user, roles (with the cadre), the unit with its version, count, page.
    with django_assert_max_num_queries(6):
        client.get(url, {"q": "干部", "page": 3})


def test_home_and_my_page_query_budgets(client, django_assert_max_num_queries, cadre):
    client.force_login(cadre.user)
    # Session, user, one query for every role (with the cadre), and the page's own: two figures; the cadre's unit.
    with django_assert_max_num_queries(5):
        client.get(reverse("portal:home"))
    with django_assert_max_num_queries(4):
        client.get(reverse("portal:my_page"))


def test_healthz(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}

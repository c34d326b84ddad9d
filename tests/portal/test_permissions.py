"""The permission matrix: every URL of the foundation, for every role, answers the expected status."""

import pytest
from django.urls import reverse

from tests.factories import CadreFactory

ROLES = ["anonymous", "cadre", "liaison", "other_liaison", "staff", "leader"]

# url name -> (kwargs builder, {role: status}); unit_detail targets the liaison's own unit.
MATRIX = {
    "portal:home": (None, dict.fromkeys(ROLES, 200)),
    "login": (
        None,
        {"anonymous": 200, "cadre": 302, "liaison": 302, "other_liaison": 302, "staff": 302, "leader": 302},
    ),
    "portal:my_page": (
        None,
        {"anonymous": 302, "cadre": 200, "liaison": 200, "other_liaison": 200, "staff": 200, "leader": 200},
    ),
    "portal:my_unit": (
        None,
        {"anonymous": 302, "cadre": 404, "liaison": 302, "other_liaison": 302, "staff": 404, "leader": 404},
    ),
    "portal:unit_detail": (
        lambda ctx: {"pk": ctx["unit"].pk},
        {"anonymous": 302, "cadre": 404, "liaison": 200, "other_liaison": 404, "staff": 200, "leader": 200},
    ),
    "password_change": (
        None,
        {"anonymous": 302, "cadre": 200, "liaison": 200, "other_liaison": 200, "staff": 200, "leader": 200},
    ),
    "password_change_done": (
        None,
        {"anonymous": 302, "cadre": 200, "liaison": 200, "other_liaison": 200, "staff": 200, "leader": 200},
    ),
    "healthz": (None, dict.fromkeys(ROLES, 200)),
    "admin:index": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_cadre_changelist": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_cadre_add": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_cadre_change": (
        lambda ctx: {"object_id": ctx["cadre"].pk},
        {**dict.fromkeys(ROLES, 302), "staff": 200},
    ),
    "admin:portal_cadre_import": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_cadre_import_template": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_unit_changelist": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
    "admin:portal_auditentry_changelist": (None, {**dict.fromkeys(ROLES, 302), "staff": 200}),
}


@pytest.fixture
def people(unit, cadre, liaison, other_liaison, staff_user, leader):
    return {
        "anonymous": None,
        "cadre": cadre.user,
        "liaison": liaison.user,
        "other_liaison": other_liaison.user,
        "staff": staff_user,
        "leader": leader,
        "unit": unit,
        "cadre_record": cadre,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", list(MATRIX))
def test_permission_matrix(client, people, url_name, role):
    kwargs_builder, expected = MATRIX[url_name]
    context = {"unit": people["unit"], "cadre": people["cadre_record"]}
    url = reverse(url_name, kwargs=kwargs_builder(context) if kwargs_builder else None)
    if people[role] is not None:
        client.force_login(people[role])
    response = client.get(url)
    assert response.status_code == expected[role], f"{role} GET {url}"


@pytest.mark.django_db
def test_every_url_is_in_the_matrix():
    """A new URL without a row in the matrix fails here, so nobody forgets its permissions."""
    from django.urls import get_resolver

    from portal.urls import app_patterns

    names = {f"portal:{p.name}" for p in app_patterns[0]}
    names |= {p.name for p in get_resolver().url_patterns if getattr(p, "name", None)}
    names -= {"set_language", "logout"}  # POST-only; covered in test_views
    assert names <= set(MATRIX), names - set(MATRIX)


@pytest.mark.django_db
def test_liaison_cannot_reach_another_units_page_by_id(client, liaison, other_unit):
    CadreFactory(unit=other_unit)
    client.force_login(liaison.user)
    assert client.get(reverse("portal:unit_detail", kwargs={"pk": other_unit.pk})).status_code == 404
    assert client.get(reverse("portal:unit_detail", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.django_db
def test_deactivated_liaison_loses_the_unit_page(client, liaison, unit):
    liaison.is_active = False
    liaison.save()
    client.force_login(liaison.user)
    assert client.get(reverse("portal:unit_detail", kwargs={"pk": unit.pk})).status_code == 404


@pytest.mark.django_db
def test_staff_flag_without_the_committee_group_is_not_enough(client, db):
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:portal_cadre_changelist")).status_code == 403

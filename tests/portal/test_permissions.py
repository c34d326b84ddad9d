"""Permissions beyond the matrix (tests/test_permission_matrix.py): objects of another unit, deactivated roles."""

import pytest
from django.urls import reverse

from tests.factories import CadreFactory


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

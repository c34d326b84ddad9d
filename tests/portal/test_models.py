import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import translation

from portal.models import Cadre, Unit
from portal.permissions import can_view_unit, is_committee_staff, is_leadership, is_liaison, is_liaison_of, role_labels
from portal.phones import mask_phone, normalize_phone
from tests.factories import CadreFactory, UnitFactory, UserFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13812345678, "13812345678"),
        (1.3812345678e10, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0427-2812345", "0427-2812345"),
        ("(0427)2812345", "0427-2812345"),
        ("01088886666", "010-88886666"),
        ("", ""),
        (None, ""),
        ("12345", None),
        ("1381234567x", None),
        ("23812345678", None),
        (1.5, None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("phone", "masked"), [("13812345678", "138****5678"), ("0427-2812345", "0427-***2345"), ("", "")]
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.django_db
def test_unit_names_and_codes_are_unique():
    UnitFactory(name="市教育局", code="EDU")
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="市教育局", code="EDU2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(name="市教育局二", code="EDU")


@pytest.mark.django_db
def test_employee_number_unique_and_not_empty(unit):
    CadreFactory(unit=unit, employee_no="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(user=UserFactory(), employee_no="X1", name="甲", gender="M", unit=unit)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(user=UserFactory(), employee_no="", name="乙", gender="M", unit=unit)


@pytest.mark.django_db
def test_field_validation(unit):
    cadre = CadreFactory.build(unit=unit, user=UserFactory(), employee_no="bad no!", phone="999")
    with pytest.raises(ValidationError) as error:
        cadre.full_clean()
    assert {"employee_no", "phone"} <= set(error.value.message_dict)


@pytest.mark.django_db
def test_a_unit_with_cadres_cannot_be_deleted(cadre):
    with pytest.raises(ProtectedError):
        cadre.unit.delete()


@pytest.mark.django_db
def test_roles(unit, other_unit, cadre, liaison, staff_user, leader):
    assert is_liaison(liaison.user) and is_liaison_of(liaison.user, unit)
    assert not is_liaison_of(liaison.user, other_unit)
    assert not is_liaison(cadre.user)
    assert is_committee_staff(staff_user) and not is_committee_staff(leader)
    assert is_leadership(leader) and not is_leadership(staff_user)
    assert can_view_unit(staff_user, other_unit) and can_view_unit(leader, other_unit)
    assert not can_view_unit(cadre.user, unit)
    with translation.override("en"):
        assert role_labels(cadre.user) == ["Cadre"]
        assert role_labels(liaison.user) == ["Unit liaison", "Cadre"]
    with translation.override("zh-hans"):
        assert role_labels(staff_user) == ["工委工作人员"]


@pytest.mark.django_db
def test_role_groups_exist_with_staff_permissions():
    from django.contrib.auth.models import Group

    staff = Group.objects.get(name="committee_staff")
    assert staff.permissions.filter(codename="change_cadre").exists()
    assert staff.permissions.filter(codename="add_unit").exists()
    assert Group.objects.filter(name="leadership").exists()

"""factory_boy factories for the shared model."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.models import Cadre, Unit
from portal.permissions import COMMITTEE_STAFF_GROUP, LEADERSHIP_GROUP

User = get_user_model()
TEST_PASSWORD = "Test-pass-2026!"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"市测试局{n:03d}")
    short_name = factory.Sequence(lambda n: f"测试{n:03d}")
    code = factory.Sequence(lambda n: f"U{n:04d}")
    sort_order = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:05d}")
    password = factory.django.Password(TEST_PASSWORD)


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..employee_no"))
    name = factory.Sequence(lambda n: f"张{n}")
    gender = Cadre.Gender.MALE
    unit = factory.SubFactory(UnitFactory)
    position = "科员"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    must_change_password = False


class LiaisonFactory(CadreFactory):
    is_liaison = True


def make_staff(username="staff"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=COMMITTEE_STAFF_GROUP))
    return user


def make_leader(username="leader"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=LEADERSHIP_GROUP))
    return user

"""The demo-data command: counts, one liaison per unit, working logins, idempotence, determinism, bounded queries."""

import math
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from portal import permissions
from portal.demo_data import DEMO_PASSWORD, EMPLOYEE_PREFIX, TALENT_CODES
from portal.models import AuditEntry, Cadre, Unit, phone_validator

pytestmark = pytest.mark.django_db
User = get_user_model()


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo_cadres():
    return Cadre.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX)


def login_of(output, label):
    """The user name on the line of the login table (printed after the progress lines) that carries `label`."""
    table = output.split("Demo logins", 1)[1]
    line = next(line for line in table.splitlines() if label in line)
    return re.search(rf"\b({EMPLOYEE_PREFIX}\d{{5}}|staff|leader|admin)\b", line).group(1)


def snapshot():
    return list(
        Cadre.objects.order_by("employee_no").values_list(
            "employee_no",
            "name",
            "gender",
            "birth_date",
            "unit__code",
            "position",
            "political_status",
            "phone",
            "talents",
            "car_plate",
            "is_liaison",
        )
    )


def wipe():
    Cadre.objects.all().delete()
    User.objects.all().delete()
    Unit.objects.all().delete()
    AuditEntry.objects.all().delete()


def test_creates_forty_units_and_the_requested_cadres():
    seed("--cadres", "200")

    assert Unit.objects.count() == 40
    assert demo_cadres().count() == 200
    # Plus the leader's own cadre record in 市委办公室.
    assert Cadre.objects.count() == 201
    assert Cadre.objects.get(employee_no="leader").unit.name == "市委办公室"
    assert set(Unit.objects.values_list("kind", flat=True)) == {
        Unit.Kind.PARTY,
        Unit.Kind.GOVERNMENT,
        Unit.Kind.PEOPLES_CONGRESS,
        Unit.Kind.JUDICIAL,
        Unit.Kind.MASS_ORGANISATION,
        Unit.Kind.INSTITUTION,
    }
    assert Unit.objects.get(code="U007").name == "市教育局"
    assert all(unit.short_name for unit in Unit.objects.all())


def test_each_unit_has_exactly_one_liaison_its_first_cadre():
    seed("--cadres", "200")

    counts = Unit.objects.annotate(liaisons=Count("cadres", filter=Q(cadres__is_liaison=True)))
    assert {unit.name: unit.liaisons for unit in counts} == {unit.name: 1 for unit in counts}
    for unit in Unit.objects.all():
        first = demo_cadres().filter(unit=unit).order_by("employee_no").first()
        assert first.is_liaison


def test_employee_numbers_are_unique_and_are_the_usernames():
    seed("--cadres", "200")

    pairs = list(demo_cadres().values_list("employee_no", "user__username"))
    assert all(employee_no == username for employee_no, username in pairs)
    assert len({employee_no for employee_no, _ in pairs}) == 200
    assert sorted(employee_no for employee_no, _ in pairs) == [f"D{i:05d}" for i in range(1, 201)]
    assert not demo_cadres().filter(must_change_password=True).exists()


def test_fields_are_plausible():
    seed("--cadres", "300")

    cadres = list(demo_cadres())
    phones = [c.phone for c in cadres]
    for phone in phones:
        phone_validator(phone)  # raises ValidationError on a bad number
        assert phone[:2] in {"13", "15", "18", "19"}
    assert len(set(phones)) == len(phones)
    assert all(1963 <= c.birth_date.year <= 2002 for c in cadres)
    assert all(c.gender in Cadre.Gender.values and c.name and c.position for c in cadres)
    assert all(c.political_status in Cadre.PoliticalStatus.values for c in cadres)
    assert all(set(c.talents) <= set(TALENT_CODES) for c in cadres)
    plates = [c.car_plate for c in cadres if c.car_plate]
    assert all(len(p) <= 12 and p.startswith("辽") for p in plates)
    # Rough shares: most cadres are CPC members; about 30% have a car plate and 15% a talent.
    cpc = sum(c.political_status == Cadre.PoliticalStatus.CPC_MEMBER for c in cadres)
    assert cpc > len(cadres) / 2
    assert 0.15 < len(plates) / len(cadres) < 0.45
    assert 0.05 < sum(bool(c.talents) for c in cadres) / len(cadres) < 0.25


def test_second_run_creates_nothing():
    first_output = seed("--cadres", "200")
    counts = (Unit.objects.count(), Cadre.objects.count(), User.objects.count(), AuditEntry.objects.count())
    before = snapshot()

    output = seed("--cadres", "200")

    assert (Unit.objects.count(), Cadre.objects.count(), User.objects.count(), AuditEntry.objects.count()) == counts
    assert snapshot() == before
    assert "already seeded" in output
    # The same login table both times.
    assert output.split("Demo logins")[1] == first_output.split("Demo logins")[1]


def test_audit_entry_records_the_counts():
    seed("--cadres", "200")

    entry = AuditEntry.objects.get(action="demo.seed")
    assert entry.actor is None
    assert entry.object_type == "portal.cadre"
    assert entry.changes["cadres"] == 200
    assert entry.changes["units"] == 40


def test_printed_logins_authenticate_and_hold_their_roles():
    output = seed("--cadres", "200")
    request = RequestFactory().post("/accounts/login/")

    assert DEMO_PASSWORD in output
    usernames = {
        label: login_of(output, label)
        for label in ("Committee staff", "Leadership", "Unit liaison", "干部 Cadre", "Superuser")
    }
    users = {}
    for label, username in usernames.items():
        user = authenticate(request=request, username=username, password=DEMO_PASSWORD)
        assert user is not None, f"{label} login {username} does not work"
        users[label] = user

    assert usernames["Committee staff"] == "staff"
    assert permissions.is_committee_staff(users["Committee staff"])
    assert permissions.is_leadership(users["Leadership"])
    assert not permissions.is_committee_staff(users["Leadership"])
    liaison = users["Unit liaison"]
    assert permissions.is_liaison(liaison)
    assert liaison.cadre.unit.name == "市教育局"
    assert "/units/mine/" in output
    cadre = users["干部 Cadre"]
    assert permissions.cadre_of(cadre) is not None
    assert not permissions.is_liaison(cadre)
    assert users["Superuser"].is_superuser and users["Superuser"].is_staff


def test_quiet_prints_only_the_logins():
    output = seed("--cadres", "100", "--quiet")

    assert "Units:" not in output
    assert "staff" in output and "leader" in output


def test_too_few_cadres_for_the_units_is_an_error():
    with pytest.raises(CommandError):
        seed("--cadres", "10")
    assert not Unit.objects.exists()


def test_city_scale_extends_a_demo_database_with_the_same_people():
    seed("--cadres", "100")
    demo_people = snapshot()

    seed("--scale", "city", "--cadres", "300")
    upgraded = snapshot()

    assert Unit.objects.count() == 100
    assert demo_cadres().count() == 300
    assert [row for row in upgraded if row[0] in {p[0] for p in demo_people}] == demo_people
    assert all(unit.cadres.filter(is_liaison=True).count() == 1 for unit in Unit.objects.all())

    # A fresh city-scale run makes exactly the same people: the data depend on nothing but the arguments.
    wipe()
    seed("--scale", "city", "--cadres", "300")
    assert snapshot() == upgraded


def batches(model, n):
    # Django caps a bulk insert by the backend's variable limit (999 on SQLite), below the command's batch of 1000.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    per_batch = min(1000, connection.ops.bulk_batch_size(fields, [None] * n))
    return math.ceil(n / per_batch)


def test_query_count_does_not_grow_with_the_cadres():
    with CaptureQueriesContext(connection) as small:
        seed("--cadres", "100")
    wipe()
    with CaptureQueriesContext(connection) as large:
        seed("--cadres", "400")

    def split(queries):
        inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO") and "RETURNING" in q["sql"]]
        return len(inserts), len(queries) - len(inserts)

    small_inserts, small_other = split(small.captured_queries)
    large_inserts, large_other = split(large.captured_queries)
    assert small_other == large_other
    growth = batches(User, 400) + batches(Cadre, 400) - batches(User, 100) - batches(Cadre, 100)
    assert large_inserts - small_inserts <= growth
    # Of which the staff changes of the demo season (portal.demo_history, through the services, audited): a fixed
    # number of statements per quarter.
    assert len(large.captured_queries) < 130


def test_units_left_without_cadres_are_reported_then_staffed_with_a_liaison():
    seed("--cadres", "100")
    err = StringIO()
    # Already 100 cadres, so the 60 city-only units get none this time: the command says so.
    call_command("seed_demo", "--scale", "city", "--cadres", "100", stdout=StringIO(), stderr=err)
    assert "市委党校" in err.getvalue()

    seed("--scale", "city", "--cadres", "200")

    assert all(unit.cadres.filter(is_liaison=True).count() == 1 for unit in Unit.objects.all())

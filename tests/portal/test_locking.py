"""portal.locking: locks only inside a transaction, in primary-key order, and a lock timeout becomes Busy."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from activities.models import Team
from activities.services.teams import team_register
from portal.errors import Busy, PortalError
from portal.locking import lock_one, lock_rows
from portal.models import Cadre, Unit
from tests.activities.factories import CompetitionFactory
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory


@pytest.mark.django_db(transaction=True)
def test_locking_outside_a_transaction_is_a_programming_error():
    unit = UnitFactory()
    with pytest.raises(RuntimeError, match="inside a transaction"):
        lock_one(Unit, unit.pk)
    with pytest.raises(RuntimeError, match="inside a transaction"):
        lock_rows(Unit, [unit.pk])
    with transaction.atomic():
        assert lock_one(Unit, unit.pk) == unit


@pytest.mark.django_db
def test_rows_are_locked_in_primary_key_order():
    units = UnitFactory.create_batch(5)
    wanted = [units[3].pk, units[0].pk, units[4].pk, units[0].pk]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        rows = lock_rows(Unit, wanted)
    assert [row.pk for row in rows] == sorted({units[3].pk, units[0].pk, units[4].pk})
    sql = captured.captured_queries[-1]["sql"]
    assert 'ORDER BY "portal_unit"."id" ASC' in sql
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql


@pytest.mark.django_db
def test_a_filtered_queryset_narrows_what_is_locked():
    unit = UnitFactory()
    active, inactive = CadreFactory(unit=unit), CadreFactory(unit=unit, is_active=False)
    with transaction.atomic():
        assert lock_rows(Cadre.objects.filter(is_active=True), [active.pk, inactive.pk]) == [active]
        assert lock_rows(Cadre.objects.filter(unit=unit)) == sorted([active, inactive], key=lambda c: c.pk)
        assert lock_rows(Cadre, []) == []
        loaded = lock_one(Cadre, active.pk, select_related=["unit", "user"])
        assert loaded.unit == unit and "unit" in loaded._state.fields_cache


@pytest.mark.django_db
def test_lock_one_reads_like_get():
    unit = UnitFactory()
    UnitFactory()
    with transaction.atomic():
        assert lock_one(Unit.objects.filter(code=unit.code)) == unit
        assert lock_one(Unit.objects.filter(code="nothing"), missing_ok=True) is None
        with pytest.raises(Unit.DoesNotExist):
            lock_one(Unit, 10**9)
        with pytest.raises(Unit.MultipleObjectsReturned):
            lock_one(Unit.objects.all())
        # Locking a whole table is never meant: a bare model needs the rows' ids.
        with pytest.raises(TypeError):
            lock_rows(Unit)
        with pytest.raises(TypeError):
            lock_one(Unit)


class _LockNotAvailable(Exception):
    sqlstate = "55P03"


class _Other(Exception):
    sqlstate = "40P01"


def _failing_fetch(cause):
    def fetch(self):
        error = OperationalError("canceling statement due to lock timeout")
        error.__cause__ = cause
        raise error

    return fetch


@pytest.mark.django_db
def test_a_lock_timeout_becomes_busy_and_spoils_the_transaction(monkeypatch):
    unit = UnitFactory()
    monkeypatch.setattr(QuerySet, "_fetch_all", _failing_fetch(_LockNotAvailable()))
    with transaction.atomic():
        with pytest.raises(Busy) as caught, translation.override("en"):
            lock_one(Unit, unit.pk)
        assert isinstance(caught.value, PortalError)
        assert "try again" in str(caught.value)
        # A caller that caught Busy cannot go on writing in the aborted transaction.
        assert transaction.get_rollback()
        transaction.set_rollback(False)


@pytest.mark.django_db
def test_other_database_errors_pass_through(monkeypatch):
    unit = UnitFactory()
    monkeypatch.setattr(QuerySet, "_fetch_all", _failing_fetch(_Other()))
    with transaction.atomic(), pytest.raises(OperationalError):
        lock_one(Unit, unit.pk)


# --- On PostgreSQL: a held lock makes the second service call give up with Busy ----------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_held_lock_makes_a_service_answer_busy_within_the_timeout(settings):
    settings.PORTAL_LOCK_TIMEOUT_MS = 300
    competition = CompetitionFactory(capacity=4, team_size_min=1, team_size_max=1)
    liaison = LiaisonFactory()
    member = CadreFactory(unit=liaison.unit)
    locked, release = threading.Event(), threading.Event()
    problems = []

    def hold_the_competition():
        try:
            with transaction.atomic():
                lock_one(type(competition), competition.pk, timeout_ms=0)
                locked.set()
                release.wait(timeout=30)
        except Exception as error:  # noqa: BLE001 - reported to the main thread
            problems.append(error)
            locked.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_competition)
    holder.start()
    try:
        assert locked.wait(timeout=10) and not problems, problems
        started = time.monotonic()
        with pytest.raises(Busy), translation.override("en"):
            team_register(actor=liaison.user, competition=competition, unit=liaison.unit, members=[member])
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)
    assert 0.25 <= waited < 3, waited
    assert not Team.objects.exists()
    # Once the lock is released the same call goes through.
    team = team_register(actor=liaison.user, competition=competition, unit=liaison.unit, members=[member])
    assert team.place_no == 1

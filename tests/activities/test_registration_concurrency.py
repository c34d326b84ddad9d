"""Capacity holds under concurrency, on real PostgreSQL: many registrations released at once by a barrier.

4N attempts at N places, each from its own thread and database connection: exactly N succeed. Two requests at
a time would prove nothing, so at least 16 must be in flight together.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import translation

from activities.models import Registration, Team, TeamMember
from activities.services.eligibility import NoPlacesLeft
from activities.services.signup import registration_sign_up
from activities.services.teams import team_register
from portal.errors import PortalError
from tests.activities.factories import ActivityFactory, CompetitionFactory
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PLACES = 8
ATTEMPTS = 4 * PLACES
MIN_IN_FLIGHT = 16


def _fire_together(jobs):
    """Run every job in its own thread, all released at once; return (results, most jobs in flight at once)."""
    barrier = threading.Barrier(len(jobs))
    lock = threading.Lock()
    state = {"in_flight": 0, "peak": 0}

    def run(job):
        try:
            barrier.wait(timeout=60)
            with lock:
                state["in_flight"] += 1
                state["peak"] = max(state["peak"], state["in_flight"])
            try:
                return job()
            except PortalError as error:
                return error
            finally:
                with lock:
                    state["in_flight"] -= 1
        finally:
            # Each thread opened its own connection; leaving it open would block dropping the test database.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(run, jobs))
    return results, state["peak"]


def test_team_places_hold_under_concurrent_registration():
    competition = CompetitionFactory(capacity=PLACES, entries_per_unit=ATTEMPTS, team_size_min=1, team_size_max=1)
    entrants = []
    for _ in range(ATTEMPTS):
        unit = UnitFactory()
        entrants.append((LiaisonFactory(unit=unit), CadreFactory(unit=unit)))

    def attempt(liaison, member):
        def register():
            # Each thread has its own active language; the refusal is asserted in English.
            with translation.override("en"):
                return team_register(actor=liaison.user, competition=competition, unit=liaison.unit, members=[member])

        return register

    results, peak = _fire_together([attempt(liaison, member) for liaison, member in entrants])

    assert peak >= MIN_IN_FLIGHT
    teams = [r for r in results if isinstance(r, Team)]
    refusals = [r for r in results if not isinstance(r, Team)]
    assert len(teams) == PLACES
    assert len(refusals) == ATTEMPTS - PLACES
    assert all(isinstance(r, NoPlacesLeft) for r in refusals), {type(r).__name__: str(r) for r in refusals}
    assert all("No places left" in str(r) for r in refusals)
    stored = Team.objects.filter(competition=competition, status=Team.Status.ACTIVE)
    assert sorted(stored.values_list("place_no", flat=True)) == list(range(1, PLACES + 1))
    assert TeamMember.objects.filter(competition=competition).count() == PLACES
    assert Team.objects.count() == PLACES


def test_individual_places_hold_under_concurrent_sign_up():
    activity = ActivityFactory(open_to_individuals=True, capacity=PLACES)
    cadres = CadreFactory.create_batch(ATTEMPTS)

    def attempt(cadre):
        return lambda: registration_sign_up(actor=cadre.user, activity=activity, cadre=cadre)

    results, peak = _fire_together([attempt(cadre) for cadre in cadres])

    assert peak >= MIN_IN_FLIGHT
    assert all(isinstance(r, Registration) for r in results), [str(r) for r in results]
    stored = Registration.objects.filter(activity=activity)
    assert stored.filter(status=Registration.Status.CONFIRMED).count() == PLACES
    assert stored.filter(status=Registration.Status.WAITLISTED).count() == ATTEMPTS - PLACES
    # The lock serialises sign-ups, so every confirmed place went to someone who signed up before anyone waiting.
    last_confirmed = max(stored.filter(status="confirmed").values_list("created_at", flat=True))
    first_waiting = min(stored.filter(status="waitlisted").values_list("created_at", flat=True))
    assert last_confirmed <= first_waiting

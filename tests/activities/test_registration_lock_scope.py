"""The competition lock is held only for what it guards (activities/services/teams.py, `team_register`).

A refused entry is refused before the lock: `lock_competition` is replaced by a function that fails the test, so
any refusal that still reaches it shows up. And what concurrent writers can change is checked again under the
lock: a writer slipped in between the checks before the lock and the lock itself must still be seen. (That
capacity holds under real concurrency is tests/activities/test_registration_concurrency.py, on PostgreSQL.)
"""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from activities.models import Activity, Competition, Team, TeamMember
from activities.services import teams as team_services
from activities.services.eligibility import EntryRejected, NoPlacesLeft, RegistrationClosed
from activities.services.teams import team_register, team_update_members
from portal.models import AuditEntry
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, LiaisonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def doubles(db):
    meet = ActivityFactory(title="Sports meet", max_events_per_athlete=2)
    return CompetitionFactory(
        activity=meet, name="Doubles", team_size_min=2, team_size_max=2, entries_per_unit=1, capacity=2
    )


@pytest.fixture
def no_lock(monkeypatch):
    """Taking the competition lock fails the test: what is refused must be refused before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the competition lock was taken")

    monkeypatch.setattr(team_services, "lock_competition", refuse)


@pytest.fixture
def locks(monkeypatch):
    """Counts the competition locks taken, and runs `locks.meanwhile` (a concurrent writer) just before each."""
    real = team_services.lock_competition

    class Spy:
        taken = 0
        meanwhile = None

        def __call__(self, *args, **kwargs):
            if self.meanwhile is not None:
                self.meanwhile()
            self.taken += 1
            return real(*args, **kwargs)

    spy = Spy()
    monkeypatch.setattr(team_services, "lock_competition", spy)
    return spy


def _register(liaison, competition, members, name=""):
    return team_register(actor=liaison.user, competition=competition, unit=liaison.unit, name=name, members=members)


def _nothing_saved():
    return Team.objects.count(), TeamMember.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize("language, message", [("en", "Stranger is not an active cadre of"), ("zh-hans", "不是")])
def test_an_invalid_member_list_is_refused_before_the_lock(
    liaison, unit, other_unit, doubles, no_lock, language, message
):
    members = [CadreFactory(unit=unit), CadreFactory(unit=other_unit, name="Stranger")]
    before = _nothing_saved()
    with translation.override(language), pytest.raises(EntryRejected) as error:
        _register(liaison, doubles, members)
    assert any(message in text and "Stranger" in text for text in error.value.messages), error.value.messages
    assert _nothing_saved() == before


def test_the_members_own_rules_and_the_name_are_judged_before_the_lock(liaison, unit, doubles, no_lock, english):
    other = CadreFactory(unit=unit)
    with pytest.raises(EntryRejected, match="has 2 members; you chose 1"):
        _register(liaison, doubles, [other])
    with pytest.raises(EntryRejected, match="does not exist"):
        _register(liaison, doubles, [other.pk, 987654])
    with pytest.raises(EntryRejected, match="Retired is not an active cadre"):
        _register(liaison, doubles, [other, CadreFactory(unit=unit, name="Retired", is_active=False)])
    with pytest.raises(EntryRejected, match="at most 80 characters"):
        _register(liaison, doubles, [other, CadreFactory(unit=unit)], name="x" * 81)
    TeamFactory(competition=doubles, name="Tigers", place_no=1)
    with pytest.raises(EntryRejected, match="A team named Tigers is already entered"):
        _register(liaison, doubles, [other, CadreFactory(unit=unit)], name="Tigers")


def test_a_member_already_in_a_team_is_refused_under_the_lock(liaison, unit, doubles, locks, english):
    # Whether a cadre is in another team is what concurrent entries change, so it is judged under the lock only.
    busy = CadreFactory(unit=unit, name="Busy")
    TeamFactory(competition=doubles, unit=unit, place_no=2, members=[busy, CadreFactory(unit=unit)])
    Competition.objects.filter(pk=doubles.pk).update(entries_per_unit=2)
    with pytest.raises(EntryRejected, match="Busy is already in team"):
        _register(liaison, doubles, [busy, CadreFactory(unit=unit)])
    assert locks.taken == 1


def test_a_full_competition_or_a_closed_window_is_refused_before_the_lock(liaison, unit, doubles, no_lock, english):
    members = CadreFactory.create_batch(2, unit=unit)
    for place in (1, 2):
        TeamFactory(competition=doubles, place_no=place)
    with pytest.raises(NoPlacesLeft, match="No places left in Doubles: all 2 places are taken"):
        _register(liaison, doubles, members)
    Competition.objects.filter(pk=doubles.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(RegistrationClosed, match="Registration for Doubles closed at"):
        _register(liaison, doubles, members)


def test_a_team_update_with_an_invalid_member_list_is_refused_before_the_lock(
    liaison, unit, other_unit, doubles, no_lock, english
):
    team = TeamFactory(competition=doubles, unit=unit, place_no=1)
    stranger = CadreFactory(unit=other_unit, name="Stranger")
    with pytest.raises(EntryRejected, match="Stranger is not an active cadre"):
        team_update_members(actor=liaison.user, team=team, members=[team.members.first().cadre, stranger])


def test_a_valid_entry_takes_the_lock_once(liaison, unit, doubles, locks):
    team = _register(liaison, doubles, CadreFactory.create_batch(2, unit=unit))
    assert (team.place_no, locks.taken) == (1, 1)


def test_the_last_place_taken_meanwhile_is_seen_under_the_lock(liaison, unit, doubles, locks, english):
    TeamFactory(competition=doubles, place_no=1)
    locks.meanwhile = lambda: TeamFactory(competition=doubles, place_no=2)
    with pytest.raises(NoPlacesLeft, match="all 2 places are taken"):
        _register(liaison, doubles, CadreFactory.create_batch(2, unit=unit))
    assert locks.taken == 1
    assert not Team.objects.filter(unit=unit).exists()


def test_a_member_entered_meanwhile_is_seen_under_the_lock(liaison, unit, doubles, locks, english):
    taken, other = CadreFactory(unit=unit, name="Taken"), CadreFactory(unit=unit)
    elsewhere = CompetitionFactory(activity=doubles.activity, name="Singles", capacity=None)
    Activity.objects.filter(pk=doubles.activity_id).update(max_events_per_athlete=1)
    # Another liaison of the unit enters Taken in the meet's other event between the checks and the lock.
    locks.meanwhile = lambda: TeamFactory(competition=elsewhere, unit=unit, place_no=1, members=[taken])
    with pytest.raises(EntryRejected, match="Taken is already entered in 1 event of Sports meet; the limit is 1"):
        _register(liaison, doubles, [taken, other])
    assert not Team.objects.filter(competition=doubles).exists()


def test_entries_closed_meanwhile_are_seen_under_the_lock(liaison, unit, doubles, locks, english):
    locks.meanwhile = lambda: Competition.objects.filter(pk=doubles.pk).update(entries_locked_at=timezone.now())
    with pytest.raises(RegistrationClosed, match="Entries for Doubles are locked"):
        _register(liaison, doubles, CadreFactory.create_batch(2, unit=unit))


def test_a_settings_change_meanwhile_is_seen_under_the_lock(liaison, unit, doubles, locks, english):
    # competition_update_settings changes team sizes under this same lock.
    locks.meanwhile = lambda: Competition.objects.filter(pk=doubles.pk).update(team_size_min=3, team_size_max=3)
    with pytest.raises(EntryRejected, match="has 3 members; you chose 2"):
        _register(liaison, doubles, CadreFactory.create_batch(2, unit=unit))


def test_a_second_entry_of_the_unit_meanwhile_is_seen_under_the_lock(unit, doubles, locks, english):
    liaison = LiaisonFactory(unit=unit)
    locks.meanwhile = lambda: TeamFactory(competition=doubles, unit=unit, place_no=1)
    with pytest.raises(EntryRejected, match="already has 1 team in Doubles"):
        _register(liaison, doubles, CadreFactory.create_batch(2, unit=unit))

"""Registration services: individual sign-up with a waiting list, team entries by liaisons, substitutions.

Every refused input is checked for its message and for nothing saved (row counts and the audit trail unchanged).
"""

from datetime import date, datetime, timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone, translation

from activities.models import Activity, Competition, Registration, Substitution, Team, TeamMember
from activities.selectors.registration import registrations_for_cadre
from activities.services import teams as team_services
from activities.services.eligibility import EntryRejected, NoPlacesLeft, RegistrationClosed, age_on
from activities.services.signup import registration_cancel, registration_sign_up
from activities.services.substitution import substitution_decide, substitution_request
from activities.services.teams import team_register, team_update_members, team_withdraw
from portal.errors import NotPermitted, PortalError
from portal.models import AuditEntry, Cadre
from tests.activities.factories import ActivityFactory, CompetitionFactory, TeamFactory
from tests.factories import CadreFactory, LiaisonFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; the Chinese catalogue is added later and must not break these tests.
    with translation.override("en"):
        yield


def _counts():
    return (
        Registration.objects.count(),
        Team.objects.count(),
        TeamMember.objects.count(),
        Substitution.objects.count(),
        AuditEntry.objects.count(),
        list(Team.objects.order_by("pk").values_list("status", "name", "place_no")),
        list(TeamMember.objects.order_by("pk").values_list("team_id", "cadre_id")),
        list(Registration.objects.order_by("pk").values_list("status", flat=True)),
        list(Substitution.objects.order_by("pk").values_list("status", flat=True)),
    )


class NothingSaved:
    """`with NothingSaved(): ...` asserts that the block changed no registration, team, member or audit row."""

    def __enter__(self):
        self.before = _counts()
        return self

    def __exit__(self, *exc):
        assert _counts() == self.before
        return False


# ---------------------------------------------------------------------------------------------------------
# Individual sign-up
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def lecture(db):
    return ActivityFactory(title="Lecture", kind=Activity.Kind.OTHER, open_to_individuals=True, capacity=2)


def _sign_up(activity, cadre=None):
    cadre = cadre or CadreFactory()
    return registration_sign_up(actor=cadre.user, activity=activity, cadre=cadre)


def test_sign_up_confirms_until_capacity_then_waitlists(lecture):
    first, second, third, fourth = (_sign_up(lecture) for _ in range(4))
    assert [first.status, second.status] == [Registration.Status.CONFIRMED] * 2
    assert [third.status, fourth.status] == [Registration.Status.WAITLISTED] * 2
    assert AuditEntry.objects.filter(action="registration.sign_up").count() == 4
    entry = AuditEntry.objects.filter(action="registration.sign_up", object_id=str(third.pk)).get()
    assert entry.changes == {"status": [None, "waitlisted"]}
    assert entry.actor == third.cadre.user


def test_sign_up_without_capacity_confirms_everyone(lecture):
    lecture.capacity = None
    lecture.save()
    assert {_sign_up(lecture).status for _ in range(5)} == {Registration.Status.CONFIRMED}


def test_double_sign_up_is_refused_with_a_message(lecture, cadre):
    _sign_up(lecture, cadre)
    with NothingSaved(), pytest.raises(PortalError, match="already signed up to Lecture"):
        _sign_up(lecture, cadre)


def test_double_sign_up_that_slips_past_the_check_hits_the_constraint(lecture, cadre, monkeypatch):
    _sign_up(lecture, cadre)
    real_exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists", lambda qs: False if qs.model is Registration else real_exists(qs))
    with NothingSaved(), pytest.raises(PortalError, match="already signed up"):
        _sign_up(lecture, cadre)


def test_sign_up_again_after_cancelling(lecture, cadre):
    registration_cancel(actor=cadre.user, registration=_sign_up(lecture, cadre))
    assert _sign_up(lecture, cadre).status == Registration.Status.CONFIRMED


@pytest.mark.parametrize(
    "change, message",
    [
        ({"registration_opens_at": timezone.now() + timedelta(days=1)}, "Registration for Lecture opens at"),
        ({"registration_closes_at": timezone.now() - timedelta(minutes=1)}, "Registration for Lecture closed at"),
        ({"status": Activity.Status.DRAFT}, "Lecture is not open for registration"),
        ({"status": Activity.Status.FINISHED}, "Lecture is not open for registration"),
        ({"open_to_individuals": False}, "Lecture does not take individual sign-ups"),
    ],
)
def test_sign_up_outside_the_window_is_refused(lecture, cadre, change, message):
    Activity.objects.filter(pk=lecture.pk).update(**change)
    with NothingSaved(), pytest.raises(RegistrationClosed, match=message):
        _sign_up(lecture, cadre)


def test_a_cadre_signs_up_only_themself(lecture, cadre, liaison, staff_user):
    for actor in (liaison.user, staff_user):
        with NothingSaved(), pytest.raises(NotPermitted, match="only sign yourself up"):
            registration_sign_up(actor=actor, activity=lecture, cadre=cadre)


def test_an_inactive_cadre_cannot_sign_up(lecture, cadre):
    Cadre.objects.filter(pk=cadre.pk).update(is_active=False)
    with NothingSaved(), pytest.raises(NotPermitted, match="Only active cadres"):
        _sign_up(lecture, cadre)


def test_cancelling_a_confirmed_place_promotes_the_earliest_waitlisted(lecture):
    confirmed = [_sign_up(lecture) for _ in range(2)]
    waiting = [_sign_up(lecture) for _ in range(3)]
    # The waiting list is ordered by sign-up time, not by id.
    Registration.objects.filter(pk=waiting[1].pk).update(created_at=waiting[0].created_at - timedelta(seconds=1))
    registration_cancel(actor=confirmed[0].cadre.user, registration=confirmed[0])
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses[confirmed[0].pk] == Registration.Status.CANCELLED
    assert statuses[waiting[1].pk] == Registration.Status.CONFIRMED
    assert statuses[waiting[0].pk] == statuses[waiting[2].pk] == Registration.Status.WAITLISTED
    promotion = AuditEntry.objects.get(action="registration.promote")
    assert promotion.object_id == str(waiting[1].pk)
    assert promotion.changes == {"status": ["waitlisted", "confirmed"]}
    assert AuditEntry.objects.get(action="registration.cancel").changes == {"status": ["confirmed", "cancelled"]}


def test_cancelling_a_waitlisted_place_promotes_nobody_and_moves_the_line_up(lecture):
    [_sign_up(lecture) for _ in range(2)]
    waiting = [_sign_up(lecture) for _ in range(3)]
    assert registrations_for_cadre(waiting[2].cadre).get().waitlist_position == 3
    registration_cancel(actor=waiting[0].cadre.user, registration=waiting[0])
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 2
    assert not AuditEntry.objects.filter(action="registration.promote").exists()
    assert registrations_for_cadre(waiting[1].cadre).get().waitlist_position == 1
    assert registrations_for_cadre(waiting[2].cadre).get().waitlist_position == 2


def test_cancelling_fills_a_capacity_raised_meanwhile(lecture):
    confirmed = [_sign_up(lecture) for _ in range(2)]
    [_sign_up(lecture) for _ in range(3)]
    Activity.objects.filter(pk=lecture.pk).update(capacity=3)
    registration_cancel(actor=confirmed[0].cadre.user, registration=confirmed[0])
    assert Registration.objects.filter(status=Registration.Status.CONFIRMED).count() == 3
    assert Registration.objects.filter(status=Registration.Status.WAITLISTED).count() == 1


def test_cancel_rules(lecture, cadre, staff_user):
    mine = _sign_up(lecture, cadre)
    other = _sign_up(lecture)
    with NothingSaved(), pytest.raises(NotPermitted, match="only cancel your own"):
        registration_cancel(actor=cadre.user, registration=other)
    Activity.objects.filter(pk=lecture.pk).update(registration_closes_at=timezone.now() - timedelta(minutes=1))
    with NothingSaved(), pytest.raises(RegistrationClosed, match="closed at"):
        registration_cancel(actor=cadre.user, registration=mine)
    # Staff may still take someone off the list after the window (e.g. on request by phone).
    registration_cancel(actor=staff_user, registration=mine)
    with NothingSaved(), pytest.raises(PortalError, match="already cancelled"):
        registration_cancel(actor=staff_user, registration=mine)


def test_registrations_for_cadre_lists_live_sign_ups_in_time_order(cadre):
    later = ActivityFactory(open_to_individuals=True, starts_at=timezone.now() + timedelta(days=30))
    sooner = ActivityFactory(open_to_individuals=True, starts_at=timezone.now() + timedelta(days=3))
    cancelled = ActivityFactory(open_to_individuals=True)
    for activity in (later, sooner, cancelled):
        _sign_up(activity, cadre)
    registration_cancel(actor=cadre.user, registration=Registration.objects.get(activity=cancelled))
    rows = list(registrations_for_cadre(cadre))
    assert [r.activity for r in rows] == [sooner, later]
    assert [r.waitlist_position for r in rows] == [None, None]


# ---------------------------------------------------------------------------------------------------------
# Team entries
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def meet(db):
    return ActivityFactory(title="Sports meet", starts_at=timezone.make_aware(datetime(2030, 5, 10, 9, 0)))


@pytest.fixture
def doubles(meet):
    return CompetitionFactory(
        activity=meet, name="Doubles", team_size_min=2, team_size_max=3, entries_per_unit=2, capacity=4
    )


def _cadres(unit, count, **kwargs):
    return CadreFactory.create_batch(count, unit=unit, **kwargs)


def _register(liaison, competition, members, name=""):
    return team_register(actor=liaison.user, competition=competition, unit=liaison.unit, name=name, members=members)


def test_a_liaison_registers_a_team(liaison, unit, doubles):
    members = _cadres(unit, 2)
    team = _register(liaison, doubles, members)
    assert team.status == Team.Status.ACTIVE
    assert team.place_no == 1
    assert team.name == f"{unit.short_name}队1"
    assert team.registered_by == liaison.user
    assert sorted(team.members.values_list("cadre_id", flat=True)) == sorted(c.pk for c in members)
    entry = AuditEntry.objects.get(action="team.register")
    assert entry.actor == liaison.user
    assert entry.changes["place_no"] == [None, 1]
    assert [m["name"] for m in entry.changes["members"][1]] == [c.name for c in members]
    second = _register(liaison, doubles, _cadres(unit, 3), name="  Second string  ")
    assert (second.place_no, second.name) == (2, "Second string")


def test_member_ids_are_accepted_and_duplicates_count_once(liaison, unit, doubles):
    a, b = _cadres(unit, 2)
    team = _register(liaison, doubles, [a.pk, b.pk, a.pk])
    assert team.members.count() == 2


def test_the_default_name_skips_names_in_use(liaison, unit, doubles):
    _register(liaison, doubles, _cadres(unit, 2), name=f"{unit.short_name}队1")
    assert _register(liaison, doubles, _cadres(unit, 2)).name == f"{unit.short_name}队2"


def test_a_new_team_takes_the_lowest_free_place(doubles):
    units = [UnitFactory() for _ in range(4)]
    liaisons = [LiaisonFactory(unit=u) for u in units]
    teams = [_register(liaison, doubles, _cadres(liaison.unit, 2)) for liaison in liaisons[:3]]
    assert [t.place_no for t in teams] == [1, 2, 3]
    team_withdraw(actor=liaisons[1].user, team=teams[1])
    assert _register(liaisons[3], doubles, _cadres(units[3], 2)).place_no == 2


def test_staff_may_register_for_any_unit(staff_user, unit, doubles):
    team = team_register(actor=staff_user, competition=doubles, unit=unit, members=_cadres(unit, 2))
    assert team.unit == unit


def test_only_the_units_active_liaison_may_register(unit, other_liaison, cadre, doubles, leader):
    members = _cadres(unit, 2)
    inactive_liaison = LiaisonFactory(unit=unit, is_active=False)
    for actor in (other_liaison.user, cadre.user, leader, inactive_liaison.user):
        with NothingSaved(), pytest.raises(NotPermitted, match="Only a liaison of"):
            team_register(actor=actor, competition=doubles, unit=unit, members=members)


@pytest.mark.parametrize(
    "competition_change, activity_change, message",
    [
        ({"registration_deadline": timezone.now() - timedelta(minutes=1)}, {}, "Registration for Doubles closed at"),
        ({"entries_locked_at": timezone.now()}, {}, "Entries for Doubles are locked"),
        ({}, {"status": Activity.Status.DRAFT}, "Sports meet is not open for registration"),
        ({}, {"status": Activity.Status.CLOSED}, "Sports meet is not open for registration"),
        ({}, {"registration_opens_at": timezone.now() + timedelta(days=1)}, "Registration for Doubles opens at"),
    ],
)
def test_registration_outside_the_window_is_refused(
    liaison, unit, doubles, meet, competition_change, activity_change, message
):
    members = _cadres(unit, 2)
    Competition.objects.filter(pk=doubles.pk).update(**competition_change)
    Activity.objects.filter(pk=meet.pk).update(**activity_change)
    with NothingSaved(), pytest.raises(RegistrationClosed, match=message):
        _register(liaison, doubles, members)


@pytest.mark.parametrize("size, message", [(1, "has 2 to 3 members; you chose 1"), (4, "you chose 4")])
def test_team_size_is_enforced(liaison, unit, doubles, size, message):
    members = _cadres(unit, size)
    with NothingSaved(), pytest.raises(EntryRejected, match=message):
        _register(liaison, doubles, members)


def test_fixed_team_size_message(liaison, unit, meet):
    singles = CompetitionFactory(activity=meet, name="Singles")
    with NothingSaved(), pytest.raises(EntryRejected, match="A team of Singles has 1 member; you chose 2"):
        _register(liaison, singles, _cadres(unit, 2))


def test_entries_per_unit_is_enforced(liaison, unit, doubles):
    _register(liaison, doubles, _cadres(unit, 2))
    _register(liaison, doubles, _cadres(unit, 2))
    members = _cadres(unit, 2)
    with NothingSaved(), pytest.raises(EntryRejected, match="already has 2 teams in Doubles, the most allowed"):
        _register(liaison, doubles, members)


def test_a_full_competition_has_no_places_left(doubles):
    for _ in range(4):
        liaison = LiaisonFactory()
        _register(liaison, doubles, _cadres(liaison.unit, 2))
    late = LiaisonFactory()
    members = _cadres(late.unit, 2)
    with NothingSaved(), pytest.raises(NoPlacesLeft, match="No places left in Doubles: all 4 places are taken"):
        _register(late, doubles, members)


def test_the_place_constraint_backs_up_the_lock(liaison, unit, doubles, monkeypatch):
    _register(liaison, doubles, _cadres(unit, 2))
    members = _cadres(unit, 2)
    # As if two requests had both seen place 1 free: the database refuses the second holder.
    monkeypatch.setattr(team_services, "_lowest_free_place", lambda competition: 1)
    with NothingSaved(), pytest.raises(NoPlacesLeft, match="No places left"):
        _register(liaison, doubles, members)


def test_the_member_constraint_backs_up_the_check(liaison, unit, doubles, monkeypatch):
    first = _register(liaison, doubles, _cadres(unit, 2))
    taken = first.members.first().cadre
    other = _cadres(unit, 1)[0]
    monkeypatch.setattr(team_services, "entry_problems", lambda **kwargs: [])
    with NothingSaved(), pytest.raises(EntryRejected, match="a moment ago"):
        _register(liaison, doubles, [taken, other])


def test_a_member_of_another_unit_is_refused(liaison, unit, other_unit, doubles):
    mine = _cadres(unit, 1)[0]
    stranger = CadreFactory(unit=other_unit, name="Stranger")
    with NothingSaved(), pytest.raises(EntryRejected, match=f"Stranger is not an active cadre of {unit.name}"):
        _register(liaison, doubles, [mine, stranger])


def test_an_inactive_member_is_refused(liaison, unit, doubles):
    mine = _cadres(unit, 1)[0]
    gone = CadreFactory(unit=unit, name="Retired", is_active=False)
    with NothingSaved(), pytest.raises(EntryRejected, match="Retired is not an active cadre"):
        _register(liaison, doubles, [mine, gone])


def test_an_unknown_member_is_refused(liaison, unit, doubles):
    mine = _cadres(unit, 1)[0]
    with NothingSaved(), pytest.raises(EntryRejected, match="does not exist"):
        _register(liaison, doubles, [mine.pk, 987654])


@pytest.mark.parametrize(
    "rule, gender, message",
    [
        (Competition.GenderRule.MALE, "F", "Li cannot enter Doubles: it is for men only"),
        (Competition.GenderRule.FEMALE, "M", "Li cannot enter Doubles: it is for women only"),
    ],
)
def test_gender_rule(liaison, unit, doubles, rule, gender, message):
    Competition.objects.filter(pk=doubles.pk).update(gender_rule=rule)
    doubles.refresh_from_db()
    other_gender = "M" if gender == "F" else "F"
    members = [CadreFactory(unit=unit, gender=other_gender), CadreFactory(unit=unit, name="Li", gender=gender)]
    with NothingSaved(), pytest.raises(EntryRejected, match=message):
        _register(liaison, doubles, members)
    members[1].gender = other_gender
    members[1].save()
    assert _register(liaison, doubles, members).pk


def test_mixed_needs_a_man_and_a_woman(liaison, unit, doubles):
    Competition.objects.filter(pk=doubles.pk).update(gender_rule=Competition.GenderRule.MIXED)
    doubles.refresh_from_db()
    men = _cadres(unit, 2, gender="M")
    with NothingSaved(), pytest.raises(EntryRejected, match="Doubles is for mixed teams: choose at least one man"):
        _register(liaison, doubles, men)
    assert _register(liaison, doubles, [men[0], CadreFactory(unit=unit, gender="F")]).pk


@pytest.fixture
def youth_debate(meet):
    # The meet starts on 10 May 2030: ages are taken on that day.
    return CompetitionFactory(activity=meet, name="Youth debate", team_size_min=1, team_size_max=4, max_age=35)


def test_age_band_is_measured_on_the_first_day(liaison, unit, youth_debate):
    turned_36 = CadreFactory(unit=unit, name="Turned36", birth_date=date(1994, 5, 10))  # 36 on 10 May 2030
    turns_36_next_day = CadreFactory(unit=unit, name="Young", birth_date=date(1994, 5, 11))
    with (
        NothingSaved(),
        pytest.raises(
            EntryRejected, match="Turned36 is 36 on the first day, and Youth debate is for cadres aged 35 and under"
        ),
    ):
        _register(liaison, youth_debate, [turned_36, turns_36_next_day])
    assert _register(liaison, youth_debate, [turns_36_next_day]).pk


def test_minimum_age_and_band(liaison, unit, youth_debate):
    Competition.objects.filter(pk=youth_debate.pk).update(min_age=25)
    youth_debate.refresh_from_db()
    kid = CadreFactory(unit=unit, name="Kid", birth_date=date(2010, 1, 1))
    with NothingSaved(), pytest.raises(EntryRejected, match="Kid is 20 on the first day.*aged 25 to 35"):
        _register(liaison, youth_debate, [kid])


def test_no_birth_date_is_ineligible_when_an_age_rule_exists(liaison, unit, youth_debate, doubles):
    unknown = CadreFactory(unit=unit, name="Unknown", birth_date=None)
    with NothingSaved(), pytest.raises(EntryRejected, match="Unknown has no birth date on record.*aged 35 and under"):
        _register(liaison, youth_debate, [unknown])
    # Without an age rule the birth date does not matter.
    assert _register(liaison, doubles, [unknown, _cadres(unit, 1)[0]]).pk


def test_age_on_handles_birthdays():
    assert age_on(date(1990, 5, 10), date(2030, 5, 9)) == 39
    assert age_on(date(1990, 5, 10), date(2030, 5, 10)) == 40
    assert age_on(date(2000, 2, 29), date(2030, 2, 28)) == 29
    assert age_on(date(2000, 2, 29), date(2030, 3, 1)) == 30


def test_a_cadre_is_in_one_team_per_competition(liaison, unit, doubles):
    first = _register(liaison, doubles, _cadres(unit, 2), name="Alpha")
    taken = first.members.first().cadre
    members = [taken, _cadres(unit, 1)[0]]
    with NothingSaved(), pytest.raises(EntryRejected, match=f"{taken.name} is already in team Alpha of Doubles"):
        _register(liaison, doubles, members)


def test_events_per_athlete_limit_across_the_meet(liaison, unit, meet):
    meet.max_events_per_athlete = 2
    meet.save()
    events = [CompetitionFactory(activity=meet, name=f"Event {i}") for i in range(4)]
    star = CadreFactory(unit=unit, name="Star")
    first = _register(liaison, events[0], [star])
    _register(liaison, events[1], [star])
    with (
        NothingSaved(),
        pytest.raises(
            EntryRejected, match="Star is already entered in 2 events of Sports meet; the limit is 2 per athlete"
        ),
    ):
        _register(liaison, events[2], [star])
    # A withdrawn team no longer counts; another meet does not count either.
    team_withdraw(actor=liaison.user, team=first)
    assert _register(liaison, events[2], [star]).pk
    elsewhere = CompetitionFactory(name="Elsewhere")
    assert _register(liaison, elsewhere, [star]).pk


def test_a_team_name_is_unique_among_active_teams(liaison, unit, doubles):
    _register(liaison, doubles, _cadres(unit, 2), name="Tigers")
    members = _cadres(unit, 2)
    with NothingSaved(), pytest.raises(EntryRejected, match="A team named Tigers is already entered in Doubles"):
        _register(liaison, doubles, members, name="Tigers")


def test_a_too_long_name_is_refused(liaison, unit, doubles):
    members = _cadres(unit, 2)
    with NothingSaved(), pytest.raises(EntryRejected, match="at most 80 characters"):
        _register(liaison, doubles, members, name="x" * 81)


def test_every_broken_rule_is_reported_at_once(liaison, unit, other_unit, youth_debate):
    Competition.objects.filter(pk=youth_debate.pk).update(gender_rule=Competition.GenderRule.FEMALE)
    youth_debate.refresh_from_db()
    members = [
        CadreFactory(unit=unit, name="Man", gender="M", birth_date=date(2000, 1, 1)),
        CadreFactory(unit=unit, name="Old", gender="F", birth_date=date(1960, 1, 1)),
        CadreFactory(unit=other_unit, name="Outsider", gender="F", birth_date=date(2000, 1, 1)),
    ]
    with NothingSaved(), pytest.raises(EntryRejected) as error:
        _register(liaison, youth_debate, members)
    text = " | ".join(error.value.messages)
    assert len(error.value.messages) == 3, text
    assert "Man cannot enter" in text and "Old is 70" in text and "Outsider is not an active cadre" in text


# ---------------------------------------------------------------------------------------------------------
# Changing and withdrawing a team
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def team(liaison, unit, doubles):
    return _register(liaison, doubles, _cadres(unit, 2), name="Alpha")


def test_update_members_before_the_deadline(liaison, unit, team):
    old = list(team.members.order_by("id").values_list("cadre__name", flat=True))
    keep = team.members.order_by("id").first().cadre
    newcomers = _cadres(unit, 2)
    team_update_members(actor=liaison.user, team=team, members=[keep, *newcomers], name="Beta")
    team.refresh_from_db()
    assert team.name == "Beta"
    assert set(team.members.values_list("cadre_id", flat=True)) == {keep.pk, *(c.pk for c in newcomers)}
    entry = AuditEntry.objects.get(action="team.update")
    assert entry.changes["name"] == ["Alpha", "Beta"]
    assert [m["name"] for m in entry.changes["members"][0]] == old
    assert len(entry.changes["members"][1]) == 3


def test_update_with_the_same_members_writes_nothing(liaison, team):
    members = [m.cadre for m in team.members.all()]
    with NothingSaved():
        team_update_members(actor=liaison.user, team=team, members=members, name=team.name)


def test_update_refuses_broken_rules_and_keeps_the_team(liaison, unit, other_unit, team, doubles):
    keep = team.members.first().cadre
    stranger = CadreFactory(unit=other_unit, name="Stranger")
    with NothingSaved(), pytest.raises(EntryRejected, match="Stranger is not an active cadre"):
        team_update_members(actor=liaison.user, team=team, members=[keep, stranger], name="Renamed")
    with NothingSaved(), pytest.raises(EntryRejected, match="you chose 1"):
        team_update_members(actor=liaison.user, team=team, members=[keep])
    other_team = _register(liaison, doubles, _cadres(unit, 2), name="Other")
    borrowed = other_team.members.first().cadre
    with NothingSaved(), pytest.raises(EntryRejected, match="already in team Other"):
        team_update_members(actor=liaison.user, team=team, members=[keep, borrowed])
    with NothingSaved(), pytest.raises(EntryRejected, match="A team named Other is already entered"):
        team_update_members(actor=liaison.user, team=team, members=[keep], name="Other")


def test_update_after_the_deadline_points_to_substitution(liaison, team, doubles):
    Competition.objects.filter(pk=doubles.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    members = [m.cadre for m in team.members.all()]
    with NothingSaved(), pytest.raises(RegistrationClosed, match="ask for a substitution"):
        team_update_members(actor=liaison.user, team=team, members=members[:1])


def test_update_by_another_units_liaison_is_refused(other_liaison, team):
    members = [m.cadre for m in team.members.all()]
    with NothingSaved(), pytest.raises(NotPermitted):
        team_update_members(actor=other_liaison.user, team=team, members=members)
    with NothingSaved(), pytest.raises(NotPermitted):
        team_withdraw(actor=other_liaison.user, team=team)


def test_withdraw_frees_the_place_and_the_members(liaison, unit, team, doubles):
    members = [m.cadre for m in team.members.all()]
    team_withdraw(actor=liaison.user, team=team)
    team.refresh_from_db()
    assert team.status == Team.Status.WITHDRAWN
    assert not TeamMember.objects.filter(team=team).exists()
    entry = AuditEntry.objects.get(action="team.withdraw")
    assert {m["id"] for m in entry.changes["members"][0]} == {c.pk for c in members}
    assert entry.changes["status"] == ["active", "withdrawn"]
    again = _register(liaison, doubles, members, name="Alpha")
    assert again.place_no == 1
    with NothingSaved(), pytest.raises(PortalError, match="Team Alpha has been withdrawn"):
        team_withdraw(actor=liaison.user, team=team)


def test_withdraw_after_the_deadline_is_for_staff_only(liaison, staff_user, team, doubles):
    Competition.objects.filter(pk=doubles.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    with NothingSaved(), pytest.raises(RegistrationClosed, match="Ask the committee to withdraw the team"):
        team_withdraw(actor=liaison.user, team=team)
    team_withdraw(actor=staff_user, team=team)
    assert Team.objects.get(pk=team.pk).status == Team.Status.WITHDRAWN


def test_nobody_withdraws_after_the_draw(liaison, staff_user, team, doubles):
    Competition.objects.filter(pk=doubles.pk).update(entries_locked_at=timezone.now())
    for actor in (liaison.user, staff_user):
        with NothingSaved(), pytest.raises(RegistrationClosed, match="locked"):
            team_withdraw(actor=actor, team=team)


# ---------------------------------------------------------------------------------------------------------
# Substitutions
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def after_deadline(team, doubles):
    Competition.objects.filter(pk=doubles.pk).update(registration_deadline=timezone.now() - timedelta(hours=1))
    return team


def _request(liaison, team, outgoing, incoming, reason="Injured"):
    return substitution_request(actor=liaison.user, team=team, outgoing=outgoing, incoming=incoming, reason=reason)


def test_substitution_request_then_approval_swaps_the_member(liaison, unit, staff_user, after_deadline):
    team = after_deadline
    outgoing = team.members.first().cadre
    incoming = CadreFactory(unit=unit, name="Fresh")
    substitution = _request(liaison, team, outgoing, incoming)
    assert substitution.status == Substitution.Status.PENDING
    assert substitution.requested_by == liaison.user
    assert AuditEntry.objects.get(action="substitution.request").changes["incoming"][1]["name"] == "Fresh"
    # Nothing changes in the team until staff approve.
    assert team.members.filter(cadre=outgoing).exists()
    substitution_decide(actor=staff_user, substitution=substitution, approve=True)
    substitution.refresh_from_db()
    assert substitution.status == Substitution.Status.APPROVED
    assert substitution.decided_by == staff_user and substitution.decided_at
    assert not team.members.filter(cadre=outgoing).exists()
    assert team.members.filter(cadre=incoming).exists()
    entry = AuditEntry.objects.get(action="substitution.approve")
    assert entry.changes["status"] == ["pending", "approved"]
    assert "Fresh" in [m["name"] for m in entry.changes["members"][1]]


def test_substitution_rejection_leaves_the_team(liaison, unit, staff_user, after_deadline):
    team = after_deadline
    before = set(team.members.values_list("cadre_id", flat=True))
    substitution = _request(liaison, team, team.members.first().cadre, CadreFactory(unit=unit))
    substitution_decide(actor=staff_user, substitution=substitution, approve=False)
    assert Substitution.objects.get().status == Substitution.Status.REJECTED
    assert set(team.members.values_list("cadre_id", flat=True)) == before
    with NothingSaved(), pytest.raises(PortalError, match="already been decided"):
        substitution_decide(actor=staff_user, substitution=substitution, approve=True)


def test_only_staff_decide_substitutions(liaison, unit, after_deadline):
    substitution = _request(liaison, after_deadline, after_deadline.members.first().cadre, CadreFactory(unit=unit))
    with NothingSaved(), pytest.raises(NotPermitted, match="Only committee staff"):
        substitution_decide(actor=liaison.user, substitution=substitution, approve=True)


def test_substitution_before_the_deadline_is_refused(liaison, unit, team):
    with NothingSaved(), pytest.raises(PortalError, match="still open: change the team's members directly"):
        _request(liaison, team, team.members.first().cadre, CadreFactory(unit=unit))


def test_substitution_request_rules(liaison, unit, other_unit, doubles, after_deadline):
    team = after_deadline
    member = team.members.first().cadre
    outsider = CadreFactory(unit=unit, name="Outsider")
    stranger = CadreFactory(unit=other_unit, name="Stranger")
    cases = [
        ((outsider, CadreFactory(unit=unit)), "Outsider is not in team Alpha"),
        ((member, team.members.last().cadre), "is already in team Alpha"),
        ((member, stranger), "Stranger is not an active cadre"),
    ]
    for (outgoing, incoming), message in cases:
        with NothingSaved(), pytest.raises(EntryRejected, match=message):
            _request(liaison, team, outgoing, incoming)
    with NothingSaved(), pytest.raises(EntryRejected, match="Give a reason"):
        _request(liaison, team, member, outsider, reason="  ")
    Competition.objects.filter(pk=doubles.pk).update(gender_rule=Competition.GenderRule.MALE)
    woman = CadreFactory(unit=unit, name="Woman", gender="F")
    with NothingSaved(), pytest.raises(EntryRejected, match="Woman cannot enter Doubles: it is for men only"):
        _request(liaison, team, member, woman)
    _request(liaison, team, member, outsider)
    with NothingSaved(), pytest.raises(EntryRejected, match="already waiting for approval"):
        _request(liaison, team, member, CadreFactory(unit=unit))


def test_substitution_for_a_finished_activity_is_refused(liaison, unit, meet, after_deadline):
    Activity.objects.filter(pk=meet.pk).update(status=Activity.Status.FINISHED)
    with NothingSaved(), pytest.raises(PortalError, match="Sports meet is over"):
        _request(liaison, after_deadline, after_deadline.members.first().cadre, CadreFactory(unit=unit))


def test_substitution_approval_rechecks_the_rules(liaison, unit, staff_user, doubles, after_deadline):
    incoming = CadreFactory(unit=unit, name="Busy")
    substitution = _request(liaison, after_deadline, after_deadline.members.first().cadre, incoming)
    # Meanwhile staff put the incoming cadre into another team of the same event.
    other = TeamFactory(competition=doubles, unit=unit, name="Other", place_no=3, members=[incoming])
    with NothingSaved(), pytest.raises(EntryRejected, match="Busy is already in team Other"):
        substitution_decide(actor=staff_user, substitution=substitution, approve=True)
    assert Substitution.objects.get().status == Substitution.Status.PENDING
    assert other.members.count() == 1


def test_withdrawing_a_team_rejects_its_pending_substitutions(liaison, unit, staff_user, after_deadline):
    _request(liaison, after_deadline, after_deadline.members.first().cadre, CadreFactory(unit=unit))
    team_withdraw(actor=staff_user, team=after_deadline)
    substitution = Substitution.objects.get()
    assert substitution.status == Substitution.Status.REJECTED
    assert substitution.decided_by == staff_user

import pytest
from django.db import IntegrityError, transaction

from activities.models import Team, TeamMember
from tests.activities.factories import CompetitionFactory, MatchFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_a_cadre_is_in_at_most_one_team_per_competition():
    competition = CompetitionFactory()
    team = TeamFactory(competition=competition)
    other = TeamFactory(competition=competition, members=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMember.objects.create(team=other, competition=competition, cadre=team.members.get().cadre)


def test_two_active_teams_cannot_hold_the_same_place():
    competition = CompetitionFactory()
    TeamFactory(competition=competition, place_no=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(competition=competition, place_no=1)
    withdrawn = Team.objects.get(competition=competition, place_no=1)
    withdrawn.status = Team.Status.WITHDRAWN
    withdrawn.save()
    assert TeamFactory(competition=competition, place_no=1).place_no == 1


def test_a_match_has_two_different_teams():
    match = MatchFactory()
    match.away = match.home
    with pytest.raises(IntegrityError), transaction.atomic():
        match.save()

"""factory_boy factories for activities and competitions."""

from datetime import timedelta

import factory
from django.utils import timezone

from activities.models import Activity, Competition, Match, Team, TeamMember
from tests.factories import CadreFactory, UnitFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    title = factory.Sequence(lambda n: f"第{n}届机关运动会")
    kind = Activity.Kind.SPORT
    status = Activity.Status.PUBLISHED
    venue = "市体育中心"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=2))
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    registration_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    organiser = "市直机关工委"


class CompetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competition

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Sequence(lambda n: f"男子乒乓球单打{n}")
    discipline = "乒乓球"
    format = Competition.Format.ROUND_ROBIN
    team_size_min = 1
    team_size_max = 1
    entries_per_unit = 1
    registration_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class TeamFactory(factory.django.DjangoModelFactory):
    """A team with `members` cadres of its unit (default: the competition's minimum team size)."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    competition = factory.SubFactory(CompetitionFactory)
    unit = factory.SubFactory(UnitFactory)
    name = factory.LazyAttribute(lambda o: f"{o.unit.name}队{o.place_no}")
    place_no = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if not create:
            return
        count = self.competition.team_size_min if extracted is None else extracted
        cadres = CadreFactory.create_batch(count, unit=self.unit) if isinstance(count, int) else list(count)
        TeamMember.objects.bulk_create(
            [TeamMember(team=self, competition=self.competition, cadre=cadre) for cadre in cadres]
        )


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    competition = factory.SubFactory(CompetitionFactory)
    stage = Match.Stage.LEAGUE
    round_no = 1
    slot = factory.Sequence(lambda n: n)
    home = factory.SubFactory(TeamFactory, competition=factory.SelfAttribute("..competition"))
    away = factory.SubFactory(TeamFactory, competition=factory.SelfAttribute("..competition"))

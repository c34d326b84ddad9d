"""Events and competitions: activities, individual sign-ups, competitions with unit teams, matches, results.

An Activity is any event the committee runs. Cadres sign up to it individually (Registration) when it is open
to individuals. A multi-event activity (a sports meet, the ball-game season's tournaments, a debate contest)
holds Competitions; units enter Teams of their cadres into those; the draw creates Matches (round robin,
knockout, groups then knockout) or, for ranked and judged events, each team gets a RankedResult or
JudgeScores. Final places are stored as Placings, from which the medal table and unit points are summed.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Cadre, Unit

DEFAULT_POINTS_BY_PLACE = [7, 5, 4, 3, 2, 1]


def default_points_by_place():
    return list(DEFAULT_POINTS_BY_PLACE)


def default_tiebreakers():
    return ["head_to_head", "score_difference", "score_for"]


class Activity(models.Model):
    class Kind(models.TextChoices):
        SPORT = "sport", _("Sport")
        DEBATE = "debate", _("Debate")
        CULTURE = "culture", _("Culture")
        READING = "reading", _("Reading")
        VOLUNTEERING = "volunteering", _("Volunteering")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Registration closed")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    # Statuses the public sees; drafts stay with the staff.
    PUBLIC_STATUSES = (Status.PUBLISHED, Status.CLOSED, Status.FINISHED, Status.CANCELLED)

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SPORT)
    description = models.TextField(_("description"), blank=True)
    poster = models.ImageField(_("poster"), upload_to="posters/%Y/%m/", blank=True)
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    registration_opens_at = models.DateTimeField(_("registration opens at"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes at"), null=True, blank=True)
    organiser = models.CharField(_("organiser"), max_length=120, blank=True)
    organiser_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("organising unit")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    open_to_individuals = models.BooleanField(
        _("open to individual sign-up"), default=False, help_text=_("Cadres sign up themselves, e.g. a lecture.")
    )
    capacity = models.PositiveIntegerField(
        _("places for individuals"), null=True, blank=True, help_text=_("Empty means no limit.")
    )
    has_medal_table = models.BooleanField(
        _("multi-event meet"), default=False, help_text=_("Show a medal table and unit points across its events.")
    )
    points_by_place = models.JSONField(
        _("team points by place"),
        default=default_points_by_place,
        blank=True,
        help_text=_("Points for places 1, 2, 3...; e.g. [7, 5, 4, 3, 2, 1]."),
    )
    max_events_per_athlete = models.PositiveIntegerField(
        _("events per athlete"), null=True, blank=True, help_text=_("Across this meet; empty means no limit.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"]), models.Index(fields=["kind", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="activity_ends_after_start"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The end cannot be before the start.")
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at < self.registration_opens_at
        ):
            errors["registration_closes_at"] = _("Registration cannot close before it opens.")
        points = self.points_by_place
        if not isinstance(points, list) or not all(
            isinstance(p, int | float) and not isinstance(p, bool) and p >= 0 for p in points
        ):
            errors["points_by_place"] = _("Give a list of non-negative numbers, e.g. [7, 5, 4, 3, 2, 1].")
        if errors:
            raise ValidationError(errors)

    def is_over(self, now) -> bool:
        """Finished, called off, or past its end: its teams and sign-ups are history and no longer change."""
        return self.status in (self.Status.FINISHED, self.Status.CANCELLED) or self.ends_at < now

    def registration_is_open(self, now) -> bool:
        if self.status != self.Status.PUBLISHED:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return not (self.registration_closes_at and now > self.registration_closes_at)


class Registration(models.Model):
    """A cadre's individual sign-up to an activity; past capacity it waits in line."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("activity")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.CASCADE, related_name="activity_registrations", verbose_name=_("cadre")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("individual registration")
        verbose_name_plural = _("individual registrations")
        ordering = ["created_at", "id"]
        constraints = [
            # One live sign-up per cadre and activity; cancelled rows stay as history.
            models.UniqueConstraint(
                fields=["activity", "cadre"],
                condition=~Q(status="cancelled"),
                name="registration_one_live_per_cadre",
            ),
        ]
        indexes = [models.Index(fields=["activity", "status", "created_at"])]

    def __str__(self):
        return f"{self.cadre} → {self.activity}"


class Competition(models.Model):
    """One event inside an activity: men's table-tennis singles, women's 100 m, the debate final..."""

    class Format(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        KNOCKOUT = "knockout", _("Single-elimination knockout")
        GROUPS_KNOCKOUT = "groups_knockout", _("Groups, then knockout")
        RANKED = "ranked", _("Ranked (times, distances, scores)")
        JUDGED = "judged", _("Judged by a panel")

    class GenderRule(models.TextChoices):
        ANY = "any", _("Open to all")
        MALE = "M", _("Men only")
        FEMALE = "F", _("Women only")
        MIXED = "mixed", _("Mixed: at least one man and one woman")

    class Ordering(models.TextChoices):
        LOWER_IS_BETTER = "asc", _("Lower is better (times)")
        HIGHER_IS_BETTER = "desc", _("Higher is better (distances, scores)")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="competitions", verbose_name=_("activity")
    )
    name = models.CharField(_("name"), max_length=120)
    discipline = models.CharField(_("discipline"), max_length=60, blank=True, help_text=_("e.g. table tennis"))
    format = models.CharField(_("format"), max_length=20, choices=Format.choices, default=Format.ROUND_ROBIN)
    gender_rule = models.CharField(_("gender rule"), max_length=8, choices=GenderRule.choices, default=GenderRule.ANY)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, help_text=_("e.g. 35 for the youth debate; age on the first day.")
    )
    team_size_min = models.PositiveSmallIntegerField(_("minimum team size"), default=1)
    team_size_max = models.PositiveSmallIntegerField(_("maximum team size"), default=1)
    entries_per_unit = models.PositiveSmallIntegerField(_("entries per unit"), default=1)
    capacity = models.PositiveIntegerField(
        _("places (teams)"), null=True, blank=True, help_text=_("Empty means no limit.")
    )
    registration_deadline = models.DateTimeField(_("registration deadline"))
    entries_locked_at = models.DateTimeField(
        _("entries locked at"), null=True, blank=True, help_text=_("Set when the draw is made.")
    )
    group_count = models.PositiveSmallIntegerField(_("groups"), default=0, blank=True)
    advance_per_group = models.PositiveSmallIntegerField(_("teams advancing per group"), default=2)
    third_place_match = models.BooleanField(_("third-place match"), default=False)
    points_win = models.PositiveSmallIntegerField(_("points for a win"), default=2)
    points_draw = models.PositiveSmallIntegerField(_("points for a draw"), default=1)
    points_loss = models.PositiveSmallIntegerField(_("points for a loss"), default=1)
    tiebreakers = models.JSONField(_("tie-breakers"), default=default_tiebreakers, blank=True)
    result_ordering = models.CharField(
        _("result ordering"), max_length=4, choices=Ordering.choices, default=Ordering.HIGHER_IS_BETTER
    )
    result_label = models.CharField(_("result unit"), max_length=20, blank=True, help_text=_("e.g. seconds, metres"))
    drop_extreme_scores = models.BooleanField(_("drop the highest and lowest score"), default=False)
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    results_published = models.BooleanField(_("results published"), default=False)
    referees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="refereed_competitions", verbose_name=_("referees")
    )
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        ordering = ["activity", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size_max__gte=F("team_size_min")), name="competition_team_size_range"
            ),
            models.CheckConstraint(condition=Q(team_size_min__gte=1), name="competition_team_size_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def entries_locked(self) -> bool:
        return self.entries_locked_at is not None

    @property
    def uses_matches(self) -> bool:
        return self.format in {self.Format.ROUND_ROBIN, self.Format.KNOCKOUT, self.Format.GROUPS_KNOCKOUT}

    def clean(self):
        errors = {}
        if self.team_size_min and self.team_size_max and self.team_size_max < self.team_size_min:
            errors["team_size_max"] = _("The maximum team size cannot be below the minimum.")
        if self.min_age and self.max_age and self.max_age < self.min_age:
            errors["max_age"] = _("The maximum age cannot be below the minimum age.")
        if self.format == self.Format.GROUPS_KNOCKOUT and self.group_count < 2:
            errors["group_count"] = _("Groups then knockout needs at least two groups.")
        if errors:
            raise ValidationError(errors)


class Team(models.Model):
    """A unit's entry in a competition: one cadre (singles), a pair, or a squad."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Entered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="teams", verbose_name=_("competition")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="teams", verbose_name=_("unit"))
    name = models.CharField(_("team name"), max_length=80)
    # The place this team holds in the competition (1..capacity); unique among active teams, so even a
    # registration that slipped past the row lock could not take a place twice.
    place_no = models.PositiveIntegerField(_("entry number"))
    seed = models.PositiveSmallIntegerField(_("seed"), null=True, blank=True)
    group = models.CharField(_("group"), max_length=4, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["competition", "seed", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "name"], condition=Q(status="active"), name="team_unique_active_name"
            ),
            models.UniqueConstraint(
                fields=["competition", "place_no"], condition=Q(status="active"), name="team_unique_active_place"
            ),
        ]
        indexes = [models.Index(fields=["competition", "unit", "status"])]

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    """A cadre in a team; `competition` is repeated here so the database can hold one team per cadre."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("team"))
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="team_memberships", verbose_name=_("cadre"))
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "cadre"], name="team_member_one_team_per_competition"),
        ]

    def __str__(self):
        return f"{self.cadre.name} ({self.team})"


class Substitution(models.Model):
    """A change of team member after the deadline: it needs a staff member's approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="substitutions", verbose_name=_("team"))
    outgoing = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="+", verbose_name=_("cadre leaving the team")
    )
    incoming = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="+", verbose_name=_("cadre joining the team")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("substitution")
        verbose_name_plural = _("substitutions")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.team}: {self.outgoing.name} → {self.incoming.name}"


class Match(models.Model):
    """A fixture between two teams; knockout matches know where their winner (and loser) go next."""

    class Stage(models.TextChoices):
        GROUP = "group", _("Group stage")
        LEAGUE = "league", _("League")
        KNOCKOUT = "knockout", _("Knockout")
        THIRD_PLACE = "third_place", _("Third-place match")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PLAYED = "played", _("Played")
        WALKOVER = "walkover", _("Walkover")
        BYE = "bye", _("Bye")
        CANCELLED = "cancelled", _("Cancelled")

    class Side(models.TextChoices):
        HOME = "home", _("Home")
        AWAY = "away", _("Away")

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="matches", verbose_name=_("competition")
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    group = models.CharField(_("group"), max_length=4, blank=True)
    round_no = models.PositiveSmallIntegerField(_("round"))
    slot = models.PositiveSmallIntegerField(_("position in round"), default=0)
    home = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="home_matches", verbose_name=_("home")
    )
    away = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="away_matches", verbose_name=_("away")
    )
    scheduled_at = models.DateTimeField(_("time"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    court = models.CharField(_("court / table"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    home_score = models.PositiveSmallIntegerField(_("home score"), null=True, blank=True)
    away_score = models.PositiveSmallIntegerField(_("away score"), null=True, blank=True)
    detail = models.JSONField(
        _("score detail"), default=dict, blank=True, help_text=_('Sets or games, e.g. {"sets": [[11, 7], [9, 11]]}')
    )
    winner = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="won_matches", verbose_name=_("winner")
    )
    next_match = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("winner goes to")
    )
    next_side = models.CharField(max_length=4, choices=Side.choices, blank=True)
    loser_next_match = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("loser goes to")
    )
    loser_next_side = models.CharField(max_length=4, choices=Side.choices, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["competition", "stage", "round_no", "slot", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "stage", "group", "round_no", "slot"], name="match_unique_slot"
            ),
            models.CheckConstraint(
                condition=Q(home__isnull=True) | Q(away__isnull=True) | ~Q(home=F("away")), name="match_distinct_teams"
            ),
        ]
        indexes = [
            models.Index(fields=["scheduled_at"]),
            models.Index(fields=["competition", "status"]),
            # The public competition pages key their cache on the latest match change.
            models.Index(fields=["competition", "updated_at"], name="match_competition_updated"),
        ]

    def __str__(self):
        home = self.home.name if self.home_id else _("to be decided")
        away = self.away.name if self.away_id else _("to be decided")
        return f"{home} – {away}"


class RankedResult(models.Model):
    """One team's result in a ranked event: a time, a distance, a score."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="ranked_result", verbose_name=_("team"))
    value = models.DecimalField(
        _("result"), max_digits=10, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    note = models.CharField(_("note"), max_length=60, blank=True, help_text=_("e.g. did not finish"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ranked result")
        verbose_name_plural = _("ranked results")

    def __str__(self):
        return f"{self.team}: {self.value}"


class JudgeScore(models.Model):
    """One judge's score for one team in a judged event (debate, chorus, speech)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="judge_scores", verbose_name=_("team"))
    judge = models.CharField(_("judge"), max_length=60)
    score = models.DecimalField(
        _("score"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("judge's score")
        verbose_name_plural = _("judges' scores")
        ordering = ["team", "judge"]
        constraints = [models.UniqueConstraint(fields=["team", "judge"], name="judge_score_one_per_judge")]

    def __str__(self):
        return f"{self.team} · {self.judge}: {self.score}"


class Placing(models.Model):
    """A team's final place in a competition, stored when results are computed; medals and points sum these."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="placings")
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="placing")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="placings")
    place = models.PositiveSmallIntegerField(_("place"))
    points = models.DecimalField(_("team points"), max_digits=6, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("placing")
        verbose_name_plural = _("placings")
        ordering = ["competition", "place", "team_id"]
        indexes = [models.Index(fields=["unit", "place"])]

    def __str__(self):
        return f"{self.competition}: {self.place}. {self.team}"

    @property
    def medal(self) -> str:
        return {1: "gold", 2: "silver", 3: "bronze"}.get(self.place, "")


class OrganisationAward(models.Model):
    """An award to a unit for a whole activity: outstanding organisation, contribution..."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("Outstanding organisation award")
        CONTRIBUTION = "contribution", _("Contribution award")
        SPORTSMANSHIP = "sportsmanship", _("Sportsmanship award")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="organisation_awards", verbose_name=_("activity")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="organisation_awards", verbose_name=_("unit"))
    kind = models.CharField(_("award"), max_length=20, choices=Kind.choices, default=Kind.ORGANISATION)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("organisation award")
        verbose_name_plural = _("organisation awards")
        ordering = ["activity", "kind", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["activity", "unit", "kind"], name="award_once_per_unit")]

    def __str__(self):
        return f"{self.unit}: {self.get_kind_display()}"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The private token behind a cadre's iCalendar feed; regenerating it revokes old subscriptions."""

    cadre = models.OneToOneField(Cadre, on_delete=models.CASCADE, related_name="calendar_token")
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")

    def __str__(self):
        return f"{self.cadre}"

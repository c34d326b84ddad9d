"""Forms behind the committee staff's admin: the activity's poster, and results that go through the services.

Result forms call the results services while they validate, inside a savepoint, so that a broken rule shows on
the form as an error (never a 500) and leaves nothing half-saved; the admin then only logs the change.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError

from ..models import Activity, Competition, JudgeScore, Match, RankedResult, Team
from ..services.activities import PosterError, poster_process
from ..services.competitions import DRAW_FIELDS, SETTINGS_FIELDS, competition_is_drawn
from ..services.fixtures import matches_schedule
from ..services.results import (
    MAX_SCORE,
    judge_score_record,
    match_clear_result,
    match_record_result,
    ranked_result_record,
)
from .results import format_sets, parse_sets

DECIDED = (Match.Status.PLAYED, Match.Status.WALKOVER)


class ActivityAdminForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "title",
            "kind",
            "status",
            "description",
            "poster",
            "venue",
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "organiser",
            "organiser_unit",
            "open_to_individuals",
            "capacity",
            "has_medal_table",
            "points_by_place",
            "max_events_per_athlete",
        ]
        widgets = {"points_by_place": forms.TextInput(attrs={"size": 30})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # Calling an activity off has consequences (its matches are cancelled too): the "Cancel" action does it.
            self.fields["status"].choices = [
                choice for choice in self.fields["status"].choices if choice[0] != Activity.Status.CANCELLED
            ]

    def clean_poster(self):
        """A new upload is checked and resized here (services.activities.poster_process); a kept poster passes."""
        poster = self.cleaned_data.get("poster")
        if isinstance(poster, UploadedFile):
            try:
                return poster_process(poster).content
            except PosterError as error:
                raise ValidationError(str(error)) from error
        return poster


class ActivityPointsForm(forms.ModelForm):
    """The team points by place of a meet, changed through activity_update_points (which recomputes placings)."""

    class Meta:
        model = Activity
        fields = ["points_by_place"]
        widgets = {"points_by_place": forms.TextInput(attrs={"size": 30})}


class CompetitionSettingsForm(forms.ModelForm):
    """A competition's settings, changed through competition_update_settings; once the draw is made, what the
    draw depends on is shown disabled (the service would refuse it anyway)."""

    class Meta:
        model = Competition
        fields = list(SETTINGS_FIELDS)
        widgets = {"tiebreakers": forms.TextInput(attrs={"size": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drawn = self.instance.pk is not None and competition_is_drawn(self.instance)
        if self.drawn:
            for name in DRAW_FIELDS:
                self.fields[name].disabled = True

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if not self.fields[name].disabled}


class ServiceFormMixin:
    """The admin sets `actor`; the form runs its service in clean() and keeps what it saved in `saved`."""

    actor = None
    saved = None
    handled = False
    warnings = ()

    def run_service(self, call):
        try:
            with transaction.atomic():
                result = call()
        except PortalError as error:
            raise ValidationError(str(error)) from error
        self.handled = True
        return result

    def _post_clean(self):
        # The service has validated (model rules included) and saved: checking the model again would only find
        # the row it just wrote, e.g. "a score by this judge for this team exists".
        if self.handled:
            if self.saved is not None:
                self.instance = self.saved
            return
        super()._post_clean()


class MatchAdminForm(ServiceFormMixin, forms.ModelForm):
    """Time and place, plus the result: saved through matches_schedule and match_record_result."""

    home_score = forms.IntegerField(label=_("home score"), min_value=0, max_value=MAX_SCORE, required=False)
    away_score = forms.IntegerField(label=_("away score"), min_value=0, max_value=MAX_SCORE, required=False)
    sets = forms.CharField(
        label=_("Set scores"), required=False, max_length=200, help_text=_("Home team first, e.g. 11:7, 9:11, 11:5")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    walkover = forms.ChoiceField(
        label=_("Walkover"),
        required=False,
        choices=[("", "—"), ("home", _("Home team wins by walkover")), ("away", _("Away team wins by walkover"))],
    )

    class Meta:
        model = Match
        fields = ["scheduled_at", "venue", "court"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        match = self.instance
        if match.pk and match.status in DECIDED:
            self.initial.update(
                home_score=match.home_score,
                away_score=match.away_score,
                sets=format_sets(match.detail.get("sets")),
                note=match.detail.get("note", ""),
                walkover=("home" if match.winner_id == match.home_id else "away")
                if match.status == Match.Status.WALKOVER
                else "",
            )

    def clean_sets(self):
        return parse_sets(self.cleaned_data.get("sets", ""))

    def _result_requested(self, data) -> bool:
        return data.get("home_score") is not None or data.get("away_score") is not None or bool(data.get("walkover"))

    def clean(self):
        data = super().clean()
        if self.errors or not self.instance.pk:
            return data
        match = self.instance
        schedule_changed = any(field in self.changed_data for field in ("scheduled_at", "venue", "court"))
        result_changed = any(
            field in self.changed_data for field in ("home_score", "away_score", "sets", "note", "walkover")
        )

        def call():
            warnings = []
            if schedule_changed:
                warnings = matches_schedule(
                    actor=self.actor,
                    match=match,
                    scheduled_at=data.get("scheduled_at"),
                    venue=data.get("venue", ""),
                    court=data.get("court", ""),
                )
            if result_changed and self._result_requested(data):
                detail = {k: v for k, v in (("sets", data.get("sets")), ("note", data.get("note"))) if v}
                walkover = {"home": match.home_id, "away": match.away_id}.get(data.get("walkover"))
                match_record_result(
                    actor=self.actor,
                    match=match,
                    home_score=data.get("home_score"),
                    away_score=data.get("away_score"),
                    detail=detail,
                    walkover_winner=walkover,
                )
            elif result_changed and match.status in DECIDED:
                match_clear_result(actor=self.actor, match=match)
            return warnings

        if schedule_changed or result_changed:
            self.warnings = self.run_service(call)
        return data


class TeamResultAdminForm(ServiceFormMixin, forms.ModelForm):
    """A result per team of a ranked or judged competition; only teams of that format can be chosen."""

    team_format = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.filter(competition__format=self.team_format).select_related(
                "competition"
            )

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.saved = self.run_service(lambda: self.record(data, data.get("team") or self.instance.team))
        return data


class RankedResultAdminForm(TeamResultAdminForm):
    team_format = Competition.Format.RANKED

    class Meta:
        model = RankedResult
        fields = ["team", "value", "note"]

    def record(self, data, team):
        return ranked_result_record(actor=self.actor, team=team, value=data.get("value"), note=data.get("note"))


class JudgeScoreAdminForm(TeamResultAdminForm):
    team_format = Competition.Format.JUDGED

    class Meta:
        model = JudgeScore
        fields = ["team", "judge", "score"]

    def record(self, data, team):
        judge = data.get("judge") or self.instance.judge
        return judge_score_record(actor=self.actor, team=team, judge=judge, score=data.get("score"))
        team = data.get("team") or self.instance.team
        judge = data.get("judge") or self.instance.judge
        self.saved = self.run_service(
            lambda: judge_score_record(actor=self.actor, team=team, judge=judge, score=data.get("score"))
        )
        return data

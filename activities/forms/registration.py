"""Forms for individual sign-up and for liaisons' team entries; the rules themselves live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Cadre, Unit
from portal.numbers import parse_positive_ints

from ..models import Team


class SignupActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("signup", _("Sign up")), ("cancel", _("Cancel my sign-up"))])


class CadreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.employee_no})"


class TeamEntryForm(forms.Form):
    """A team's name and members; members can only be picked from the unit's active cadres.

    The page renders the member checkboxes itself (with gender, age and eligibility); this field only
    validates what came back, so a cadre of another unit in a forged POST is an invalid choice here and the
    service refuses it again.
    """

    name = forms.CharField(
        label=_("Team name"),
        max_length=80,
        required=False,
        help_text=_("Leave empty for the default name."),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=Cadre.objects.none(),
        error_messages={
            "required": _("Choose the team's members."),
            "invalid_choice": _("Choose members only from your unit's active cadres."),
            "invalid_pk_value": _("Choose members only from your unit's active cadres."),
        },
    )

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Cadre.objects.filter(unit=unit, is_active=True)

    def selected_ids(self) -> set[int]:
        """The member ids the page should show ticked: what was posted, else the initial members."""
        if self.is_bound:
            return parse_positive_ints(self.data.getlist("members"))
        return {getattr(c, "pk", c) for c in self.initial.get("members", [])}


class SubstitutionForm(forms.Form):
    outgoing = CadreChoiceField(label=_("Member leaving the team"), queryset=Cadre.objects.none())
    incoming = CadreChoiceField(
        label=_("Cadre joining the team"),
        queryset=Cadre.objects.none(),
        error_messages={"invalid_choice": _("Choose a cadre of your unit who is not in the team.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        members = team.members.values("cadre_id")
        self.fields["outgoing"].queryset = Cadre.objects.filter(pk__in=members).order_by("name")
        self.fields["incoming"].queryset = (
            Cadre.objects.filter(unit=team.unit_id, is_active=True).exclude(pk__in=members).order_by("name")
        )

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class EmployeeNumberLoginForm(AuthenticationForm):
    """Login with the employee number (the account's username)."""

    username = forms.CharField(
        label=_("Employee number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )

    error_messages = {
        "invalid_login": _("The employee number or password is wrong. Both are case-sensitive."),
        "inactive": _("This account is inactive. Ask your unit's liaison or the committee."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PortalPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class UnitCadreSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name or employee number"), required=False, max_length=50)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("Active")), ("0", _("Inactive"))],
    )

    def active_filter(self):
        value = self.cleaned_data.get("active") if self.is_valid() else ""
        return {"1": True, "0": False}.get(value)

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class EmployeeNumberLoginForm(AuthenticationForm):
    """Login with the employee number (the account's username)."""

    username = forms.CharField(
        label=_("Employee number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )

    error_messages = {
        "invalid_login": _("The employee number or password is wrong. The password is case-sensitive."),
        "inactive": _("This account is inactive. Ask your unit's liaison or the committee."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_username(self):
        """The account's own login name when the employee number was typed in another letter case.

        "a001" logs into A001 when that is the only account it can mean; with several candidates (possible only
        for accounts older than the case-insensitive rule) the name is kept as typed, so it matches exactly one
        account or none, never a different one. Django then authenticates, and axes locks, the real login name,
        so changing case cannot buy more guesses.
        """
        username = self.cleaned_data["username"]
        candidates = list(
            get_user_model().objects.filter(username__iexact=username).values_list("username", flat=True)[:2]
        )
        if username not in candidates and len(candidates) == 1:
            return candidates[0]
        return username


class PortalPasswordChangeForm(PasswordChangeForm):
    """The password change, also the first login's: the new password must differ from the current one."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_unchanged": _(
            "Your new password must differ from your current one (for a first login: from the initial password)."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned_data = super().clean()
        new_password = cleaned_data.get("new_password1")
        # hashers.check_password, not user.check_password: the latter may re-hash and save during validation.
        if new_password and check_password(new_password, self.user.password):
            self.add_error(
                "new_password1",
                ValidationError(self.error_messages["password_unchanged"], code="password_unchanged"),
            )
        return cleaned_data


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

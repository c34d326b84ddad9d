"""Filter forms of the public activity pages: search, kind, month and unit. They only read the query string."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.models import Unit

from ..models import Activity

MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")  # ASCII digits: \d matches other scripts too


def parse_month(value: str | None) -> date | None:
    """The first day of the month written as YYYY-MM, or None when the text is not such a month."""
    match = MONTH_RE.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class MonthField(forms.Field):
    """A month as YYYY-MM (what <input type="month"> sends); cleans to the first day of that month."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise ValidationError(_("Give a month as YYYY-MM, e.g. 2026-11."), code="invalid")
        return month


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ActivityFilterForm(forms.Form):
    """The public list's filters; an invalid value is reported and that filter ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title")}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Activity.Kind.choices])
    month = MonthField(label=_("Month"), required=False)
    unit = UnitChoiceField(
        label=_("Unit"),
        required=False,
        queryset=Unit.objects.filter(is_active=True).only("id", "name", "short_name").order_by("sort_order", "code"),
        empty_label=_("All units"),
    )

    def filters(self) -> dict:
        """The valid filters as keyword arguments for `public_activities` (invalid fields are left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("q") or "",
            "kind": cleaned.get("kind") or "",
            "month": cleaned.get("month"),
            "unit": cleaned.get("unit"),
        }

"""Filter forms of the public activity pages: search, kind, month and unit. They only read the query string."""

import hashlib
import re
from datetime import date

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.models import Unit

from ..models import Activity

OPTIONS_TTL = 300  # safety net: the version changes with the unit table anyway
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


class UnitSelect(forms.Select):
    """The unit filter's <select>, written directly rather than through a template per option.

    Django renders each of the ~100 options through its own template; here the options (value, label) are read
    once per `options_version` (set by the view to a version that changes with the unit table) and kept in the
    cache, and the markup is joined in Python with the same escaping.
    """

    options_version = None

    def options(self) -> list[tuple[str, str]]:
        def read():
            return [(str(value), str(label)) for value, label in self.choices]

        if self.options_version is None:
            return read()
        digest = hashlib.sha1(f"{translation.get_language()}|{self.options_version}".encode()).hexdigest()
        key = f"activities:unit-options:{digest}"
        options = cache.get(key)
        if options is None:
            options = read()
            cache.set(key, options, OPTIONS_TTL)
        return options

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = format_html_join(
            "\n",
            '  <option value="{}"{}>{}</option>',
            ((option, mark_safe(" selected") if option == chosen else "", label) for option, label in self.options()),
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final), options)


class UnitChoiceField(forms.ModelChoiceField):
    widget = UnitSelect

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

"""The "generate now" form: a period and a language."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .periods import Period, reportable_periods


class ReportRequestForm(forms.Form):
    # A plain text field behind a select: a forged period (a future quarter) reaches the service, whose rule
    # answers with the clear message, instead of the form's generic "not one of the choices".
    period = forms.CharField(label=_("Period"), max_length=7, widget=forms.Select)
    language = forms.ChoiceField(label=_("Language of the workbook"), choices=settings.LANGUAGES)

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        periods = reportable_periods(now or timezone.now())
        self.fields["period"].widget.choices = [(p.slug, p.label) for p in periods]
        if periods and not self.is_bound:
            latest_quarter = next((p for p in periods if not p.is_annual), periods[0])
            self.initial.setdefault("period", latest_quarter.slug)
        self.initial.setdefault("language", get_language() if get_language() in dict(settings.LANGUAGES) else "zh-hans")

    def clean_period(self) -> Period:
        try:
            return Period.from_slug(self.cleaned_data["period"].strip())
        except ValueError as exc:
            raise forms.ValidationError(_("Choose a quarter or a year.")) from exc

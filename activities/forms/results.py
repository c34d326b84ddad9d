"""The result form referees (and staff) fill in, usually on a phone: two scores, optional set scores as text."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import PortalError

from ..models import Match
from ..services.results import MAX_SCORE, match_record_result

# "11:7, 9:11, 11:5", "11-7 9-11", "11：7，9：11", "11比7；9比11" all mean the same sets.
SET_SEPARATOR = re.compile(r"[,，;；、/\s]+")
SET_SCORE = re.compile(r"^(\d{1,2})\s*[:：\-比]\s*(\d{1,2})$")


def parse_sets(text: str) -> list[list[int]]:
    """Read set scores written as "11:7, 9:11, 11:5" into [[11, 7], [9, 11], [11, 5]]; blank gives [].

    Accepts ":", "：", "-" or "比" between the two scores and commas, semicolons, slashes or spaces between sets.
    Raises forms.ValidationError naming the first part it cannot read.
    """
    text = (text or "").strip()
    if not text:
        return []
    # Allow spaces around the colon ("11 : 7") before splitting on spaces between sets.
    text = re.sub(r"\s*([:：\-比])\s*", r"\1", text)
    sets = []
    for part in SET_SEPARATOR.split(text):
        if not part:
            continue
        found = SET_SCORE.match(part)
        if not found:
            raise forms.ValidationError(
                _("Cannot read the set score “%(part)s”; write sets like 11:7, 9:11, 11:5.") % {"part": part}
            )
        sets.append([int(found.group(1)), int(found.group(2))])
    return sets


def format_sets(sets) -> str:
    return ", ".join(f"{home}:{away}" for home, away in sets or [])


class MatchResultForm(forms.Form):
    """Scores, optional set scores and a walkover for one match; save() calls match_record_result."""

    WALKOVER_NONE = ""
    home_score = forms.IntegerField(min_value=0, max_value=MAX_SCORE, required=False)
    away_score = forms.IntegerField(min_value=0, max_value=MAX_SCORE, required=False)
    sets = forms.CharField(
        label=gettext_lazy("Set scores"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Optional, home team first, e.g. 11:7, 9:11, 11:5"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)
    walkover = forms.ChoiceField(label=gettext_lazy("Walkover"), required=False)

    def __init__(self, *args, match: Match, **kwargs):
        self.match = match
        initial = kwargs.setdefault("initial", {})
        if match.status in (Match.Status.PLAYED, Match.Status.WALKOVER):
            initial.setdefault("home_score", match.home_score)
            initial.setdefault("away_score", match.away_score)
            initial.setdefault("sets", format_sets(match.detail.get("sets")))
            initial.setdefault("note", match.detail.get("note", ""))
            if match.status == Match.Status.WALKOVER:
                initial.setdefault("walkover", "home" if match.winner_id == match.home_id else "away")
        super().__init__(*args, **kwargs)
        home = match.home.name if match.home_id else _("to be decided")
        away = match.away.name if match.away_id else _("to be decided")
        self.fields["home_score"].label = home
        self.fields["away_score"].label = away
        for name in ("home_score", "away_score"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "class": "form-control-lg text-center"})
        self.fields["sets"].widget.attrs.update({"placeholder": "11:7, 9:11, 11:5", "autocomplete": "off"})
        self.fields["walkover"].choices = [
            (self.WALKOVER_NONE, _("No, the match was played")),
            ("home", _("%(team)s wins by walkover") % {"team": home}),
            ("away", _("%(team)s wins by walkover") % {"team": away}),
        ]

    def clean_sets(self):
        return parse_sets(self.cleaned_data.get("sets", ""))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("walkover") and not self.errors:
            for name in ("home_score", "away_score"):
                if cleaned.get(name) is None:
                    self.add_error(name, _("Enter the score."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        detail = {}
        if data.get("sets"):
            detail["sets"] = data["sets"]
        if data.get("note"):
            detail["note"] = data["note"]
        walkover = data.get("walkover")
        return {
            "home_score": data.get("home_score"),
            "away_score": data.get("away_score"),
            "detail": detail,
            "walkover_winner": {"home": self.match.home_id, "away": self.match.away_id}.get(walkover),
        }

    def save(self, *, actor) -> Match | None:
        """Record the result through the service; a broken rule becomes a form error and None is returned."""
        try:
            return match_record_result(actor=actor, match=self.match, **self.service_kwargs())
        except PortalError as error:
            self.add_error(None, str(error))
            return None

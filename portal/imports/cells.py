"""The per-cell parsers: each turns one cell of a column into the value its Cadre field stores, or
raises _CellError saying what is wrong with it."""

import datetime as dt
import itertools
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from ..models import Cadre, employee_no_validator, phone_validator
from ..phones import normalize_phone
from ..text import clean_display_text
from .columns import _POLITICAL_WORDS, _TALENT_WORDS, _offered_values, _Vocabulary
from .errors import _CellError
from .text import _join, _key
from .units import _UnitDirectory

EARLIEST_BIRTH_DATE = dt.date(1930, 1, 1)
NAME_MAX_LENGTH = Cadre._meta.get_field("name").max_length
POSITION_MAX_LENGTH = Cadre._meta.get_field("position").max_length
CAR_PLATE_MAX_LENGTH = Cadre._meta.get_field("car_plate").max_length

_TALENT_ORDER = {value: index for index, value in enumerate(Cadre.Talent.values)}
_TALENT_SEPARATORS = re.compile(r"[、,，;；/／|]+")
_CJK_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·・]+$")
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _quoted(value) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _CellParser:
    """One method per column: the cell's value in the form the Cadre field stores, or _CellError."""

    def __init__(self, vocabulary: _Vocabulary, units: _UnitDirectory, epoch):
        self.vocabulary = vocabulary
        self.units = units
        self.epoch = epoch
        self.today = timezone.localdate()
        self._known_logins = None  # lower-cased login name -> its stored spellings, loaded at the first row
        self._file_logins = {}  # the same for this file's rows so far

    def employee_no(self, value):
        text = _text(value)
        if not employee_no_validator.regex.match(text):
            raise _CellError(f"{employee_no_validator.message} ({_quoted(value)})")
        # "A001" and "a001" would be two logins that people read as one (the database refuses the second cadre).
        if self._known_logins is None:
            self._known_logins = {}
            logins = itertools.chain(
                get_user_model().objects.values_list("username", flat=True).iterator(),
                Cadre.objects.order_by().values_list("employee_no", flat=True).iterator(),
            )
            for login in logins:
                self._known_logins.setdefault(login.lower(), set()).add(login)
        spellings = self._known_logins.get(text.lower(), set()) | self._file_logins.get(text.lower(), set())
        if spellings and text not in spellings:
            raise _CellError(
                _("Employee number %(no)s differs only in letter case from %(other)s; use %(other)s.")
                % {"no": text, "other": min(spellings)}
            )
        self._file_logins.setdefault(text.lower(), set()).add(text)
        return text

    def name(self, value):
        # Zero-width and direction-override characters go: they make look-alike or reversed names.
        text = clean_display_text(_text(value))
        if not text:
            raise _CellError(_("This column is required."))
        # Chinese rosters pad two-character names with spaces to align them: "张  三" is 张三.
        if _CJK_NAME.match(text.replace(" ", "")):
            text = text.replace(" ", "")
        if len(text) > NAME_MAX_LENGTH:
            raise _CellError(_("A name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH})
        return text

    def gender(self, value):
        gender = self.vocabulary.gender.get(_key(_text(value)))
        if gender is None:
            raise _CellError(_("Unknown gender %(value)s: write 男 or 女 (M or F).") % {"value": _quoted(value)})
        return gender

    def birth_date(self, value):
        date = self._date(value)
        if date > self.today:
            raise _CellError(_("The birth date %(date)s is in the future.") % {"date": date.isoformat()})
        if date < EARLIEST_BIRTH_DATE:
            raise _CellError(_("The birth date %(date)s is before 1930.") % {"date": date.isoformat()})
        return date

    def _date(self, value) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        bad = _CellError(
            _("%(value)s is not a date; write it like 1985-03-07.") % {"value": _quoted(value)},
        )
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int | float):
            if value == int(value) and 19000101 <= value <= 29991231:
                return self._ymd(str(int(value)), *_DATE_DIGITS.match(str(int(value))).groups())
            if 1 <= value < 2958466:
                if 1900 <= value < 2100:
                    # 1985.03 typed as a number: a year, not a day count, and the month may be lost (1985.1).
                    raise bad
                return from_excel(value, self.epoch).date()
            raise bad
        if not isinstance(value, str):
            raise bad
        text = unicodedata.normalize("NFKC", value).strip()
        match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
        if not match:
            raise bad
        return self._ymd(text, *match.groups())

    @staticmethod
    def _ymd(text, year, month, day) -> dt.date:
        try:
            return dt.date(int(year), int(month), int(day or 1))
        except ValueError:
            raise _CellError(_("%(value)s is not a valid date.") % {"value": text}) from None

    def unit(self, value):
        return self.units.resolve(clean_display_text(_text(value)))

    def position(self, value):
        text = clean_display_text(_text(value))
        if len(text) > POSITION_MAX_LENGTH:
            raise _CellError(_("A position has at most %(max)d characters.") % {"max": POSITION_MAX_LENGTH})
        return text

    def political_status(self, value):
        status = self.vocabulary.political.get(_key(_text(value)))
        if status is None:
            raise _CellError(
                _("Unknown political status %(value)s; the accepted values are: %(values)s.")
                % {"value": _quoted(value), "values": _join(_offered_values(Cadre.PoliticalStatus, _POLITICAL_WORDS))}
            )
        return status

    def phone(self, value):
        phone = normalize_phone(value)
        if not phone or not phone_validator.regex.match(phone):
            raise _CellError(
                _(
                    "%(value)s is not a phone number: write an 11-digit mobile number or a landline such as "
                    "0427-2812345."
                )
                % {"value": _quoted(value)}
            )
        return phone

    def talents(self, value):
        lookup = self.vocabulary.talents
        found, unknown = [], []
        for segment in _TALENT_SEPARATORS.split(_text(value)):
            words = segment.split()
            start = 0
            while start < len(words):
                # Longest run of words that names a talent: "First aid" is one talent, "书法 摄影" two.
                for end in range(len(words), start, -1):
                    talent = lookup.get(_key(" ".join(words[start:end])))
                    if talent is not None:
                        found.append(talent)
                        start = end
                        break
                else:
                    unknown.append(words[start])
                    start += 1
        if unknown:
            raise _CellError(
                _("Unknown talent %(value)s; the accepted values are: %(values)s.")
                % {"value": _join(unknown), "values": _join(_offered_values(Cadre.Talent, _TALENT_WORDS))}
            )
        return sorted(set(found), key=_TALENT_ORDER.__getitem__)

    def car_plate(self, value):
        plate = re.sub(r"[\s·・•.\-]", "", unicodedata.normalize("NFKC", _text(value))).upper()
        if len(plate) > CAR_PLATE_MAX_LENGTH:
            raise _CellError(_("A car plate has at most %(max)d characters.") % {"max": CAR_PLATE_MAX_LENGTH})
        return plate

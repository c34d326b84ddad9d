"""How the roster import compares and quotes text: blank cells, comparison keys and lists in messages."""

import re
import unicodedata

from django.conf import settings
from django.utils import translation


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _key(value) -> str:
    """The form in which headers and listed values are compared: NFKC, no whitespace, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


def _join(items) -> str:
    separator = "、" if (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh") else ", "
    return separator.join(str(item) for item in items)

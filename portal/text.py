"""Display text from people and spreadsheets made safe to show: names of cadres and units, positions.

Invisible characters let two names that look the same be different strings ("市财政局" and "市财政局" + U+200B
are two units), and bidirectional overrides (U+202E) make a name display backwards, e.g. in the admin or an
exported workbook. Such characters never belong in a name, so they are removed rather than refused: rosters
pasted from Word or web pages carry zero-width spaces and byte-order marks that nobody typed on purpose.
"""

import unicodedata

# Unicode categories removed: Cc (control characters: NUL, escape, line breaks, which become spaces first) and Cf
# (format characters: zero-width space/joiners U+200B-U+200D, marks U+200E-U+200F and U+061C, embeddings and
# overrides U+202A-U+202E, word joiner and isolates U+2060-U+2069, byte-order mark U+FEFF, soft hyphen...).
# Private-use (Co) and unassigned (Cn) code points stay: rare characters in Chinese names (生僻字) live there in
# older systems and in CJK extensions newer than Python's Unicode tables.
_REMOVED_CATEGORIES = {"Cc", "Cf"}


def clean_display_text(value) -> str:
    """The text with control and format characters removed and runs of whitespace collapsed to one space.

    Line and paragraph separators, tabs and the ideographic space count as whitespace. Returns '' for None.
    """
    if value is None:
        return ""
    text = str(value)
    kept = "".join(" " if char.isspace() else char for char in text if char.isspace() or not _is_removed(char))
    return " ".join(kept.split())


def has_hidden_characters(value) -> bool:
    """Whether the text holds a control or format character that clean_display_text would remove."""
    return any(not char.isspace() and _is_removed(char) for char in str(value or ""))


def _is_removed(char: str) -> bool:
    return unicodedata.category(char) in _REMOVED_CATEGORIES

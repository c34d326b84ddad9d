"""Phone numbers as real roster sheets contain them, normalised to one stored form and masked for display."""

import re
import unicodedata

# ASCII digits only: in Python's str patterns \d also matches Arabic-Indic, Devanagari, full-width... digits.
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}\Z")
LANDLINE_RE = re.compile(r"^(0[0-9]{2,3})-?([0-9]{7,8})\Z")


def normalize_phone(raw) -> str | None:
    """Return the stored form of a phone number, '' for an empty cell, or None when it is not a phone number.

    Accepts what spreadsheets produce: numbers stored as int or float (13812345678, 1.3812345678E10),
    spaces, dashes, dots and brackets, a +86/0086 country prefix, full-width digits and punctuation, and
    landlines with an area code (0427-2812345, (0427)2812345). Digits of other scripts (Arabic-Indic ٠١٢...)
    are read as the digits they are; invisible format characters (zero-width spaces, direction marks) are
    dropped. The result holds ASCII digits and at most one '-'.
    """
    if raw is None:
        return ""
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = _ascii_digits(unicodedata.normalize("NFKC", str(raw))).strip()
    if not text:
        return ""
    compact = re.sub(r"[\s.()（）\u00a0]", "", text)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    compact = compact.lstrip("-")
    digits = compact.replace("-", "")
    # isdigit() would also accept superscripts and other scripts' digits; only ASCII digits are stored.
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) == 13 and digits.startswith("86") and MOBILE_RE.match(digits[2:]):
        digits = digits[2:]
    if MOBILE_RE.match(digits):
        return digits
    if "-" in compact:
        area, _, number = compact.partition("-")
        if LANDLINE_RE.match(f"{area}-{number.replace('-', '')}"):
            return f"{area}-{number.replace('-', '')}"
        return None
    match = re.match(r"^(0(?:10|2[0-9]))([0-9]{8})\Z", digits) or re.match(r"^(0[0-9]{3})([0-9]{7,8})\Z", digits)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return None


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number: 138****5678, 0427-***2345."""
    if not phone:
        return ""
    if MOBILE_RE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    area, sep, number = phone.partition("-")
    if sep and len(number) > 4:
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}"
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def _ascii_digits(text: str) -> str:
    """Decimal digits of any script as ASCII digits; format characters (U+200B, U+202E, U+FEFF...) removed."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif unicodedata.category(char) == "Cf":
            continue
        elif unicodedata.category(char) == "Nd":
            out.append(str(unicodedata.decimal(char)))
        else:
            out.append(char)
    return "".join(out)

"""Phone numbers as real roster sheets contain them, normalised to one stored form and masked for display."""

import re

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")


def normalize_phone(raw) -> str | None:
    """Return the stored form of a phone number, '' for an empty cell, or None when it is not a phone number.

    Accepts what spreadsheets produce: numbers stored as int or float (13812345678, 1.3812345678E10),
    spaces, dashes, dots and brackets, a +86/0086 country prefix, full-width digits, and landlines
    with an area code (0427-2812345, (0427)2812345).
    """
    if raw is None:
        return ""
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = str(raw).strip().translate(_FULL_WIDTH)
    if not text:
        return ""
    compact = re.sub(r"[\s.()（）\u00a0]", "", text)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    compact = compact.lstrip("-")
    digits = compact.replace("-", "")
    if not digits.isdigit():
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
    match = re.match(r"^(0(?:10|2\d))(\d{8})$", digits) or re.match(r"^(0\d{3})(\d{7,8})$", digits)
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


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")

"""The one way the portal reads a number typed or sent by a user (query strings, form lists, URL parts, headers).

`int()` accepts far more than a visitor should be able to send: `"²".isdigit()` is true but `int("²")` raises,
`int("١٢")` (Arabic-Indic digits) is 12, and an id beyond 64 bits passes every check and then overflows in the
database driver. Here only ASCII digits count, and the value must fit a 64-bit signed column.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField / bigint column

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")

Default = TypeVar("Default")


def parse_positive_int(value: Any, *, default: Default = None, maximum: int = MAX_ID) -> int | Default:
    """`value` as an int in 1..`maximum` if it is written with ASCII digits only, else `default`.

    No sign, no spaces, no other scripts' digits; never raises, whatever `value` is.
    """
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return default
    return number if 1 <= number <= min(maximum, MAX_ID) else default


def parse_positive_ints(values: Any, *, maximum: int = MAX_ID) -> set[int]:
    """The distinct positive ints among `values` (e.g. `request.POST.getlist(...)`); anything else is dropped."""
    parsed = (parse_positive_int(value, maximum=maximum) for value in values or ())
    return {number for number in parsed if number is not None}

"""URL converters. `<id:pk>` replaces Django's `<int:pk>` in every URL pattern of the portal.

`<int:>` matches any run of digits, so /units/99999999999999999999/ reached the view and overflowed in the
database driver (a 500 on SQLite). `<id:>` matches only ids a row can have (1..2**63-1); anything else is a 404.
"""

from .numbers import MAX_ID, parse_positive_int


class IdConverter:
    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = parse_positive_int(value, maximum=MAX_ID)
        if number is None:
            raise ValueError(value)  # Django treats it as "no match": the next pattern, then 404
        return number

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    """Make `<id:...>` available to every URLconf; PortalConfig.ready() calls it before any URL module loads."""
    from django.urls import register_converter
    from django.urls.converters import get_converters

    if "id" not in get_converters():
        register_converter(IdConverter, "id")

"""The unit column: every unit loaded once and matched by name, code or short name, and the units an
import creates when it is asked to."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Unit
from .errors import _CellError
from .text import _join, _key

UNIT_NAME_MAX_LENGTH = Unit._meta.get_field("name").max_length
AUTO_UNIT_CODE = "AUTO-{:04d}"


@dataclass
class _NewUnit:
    name: str
    code: str
    sort_order: int
    pk: int | None = None


class _UnitDirectory:
    """All units, loaded once, matched by name, code or short name; collects the units to create."""

    def __init__(self, *, create_missing: bool):
        self.create_missing = create_missing
        self.by_name, self.by_code, self.by_short = {}, {}, {}
        self.codes = set()
        self.max_sort_order = 0
        for pk, name, short_name, code, sort_order in Unit.objects.values_list(
            "pk", "name", "short_name", "code", "sort_order"
        ):
            self.by_name[_key(name)] = pk
            self.by_code[_key(code)] = pk
            if short_name:
                self.by_short.setdefault(_key(short_name), []).append((pk, name))
            self.codes.add(code.casefold())
            self.max_sort_order = max(self.max_sort_order, sort_order)
        self.new_units: dict[str, _NewUnit] = {}
        self._next_code = 1

    def resolve(self, text: str):
        """The unit's pk, or the _NewUnit to create for it."""
        key = _key(text)
        if key in self.by_name:
            return self.by_name[key]
        if key in self.by_code:
            return self.by_code[key]
        matches = self.by_short.get(key, [])
        if len(matches) == 1:
            return matches[0][0]
        if len(matches) > 1:
            raise _CellError(
                _("The short name %(unit)s belongs to several units (%(names)s); use the full name.")
                % {"unit": text, "names": _join(name for _pk, name in matches)}
            )
        if key in self.new_units:
            return self.new_units[key]
        if not self.create_missing:
            raise _CellError(
                _(
                    "There is no unit %(unit)s (by name, short name or code). Correct the name, or let the "
                    "import create missing units."
                )
                % {"unit": text}
            )
        name = " ".join(text.split())
        if len(name) > UNIT_NAME_MAX_LENGTH:
            raise _CellError(
                _("A unit name has at most %(max)d characters.") % {"max": UNIT_NAME_MAX_LENGTH},
            )
        while AUTO_UNIT_CODE.format(self._next_code).casefold() in self.codes:
            self._next_code += 1
        code = AUTO_UNIT_CODE.format(self._next_code)
        self.codes.add(code.casefold())
        unit = _NewUnit(name=name, code=code, sort_order=self.max_sort_order + len(self.new_units) + 1)
        self.new_units[key] = unit
        return unit

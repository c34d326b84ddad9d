"""What a failed roster import reports: every problem with its Excel row and column."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..errors import PortalError


@dataclass
class RowError:
    """One problem found in the file: `row` is the Excel row number (0 for the file as a whole)."""

    row: int
    column: str
    message: str

    def __str__(self):
        if not self.row:
            return self.message
        if self.column:
            return _("Row %(row)d, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class RosterImportError(PortalError):
    """The file was not imported; `errors` lists every problem found, in row order."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda error: error.row)
        if len(self.errors) == 1:
            message = _("The file was not imported: %(error)s") % {"error": self.errors[0]}
        else:
            message = ngettext(
                "The file was not imported: %(count)d error.",
                "The file was not imported: %(count)d errors.",
                len(self.errors),
            ) % {"count": len(self.errors)}
        super().__init__(message)


class _CellError(Exception):
    """A cell's value is invalid; the message becomes a RowError for the cell's row and column."""

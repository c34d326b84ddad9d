"""Roster import from Excel: the committee staff's bulk tool for cadres and their login accounts.

Staff keep their rosters in Excel sheets of every shape: columns in any order, headers in Chinese or
English, employee numbers and phones stored as numbers, dates as cells, serial numbers or text. The
import reads such a sheet, validates every row against the same rules as the model, and either writes
everything in one transaction or nothing at all, listing every error with its Excel row and column.

Re-importing a file updates cadres by employee number instead of duplicating them. A new cadre gets a
login account named by the employee number with the initial password, which must be changed at first
login. The whole import runs a bounded number of queries so a 30,000-row roster takes seconds.

A hostile file costs no more than a roster: the workbook is checked while it streams (zip bomb, parts too
large, rows beyond the row limit or numbered in the trillions, cells beyond the column limit) and only the
columns and rows a roster may have are ever kept. From the admin, an upload becomes a RosterImport job run
by a Celery task (`services`, `tasks`), whose page shows its progress and then its result.

The package splits along its concerns: `columns` (the column specs, accepted values and header
lookup), `workbook` (reading the upload and finding the roster sheet), `cells` (one parser per column),
`units` (matching and creating units), `importer` (validation and the database writes), `template` (the
downloadable template), `errors` (what a failed import reports), `models`/`services`/`tasks`/`admin` (the
import job). Only the names below are public.
"""

from .columns import ROSTER_COLUMNS, RosterColumn
from .errors import RosterImportError, RowError
from .importer import ImportSummary, roster_import
from .template import roster_template_bytes

__all__ = [
    "ROSTER_COLUMNS",
    "ImportSummary",
    "RosterColumn",
    "RosterImportError",
    "RowError",
    "roster_import",
    "roster_template_bytes",
]

"""Reading the uploaded roster: size and zip-bomb checks, then the first sheet whose header row names
every required column, with its data rows."""

import contextlib
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .columns import _COLUMNS_BY_KEY, _REQUIRED_KEYS, ROSTER_COLUMNS, _header_key, _header_lookup
from .errors import RosterImportError, RowError
from .text import _is_blank, _join

# Real sheets put a title or a note above the header row; look this far for it.
HEADER_SCAN_ROWS = 10
# A genuine roster compresses about tenfold; far more than that is a zip bomb, refused before parsing.
MAX_UNCOMPRESSED_RATIO = 20

_XLSX_MAGIC = b"PK\x03\x04"
# .xls files and password-protected .xlsx files are both OLE2 compound documents.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _file_error(message: str) -> RosterImportError:
    return RosterImportError([RowError(0, "", message)])


def _read_upload(uploaded_file) -> bytes:
    """The uploaded bytes, refusing a file over the size limit before reading or parsing it."""
    limit = settings.ROSTER_IMPORT_MAX_BYTES
    size = getattr(uploaded_file, "size", None)
    if size is None:
        try:
            uploaded_file.seek(0, io.SEEK_END)
            size = uploaded_file.tell()
        except (AttributeError, OSError, ValueError):
            size = None
    if size is not None and size > limit:
        raise _too_large(size, limit)
    # A plain stream cannot rewind; then it is read from where it stands.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(len(data), limit)
    if not data:
        raise _file_error(_("The file is empty."))
    if not isinstance(data, bytes):
        raise _not_xlsx()
    return data


def _too_large(size: int, limit: int) -> RosterImportError:
    return _file_error(
        _("The file is too large (%(size)s); the limit is %(limit)s. Split the roster into several files.")
        % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
    )


def _not_xlsx() -> RosterImportError:
    return _file_error(_("This is not an Excel workbook (.xlsx). Save the roster from Excel as .xlsx and try again."))


@dataclass
class _Sheet:
    header_row: int
    columns: dict[str, int]  # column key -> 0-based position in the row
    rows: list[tuple[int, tuple]]  # (Excel row number, cell values), blank rows left out
    epoch: dt.datetime


def _read_sheet(data: bytes) -> _Sheet:
    if data.startswith(_OLE2_MAGIC):
        raise _file_error(
            _(
                "This is an old-format Excel file (.xls) or a password-protected workbook. Open it in Excel, "
                "remove any password and save it as .xlsx."
            )
        )
    if not data.startswith(_XLSX_MAGIC):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            uncompressed = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_xlsx() from exc
    if uncompressed > MAX_UNCOMPRESSED_RATIO * settings.ROSTER_IMPORT_MAX_BYTES:
        raise _too_large(uncompressed, settings.ROSTER_IMPORT_MAX_BYTES)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        # openpyxl reports a damaged or foreign file with whatever its parsers raise (BadZipFile,
        # InvalidFileException, KeyError, XML errors...): to the user they all mean "not a workbook".
        raise _not_xlsx() from exc
    try:
        return _find_roster(workbook)
    except RosterImportError:
        raise
    except Exception as exc:
        # Read-only mode parses the sheet lazily, so a damaged sheet shows up only while reading rows.
        raise _file_error(_("The workbook is damaged and cannot be read. Save it again from Excel.")) from exc
    finally:
        workbook.close()


def _find_roster(workbook) -> _Sheet:
    """The first sheet whose header row (within its first rows) names every required column."""
    headers = _header_lookup()
    # The row most like a header, for the error message: one recognised word is not enough (the
    # instructions sheet lists the headers one per row), so the first non-blank row is the fallback.
    best = first = None
    for worksheet in workbook.worksheets:
        # Some writers record a wrong sheet size; forget it so no column or row is cut off.
        worksheet.reset_dimensions()
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        scanned = 0
        for row_number, values in rows:
            if all(_is_blank(value) for value in values):
                continue
            columns, duplicates = _match_header(values, headers)
            if all(key in columns for key in _REQUIRED_KEYS):
                if duplicates:
                    raise RosterImportError([RowError(row_number, "", message) for message in duplicates])
                return _Sheet(row_number, columns, _data_rows(rows, columns), workbook.epoch)
            first = first or (row_number, columns)
            if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
                best = (row_number, columns)
            scanned += 1
            if scanned >= HEADER_SCAN_ROWS:
                break
    if first is None:
        raise _file_error(_("The file is empty: the sheet has neither a header row nor data."))
    row_number, columns = best or first
    missing = [str(_COLUMNS_BY_KEY[key].label) for key in _REQUIRED_KEYS if key not in columns]
    expected = [
        _("%(column)s (required)") % {"column": column.label} if column.required else str(column.label)
        for column in ROSTER_COLUMNS
    ]
    raise RosterImportError(
        [
            RowError(
                row_number,
                "",
                _(
                    "The header row lacks the required columns %(missing)s. The expected columns are: "
                    "%(expected)s. Download the template to see them."
                )
                % {"missing": _join(missing), "expected": _join(expected)},
            )
        ]
    )


def _data_rows(rows, columns: dict[str, int]) -> list[tuple[int, tuple]]:
    limit = settings.ROSTER_IMPORT_MAX_ROWS
    positions = list(columns.values())
    kept = []
    for row_number, values in rows:
        # Only the recognised columns count: a row with nothing but a pre-filled serial number is blank.
        width = len(values)
        if all(position >= width or _is_blank(values[position]) for position in positions):
            continue
        if len(kept) >= limit:
            raise _file_error(
                _("The file has more than %(limit)d data rows. Split the roster into several files.") % {"limit": limit}
            )
        kept.append((row_number, values))
    if not kept:
        raise _file_error(_("The file has a header row but no data rows."))
    return kept


def _match_header(values, headers: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    columns, duplicates = {}, []
    for position, value in enumerate(values):
        if _is_blank(value):
            continue
        key = headers.get(_header_key(value))
        if key is None:
            continue
        if key in columns:
            duplicates.append(
                _("Columns %(first)s and %(second)s both hold %(column)s; keep only one of them.")
                % {
                    "first": get_column_letter(columns[key] + 1),
                    "second": get_column_letter(position + 1),
                    "column": _COLUMNS_BY_KEY[key].label,
                }
            )
            continue
        columns[key] = position
    return columns, duplicates

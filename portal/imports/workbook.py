"""Reading the uploaded roster: size and zip-bomb checks, a bounded scan of every part's XML, then the first
sheet whose header row names every required column, with its data rows.

Why the scan: a few kilobytes of compressed XML can otherwise hang a worker or take gigabytes. openpyxl's
read-only reader fills in every missing row up to a row's number (a row numbered in the trillions), builds
each row as wide as its last cell, parses a sheet that declares no dimension in full while loading it (keeping
an element per cell of a row), and parses the other parts (styles, shared strings) whole. The scan streams
each part with expat, keeping nothing, and refuses the file before openpyxl reads it when a sheet reaches
beyond the rows and columns a roster may have, or a part holds more elements than any real workbook needs.
Reading then asks openpyxl for those bounds only, so it stays proportional to the roster itself.
"""

import contextlib
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHEET_MAIN_NS

from .columns import _COLUMNS_BY_KEY, _REQUIRED_KEYS, ROSTER_COLUMNS, _header_key, _header_lookup
from .errors import RosterImportError, RowError
from .text import _is_blank, _join

# Real sheets put a title or a note above the header row; look this far for it.
HEADER_SCAN_ROWS = 10
# Rows a sheet may reach beyond the data-row limit: the title, header and blank rows between.
EXTRA_SHEET_ROWS = 100
# What Excel itself allows; a row or column beyond it means a damaged or forged file.
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMN = 16_384
# Parts other than sheets (styles, workbook, relationships...) are parsed whole; a real one is far smaller.
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_PART_ELEMENTS = 500_000
# Shared strings: at most a few distinct strings per cell of the largest roster allowed (elements per row).
SHARED_STRING_ELEMENTS_PER_ROW = 24
# A sheet's content outside its rows (merged cells, validations, formats...) and inside one cell.
MAX_SHEET_OTHER_ELEMENTS = 200_000
MAX_CELL_ELEMENTS = 1_000
# A zip with more entries than this is no spreadsheet a committee keeps.
MAX_ZIP_ENTRIES = 1_000
# How much of each part the scan feeds expat at a time.
SCAN_CHUNK = 1 << 20
# Reading reports progress this often (rows).
PROGRESS_EVERY = 2_000

_XLSX_MAGIC = b"PK\x03\x04"
# .xls files and password-protected .xlsx files are both OLE2 compound documents.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NS = SHEET_MAIN_NS + " "  # expat names a namespaced element "<namespace> <local name>"
_WORKSHEET, _ROW, _DIMENSION, _SHARED_STRINGS = (_NS + name for name in ("worksheet", "row", "dimension", "sst"))
_VALUE, _TEXT, _PHONETIC = (_NS + name for name in ("v", "t", "rPh"))
_COLUMN_LETTERS = re.compile(r"\$?([A-Za-z]{1,3})")


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


def _damaged() -> RosterImportError:
    return _file_error(_("The workbook is damaged and cannot be read. Save it again from Excel."))


def _sheet_row_limit() -> int:
    return settings.ROSTER_IMPORT_MAX_ROWS + EXTRA_SHEET_ROWS


def _too_many_rows(row: int) -> RosterImportError:
    return _file_error(
        _(
            "A sheet reaches row %(row)s, but a roster may have at most %(limit)d data rows. Delete the empty rows "
            "below the roster, or split it into several files."
        )
        % {"row": f"{row:,}", "limit": settings.ROSTER_IMPORT_MAX_ROWS}
    )


def _too_many_columns(column: int) -> RosterImportError:
    last = get_column_letter(settings.ROSTER_IMPORT_MAX_COLUMNS)
    return _file_error(
        _(
            "A sheet reaches column %(column)s, but a roster may use at most %(max)d columns (A to %(last)s). "
            "Delete the columns after %(last)s."
        )
        % {
            "column": get_column_letter(column) if column <= EXCEL_MAX_COLUMN else f"{column:,}",
            "max": settings.ROSTER_IMPORT_MAX_COLUMNS,
            "last": last,
        }
    )


@dataclass
class _Sheet:
    header_row: int
    columns: dict[str, int]  # column key -> position in each row of `rows`
    rows: list[tuple[int, tuple]]  # (Excel row number, values of the recognised columns), blank rows left out
    epoch: dt.datetime


class _SkipPart(Exception):
    """Raised at a sheet's root while checking the other parts: sheets are checked as they are read."""


class _PartCheck:
    """expat handlers that check a part other than a sheet: its size and number of elements (it is parsed whole)."""

    def __init__(self, size: int, row_limit: int):
        self.size = size
        self.row_limit = row_limit
        self.elements = 0
        self.limit = MAX_PART_ELEMENTS

    def start(self, tag, attrs):
        if not self.elements:
            if tag == _WORKSHEET:
                raise _SkipPart
            if self.size > MAX_PART_BYTES:
                raise _too_large(self.size, MAX_PART_BYTES)
            if tag == _SHARED_STRINGS:
                self.limit = max(MAX_PART_ELEMENTS, SHARED_STRING_ELEMENTS_PER_ROW * self.row_limit)
        self.elements += 1
        if self.elements > self.limit:
            raise _damaged()


class _SheetParser:
    """expat handlers that read one sheet's rows, checking them as they stream past; they raise RosterImportError.

    Checked: the declared dimension (before any row), rows in increasing order up to the roster's row limit,
    each cell no further right than the column limit, and a bounded number of elements in a cell and outside
    the rows. Nothing is kept but the values of the columns up to the limit, so missing rows cost nothing and
    memory follows the roster, not the file. Values are converted as openpyxl converts them (shared strings,
    numbers, dates by their cell style, booleans, inline strings).
    """

    def __init__(self, book: "_Book", row_limit: int, column_limit: int):
        self.book = book
        self.row_limit = row_limit
        self.column_limit = column_limit
        self.rows: list[tuple[int, tuple]] = []  # finished rows not yet handed out
        self.fed = 0  # bytes of the part parsed so far
        self.size = 1
        self.depth = 0
        self.other_elements = 0
        self.last_row = 0
        self.row_depth = 0  # depth of the row being read, 0 outside rows
        self.values: list = []
        self.column = self.cells = 0
        self.cell_depth = 0  # depth of the cell being read, 0 outside cells
        self.cell_elements = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.text: list[str] | None = None  # collects a cell's text while inside <v> or an inline <t>
        self.value_text: str | None = None
        self.inline: list[str] | None = None
        self.phonetic_depth = 0

    def start(self, tag, attrs):
        self.depth += 1
        if self.cell_depth:
            self._inside_cell(tag)
        elif self.row_depth:
            self._cell(tag, attrs)
        elif tag == _ROW:
            self._row(attrs)
        else:
            self.other_elements += 1
            if self.other_elements > MAX_SHEET_OTHER_ELEMENTS:
                raise _damaged()
            if tag == _DIMENSION:
                self._dimension(attrs.get("ref", ""))

    def end(self, tag):
        if self.depth == self.cell_depth:
            self._end_cell()
        elif self.depth == self.row_depth:
            self.rows.append((self.last_row, tuple(self.values)))
            self.row_depth = 0
        elif self.cell_depth:
            if self.depth == self.phonetic_depth:
                self.phonetic_depth = 0
            elif tag == _VALUE and self.text is not None:
                self.value_text = "".join(self.text)
                self.text = None
            elif tag == _TEXT and self.text is not None:
                self.inline.append("".join(self.text))
                self.text = None
        self.depth -= 1

    def characters(self, data):
        if self.text is not None:
            self.text.append(data)

    def _dimension(self, ref: str):
        # The size the sheet declares, refused before any row is read. A sheet may also declare less than it
        # holds (some writers always write A1): the rows themselves are checked as well, and all are read.
        try:
            _min_col, _min_row, max_col, max_row = range_boundaries(ref.upper())
        except (TypeError, ValueError):
            return
        if max_row is not None and max_row > self.row_limit:
            raise _too_many_rows(max_row)
        if max_col is not None and max_col > self.column_limit:
            raise _too_many_columns(max_col)

    def _row(self, attrs):
        number = attrs.get("r")
        try:
            row = int(float(number)) if number is not None else self.last_row + 1
        except (ValueError, OverflowError):
            raise _damaged() from None
        if row <= self.last_row:  # rows out of order: a forged file, Excel never writes one
            raise _damaged()
        if row > self.row_limit:
            raise _too_many_rows(row)
        self.last_row = row
        self.row_depth = self.depth
        self.values = [None] * self.column_limit
        self.cells = self.column = 0

    def _cell(self, tag, attrs):
        if tag == _ROW:
            raise _damaged()
        # Every child of a row is a cell; its column is its reference's letters, or the one after the last.
        self.cells += 1
        reference = _COLUMN_LETTERS.match(attrs.get("r", ""))
        column = column_index_from_string(reference.group(1).upper()) if reference else self.column + 1
        if column > self.column_limit:
            raise _too_many_columns(column)
        if self.cells > self.column_limit:
            raise _damaged()
        self.column = column
        self.cell_depth = self.depth
        self.cell_elements = 0
        self.cell_type = attrs.get("t", "n")
        style = attrs.get("s")
        self.cell_style = int(style) if style and style.isdecimal() else 0
        self.value_text = None
        self.inline = [] if self.cell_type == "inlineStr" else None

    def _inside_cell(self, tag):
        self.cell_elements += 1
        if self.cell_elements > MAX_CELL_ELEMENTS:
            raise _damaged()
        if self.phonetic_depth:
            return
        if tag == _PHONETIC:  # the reading aid of an inline string is not part of its text
            self.phonetic_depth = self.depth
        elif (tag == _VALUE and self.depth == self.cell_depth + 1) or (tag == _TEXT and self.inline is not None):
            self.text = []

    def _end_cell(self):
        self.cell_depth = 0
        self.text = None
        self.phonetic_depth = 0
        self.values[self.column - 1] = self._value()

    def _value(self):
        kind, text = self.cell_type, self.value_text
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else None
        if not text:
            return None
        try:
            if kind == "n":
                number = float(text) if ("." in text or "e" in text or "E" in text) else int(text)
                if self.cell_style in self.book.date_formats:
                    try:
                        return from_excel(
                            number, self.book.epoch, timedelta=self.cell_style in self.book.timedelta_formats
                        )
                    except (OverflowError, ValueError):
                        return "#VALUE!"  # what openpyxl makes of a date cell out of range
                return number
            if kind == "s":
                return self.book.shared_strings[int(text)]
            if kind == "b":
                return bool(int(text))
            if kind == "d":
                return from_ISO8601(text)
        except (ValueError, IndexError, OverflowError):
            raise _damaged() from None
        return text  # "str" (a formula's text result) and "e" (an error such as #N/A)


@dataclass
class _Book:
    """What reading a sheet needs from the rest of the workbook."""

    sheets: list[tuple[str, str]]  # (title, part name) in the workbook's order
    shared_strings: list
    date_formats: set
    timedelta_formats: set
    epoch: dt.datetime


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb and any part other than a sheet that is too large to parse whole.

    The sizes the zip declares bound what it unpacks (zipfile stops there), so their sum is checked first.
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _damaged()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise _file_error(
            _("The workbook unpacks to more than %(limit)s. Split the roster into several files.")
            % {"limit": filesizeformat(settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES)}
        )
    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels")):
            continue
        check = _PartCheck(info.file_size, _sheet_row_limit())
        with contextlib.suppress(_SkipPart):
            _parse(archive, info, check.start)


def _parse(archive: zipfile.ZipFile, info, start, end=None, characters=None, sheet=None):
    """Stream one part through expat with these handlers; with `sheet` (a _SheetParser), a generator of the
    rows its handlers collect, handed out after each chunk."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if characters is not None:
        parser.CharacterDataHandler = characters
        parser.buffer_text = True
    # Workbooks carry no document type; an entity declaration is how an entity-expansion bomb starts.
    parser.EntityDeclHandler = _refuse_entities
    generator = _feed(archive, info, parser, sheet)
    if sheet is None:
        for _nothing in generator:
            pass
        return None
    return generator


def _feed(archive, info, parser, sheet):
    rows = sheet.rows if sheet is not None else None
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(SCAN_CHUNK):
                parser.Parse(chunk, False)
                if sheet is not None:
                    sheet.fed += len(chunk)
                if rows:
                    yield from rows
                    rows.clear()
            parser.Parse(b"", True)
    except (RosterImportError, _SkipPart):
        raise
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        raise _damaged() from exc
    except (ValueError, NotImplementedError) as exc:  # encrypted, or an unknown compression method
        raise _not_xlsx() from exc
    if rows:
        yield from rows
        rows.clear()


def _refuse_entities(*args):
    raise _damaged()


def _open_book(data: bytes) -> _Book:
    """The workbook's sheets, shared strings and date styles, read with openpyxl's own readers.

    openpyxl's load_workbook is not used: it opens every sheet to learn its size, which for a sheet without a
    declared dimension means parsing it whole (keeping an element per cell of a row) before any check.
    """
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    workbook = reader.wb
    sheets = [
        (sheet.name, rel.target)
        for sheet, rel in reader.parser.find_sheets()
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type
    ]
    return _Book(
        sheets=sheets,
        shared_strings=reader.shared_strings,
        date_formats=set(getattr(workbook, "_date_formats", ()) or ()),
        timedelta_formats=set(getattr(workbook, "_timedelta_formats", ()) or ()),
        epoch=workbook.epoch,
    )


def _read_sheet(data: bytes, progress=None) -> _Sheet:
    """The roster sheet of the uploaded bytes, read within the roster's bounds.

    `progress(fraction)` (0 to 1), if given, is called now and then while the rows are read.
    """
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
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_xlsx() from exc
    with archive:
        _check_archive(archive)
        try:
            book = _open_book(data)
        except RosterImportError:
            raise
        except Exception as exc:
            # openpyxl reports a damaged or foreign file with whatever its parsers raise (BadZipFile,
            # InvalidFileException, KeyError, XML errors...): to the user they all mean "not a workbook".
            raise _not_xlsx() from exc
        return _find_roster(archive, book, progress)


def _sheet_rows(archive: zipfile.ZipFile, part: str, book: _Book):
    """The sheet's reader and a generator of its rows as they are read: (row number, values as wide as the
    column limit)."""
    sheet = _SheetParser(book, _sheet_row_limit(), settings.ROSTER_IMPORT_MAX_COLUMNS)
    try:
        info = archive.getinfo(part)
    except KeyError:
        raise _damaged() from None
    sheet.size = max(info.file_size, 1)
    return sheet, _parse(archive, info, sheet.start, sheet.end, sheet.characters, sheet=sheet)


def _find_roster(archive: zipfile.ZipFile, book: _Book, progress=None) -> _Sheet:
    """The first sheet whose header row (within its first rows) names every required column."""
    headers = _header_lookup()
    # The row most like a header, for the error message: one recognised word is not enough (the
    # instructions sheet lists the headers one per row), so the first non-blank row is the fallback.
    best = first = None
    for _title, part in book.sheets:
        sheet, rows = _sheet_rows(archive, part, book)
        scanned = 0
        try:
            for row_number, values in rows:
                if all(_is_blank(value) for value in values):
                    continue
                columns, duplicates = _match_header(values, headers)
                if all(key in columns for key in _REQUIRED_KEYS):
                    if duplicates:
                        raise RosterImportError([RowError(row_number, "", message) for message in duplicates])
                    return _Sheet(
                        row_number,
                        {key: index for index, key in enumerate(columns)},
                        _data_rows(rows, list(columns.values()), sheet, progress),
                        book.epoch,
                    )
                first = first or (row_number, columns)
                if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
                    best = (row_number, columns)
                scanned += 1
                if scanned >= HEADER_SCAN_ROWS:
                    break
        finally:
            rows.close()
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


def _data_rows(rows, positions: list[int], sheet: _SheetParser, progress=None) -> list[tuple[int, tuple]]:
    """The non-blank data rows, each cut down to the recognised columns (in the order of `positions`)."""
    limit = settings.ROSTER_IMPORT_MAX_ROWS
    kept = []
    for row_number, values in rows:
        if progress is not None and row_number % PROGRESS_EVERY == 0:
            progress(min(sheet.fed / sheet.size, 1.0))
        # Only the recognised columns count: a row with nothing but a pre-filled serial number is blank.
        picked = tuple(values[position] for position in positions)
        if all(_is_blank(value) for value in picked):
            continue
        if len(kept) >= limit:
            raise _file_error(
                _("The file has more than %(limit)d data rows. Split the roster into several files.") % {"limit": limit}
            )
        kept.append((row_number, picked))
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

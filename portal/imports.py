"""Roster import from Excel: the committee staff's bulk tool for cadres and their login accounts.

Staff keep their rosters in Excel sheets of every shape: columns in any order, headers in Chinese or
English, employee numbers and phones stored as numbers, dates as cells, serial numbers or text. The
import reads such a sheet, validates every row against the same rules as the model, and either writes
everything in one transaction or nothing at all, listing every error with its Excel row and column.

Re-importing a file updates cadres by employee number instead of duplicating them. A new cadre gets a
login account named by the employee number with the initial password, which must be changed at first
login. The whole import runs a bounded number of queries so a 30,000-row roster takes seconds.
"""

import contextlib
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from .audit import audit_record
from .errors import PortalError
from .models import Cadre, Unit, employee_no_validator, phone_validator
from .phones import normalize_phone
from .services import initial_password_hash

User = get_user_model()

# SQLite refuses more than 999 parameters per statement; 900 leaves room for the rest of the query.
LOOKUP_CHUNK = 900
BATCH_SIZE = 1000
# Real sheets put a title or a note above the header row; look this far for it.
HEADER_SCAN_ROWS = 10
# A genuine roster compresses about tenfold; far more than that is a zip bomb, refused before parsing.
MAX_UNCOMPRESSED_RATIO = 20
EARLIEST_BIRTH_DATE = dt.date(1930, 1, 1)
NAME_MAX_LENGTH = Cadre._meta.get_field("name").max_length
POSITION_MAX_LENGTH = Cadre._meta.get_field("position").max_length
CAR_PLATE_MAX_LENGTH = Cadre._meta.get_field("car_plate").max_length
UNIT_NAME_MAX_LENGTH = Unit._meta.get_field("name").max_length
AUTO_UNIT_CODE = "AUTO-{:04d}"

_XLSX_MAGIC = b"PK\x03\x04"
# .xls files and password-protected .xlsx files are both OLE2 compound documents.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class RosterColumn:
    """One column of the roster sheet: the Cadre field it fills and the headers that name it."""

    key: str
    label: Promise
    required: bool
    aliases: tuple[str, ...]
    help: Promise
    width: int = 14


ROSTER_COLUMNS = [
    RosterColumn(
        "employee_no",
        pgettext_lazy("roster column", "Employee number"),
        True,
        ("工号", "员工编号", "职工号", "人员编号", "employee no", "employee no.", "staff number"),
        gettext_lazy(
            "1-32 letters, digits, '-' or '_'. It is the login name and identifies the cadre: importing the same "
            "employee number again updates that cadre."
        ),
    ),
    RosterColumn(
        "name",
        pgettext_lazy("roster column", "Name"),
        True,
        ("姓名", "full name"),
        gettext_lazy("At most 50 characters."),
        width=12,
    ),
    RosterColumn(
        "gender",
        pgettext_lazy("roster column", "Gender"),
        True,
        ("性别", "sex"),
        gettext_lazy("One of the values listed, in upper or lower case."),
        width=8,
    ),
    RosterColumn(
        "birth_date",
        pgettext_lazy("roster column", "Birth date"),
        False,
        ("出生日期", "出生年月", "生日", "date of birth", "birthday"),
        gettext_lazy(
            "A date cell, or text such as 1985-03-07, 1985/3/7, 1985.3.7, 19850307 or 1985年3月7日. A year and "
            "month alone (1985.03) means the first of that month. Between 1930 and today."
        ),
        width=13,
    ),
    RosterColumn(
        "unit",
        pgettext_lazy("roster column", "Unit"),
        True,
        ("单位", "工作单位", "所在单位", "单位名称", "unit name", "organisation", "organization"),
        gettext_lazy(
            "The unit's full name, short name or code as registered in the portal. Units that do not exist are "
            "an error unless the import is asked to create them."
        ),
        width=24,
    ),
    RosterColumn(
        "position",
        pgettext_lazy("roster column", "Position"),
        False,
        ("职务", "职位", "title", "job title"),
        gettext_lazy("At most 60 characters."),
        width=16,
    ),
    RosterColumn(
        "political_status",
        pgettext_lazy("roster column", "Political status"),
        False,
        ("政治面貌",),
        gettext_lazy("Empty means the masses for a new cadre."),
    ),
    RosterColumn(
        "phone",
        pgettext_lazy("roster column", "Phone"),
        False,
        ("手机号", "手机", "手机号码", "联系电话", "电话", "mobile", "mobile phone", "phone number", "telephone"),
        gettext_lazy(
            "An 11-digit mobile number (spaces, dashes and +86 are removed) or a landline with its area code "
            "such as 0427-2812345. Format the column as text so Excel keeps every digit."
        ),
        width=16,
    ),
    RosterColumn(
        "talents",
        pgettext_lazy("roster column", "Talents"),
        False,
        ("特长", "专长", "特长爱好", "talent", "skills"),
        gettext_lazy("Several values separated by 、 , ; / or spaces."),
        width=18,
    ),
    RosterColumn(
        "car_plate",
        pgettext_lazy("roster column", "Car plate"),
        False,
        ("车牌号", "车牌", "车牌号码", "license plate", "licence plate"),
        gettext_lazy("At most 12 characters; spaces and '·' are removed, letters are capitalised."),
        width=12,
    ),
]
_COLUMNS_BY_KEY = {column.key: column for column in ROSTER_COLUMNS}
_REQUIRED_KEYS = [column.key for column in ROSTER_COLUMNS if column.required]
# Fields the import compares and writes; the other Cadre fields (is_active, is_liaison...) are not its business.
_DATA_FIELDS = [column.key for column in ROSTER_COLUMNS if column.key not in ("employee_no", "unit")] + ["unit_id"]

# The words Chinese rosters really use, accepted whatever the interface language. The first word of
# each list is the canonical one that the template offers.
_GENDER_WORDS = {
    Cadre.Gender.MALE: ("男", "男性", "m", "male"),
    Cadre.Gender.FEMALE: ("女", "女性", "f", "female"),
}
_POLITICAL_WORDS = {
    Cadre.PoliticalStatus.CPC_MEMBER: ("中共党员", "中国共产党党员", "共产党员", "党员"),
    Cadre.PoliticalStatus.CPC_PROBATIONARY: ("中共预备党员", "预备党员"),
    Cadre.PoliticalStatus.CYL_MEMBER: ("共青团员", "团员"),
    Cadre.PoliticalStatus.DEMOCRATIC_PARTY: (
        "民主党派成员",
        "民主党派",
        "民革党员",
        "民盟盟员",
        "民建会员",
        "民进会员",
        "农工党党员",
        "致公党党员",
        "九三学社社员",
        "台盟盟员",
    ),
    Cadre.PoliticalStatus.NON_PARTISAN: ("无党派人士", "无党派"),
    Cadre.PoliticalStatus.MASSES: ("群众",),
}
_TALENT_WORDS = {
    Cadre.Talent.CALLIGRAPHY: ("书法",),
    Cadre.Talent.PHOTOGRAPHY: ("摄影",),
    Cadre.Talent.VIDEO: ("视频制作", "视频", "摄像"),
    Cadre.Talent.HOSTING: ("主持", "主持人"),
    Cadre.Talent.WRITING: ("写作", "文字写作", "文稿写作"),
    Cadre.Talent.FIRST_AID: ("急救",),
    Cadre.Talent.SINGING: ("唱歌", "歌唱", "声乐"),
    Cadre.Talent.INSTRUMENT: ("乐器", "器乐", "乐器演奏"),
    Cadre.Talent.DESIGN: ("平面设计", "设计"),
    Cadre.Talent.SPORTS_REFEREE: ("体育裁判", "裁判"),
}
_TALENT_ORDER = {value: index for index, value in enumerate(Cadre.Talent.values)}
_TALENT_SEPARATORS = re.compile(r"[、,，;；/／|]+")
_CJK_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·・]+$")
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


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


@dataclass
class ImportSummary:
    """What an import did: cadres created, updated and unchanged, and the names of units it created."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self):
        message = ngettext(
            "%(total)d row imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            "%(total)d rows imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            self.total,
        ) % {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.units_created:
            message += " " + _("Units created: %(units)s.") % {"units": _join(self.units_created)}
        return message


def roster_import(*, actor, uploaded_file, create_missing_units: bool) -> ImportSummary:
    """Import a roster .xlsx: create or update cadres (matched by employee number) and their login accounts.

    Every row is validated before anything is written; one transaction then writes the units to create
    (only with `create_missing_units`), new accounts (login name = employee number, the initial password,
    must change it at first login), new cadres, changed cadres, and one audit entry "roster.import".
    An empty optional cell leaves an existing cadre's value as it is.

    Raises RosterImportError, listing every problem with its row and column, when the file is not a
    readable .xlsx, is too large or too long, lacks a required column, or has any invalid row; nothing
    is saved then.
    """
    file_name = os.path.basename(str(getattr(uploaded_file, "name", "") or ""))
    data = _read_upload(uploaded_file)
    sheet = _read_sheet(data)
    vocabulary = _Vocabulary()
    units = _UnitDirectory(create_missing=create_missing_units)
    records, errors = _validate_rows(sheet, vocabulary, units)
    existing = _existing_cadres([record["employee_no"] for record in records])
    errors += _account_collisions(records, existing)
    if errors:
        raise RosterImportError(errors)
    try:
        with transaction.atomic():
            summary = _write(records, existing, units)
            audit_record(
                actor=actor,
                action="roster.import",
                object_type="portal.cadre",
                changes={
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "units_created": summary.units_created,
                    "file": file_name,
                },
            )
    except IntegrityError as exc:
        # Only a concurrent change between validation and writing can get here (an account or unit
        # created meanwhile); the transaction has rolled back, so a retry sees the new state.
        raise RosterImportError(
            [RowError(0, "", _("The cadres changed while the file was being imported; please import it again."))]
        ) from exc
    return summary


def roster_template_bytes() -> bytes:
    """An empty roster workbook to fill in: the header row in the active language and one example row,
    plus an instructions sheet listing each column, whether it is required and the values it accepts.

    Reads the first unit (for a realistic example); writes nothing.
    """
    chinese = (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Roster")[:31]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    example = _template_example(chinese)
    for index, column in enumerate(ROSTER_COLUMNS, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=str(column.label))
        header.font = bold
        header.fill = fill
        header.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[letter].width = max(column.width, _display_width(str(column.label)) + 4)
        cell = sheet.cell(row=2, column=index, value=example[column.key])
        # Text format stops Excel turning long numbers into 1.38E+10 and dropping leading zeros.
        if column.key in ("employee_no", "phone", "car_plate"):
            sheet.column_dimensions[letter].number_format = "@"
            cell.number_format = "@"
        elif column.key == "birth_date":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for key, choices in (
        ("gender", _offered_values(Cadre.Gender, _GENDER_WORDS, chinese)),
        ("political_status", _offered_values(Cadre.PoliticalStatus, _POLITICAL_WORDS, chinese)),
    ):
        # A drop-down as a hint only: the other spellings the import accepts may still be typed.
        validation = DataValidation(type="list", formula1='"{}"'.format(",".join(choices)), allow_blank=True)
        validation.showErrorMessage = False
        letter = get_column_letter([column.key for column in ROSTER_COLUMNS].index(key) + 1)
        validation.add(f"{letter}2:{letter}{settings.ROSTER_IMPORT_MAX_ROWS + 1}")
        sheet.add_data_validation(validation)
    _write_instructions(workbook.create_sheet(_("Instructions")[:31]), chinese)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Reading the file ------------------------------------------------------------------------------------


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


def _join(items) -> str:
    separator = "、" if (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh") else ", "
    return separator.join(str(item) for item in items)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _key(value) -> str:
    """The form in which headers and listed values are compared: NFKC, no whitespace, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


def _header_key(value) -> str:
    # "手机号*" and "出生日期(yyyy-mm-dd)" still name their column.
    return re.sub(r"\([^()]*\)$", "", _key(value).strip("*")).strip("*")


def _languages() -> list[str]:
    languages = ["en", *(code for code, _name in settings.LANGUAGES), translation.get_language()]
    return list(dict.fromkeys(language for language in languages if language))


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for column in ROSTER_COLUMNS:
        for alias in (column.key, *column.aliases):
            lookup.setdefault(_header_key(alias), column.key)
    for language in _languages():
        with translation.override(language):
            for column in ROSTER_COLUMNS:
                lookup.setdefault(_header_key(column.label), column.key)
    return lookup


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


# Validating rows -------------------------------------------------------------------------------------


class _CellError(Exception):
    pass


class _Vocabulary:
    """Every accepted spelling of gender, political status and talents, in every configured language."""

    def __init__(self):
        self.gender = self._build(Cadre.Gender, _GENDER_WORDS)
        self.political = self._build(Cadre.PoliticalStatus, _POLITICAL_WORDS)
        self.talents = self._build(Cadre.Talent, _TALENT_WORDS)
        self.talents.update({_key(value.replace("_", " ")): value for value in Cadre.Talent.values})

    @staticmethod
    def _build(choices, words) -> dict[str, str]:
        lookup = {}
        for value, spellings in words.items():
            for spelling in (value, *spellings):
                lookup[_key(spelling)] = str(value)
        for language in _languages():
            with translation.override(language):
                for choice in choices:
                    lookup.setdefault(_key(choice.label), choice.value)
        return lookup


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


def _validate_rows(sheet: _Sheet, vocabulary: _Vocabulary, units: _UnitDirectory):
    """Parse every data row into a record of field values; collect an error for every bad cell.

    A record holds only the optional fields whose cell is filled, so that an update leaves the others.
    """
    parser = _CellParser(vocabulary, units, sheet.epoch)
    parsers = [(key, position, getattr(parser, key)) for key, position in sheet.columns.items()]
    labels = {column.key: str(column.label) for column in ROSTER_COLUMNS}
    records, errors = [], []
    first_row_of = {}
    for row_number, values in sheet.rows:
        width = len(values)
        record = {"row": row_number}
        row_ok = True
        for key, position, parse in parsers:
            value = values[position] if position < width else None
            try:
                if _is_blank(value):
                    if _COLUMNS_BY_KEY[key].required:
                        raise _CellError(_("This column is required."))
                    continue
                record[key] = parse(value)
            except _CellError as error:
                errors.append(RowError(row_number, labels[key], str(error)))
                row_ok = False
        employee_no = record.get("employee_no")
        if employee_no is not None:
            if employee_no in first_row_of:
                errors.append(
                    RowError(
                        row_number,
                        labels["employee_no"],
                        _("Employee number %(no)s already appears in row %(row)d.")
                        % {"no": employee_no, "row": first_row_of[employee_no]},
                    )
                )
                row_ok = False
            else:
                first_row_of[employee_no] = row_number
        if row_ok:
            records.append(record)
    return records, errors


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _quoted(value) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _CellParser:
    """One method per column: the cell's value in the form the Cadre field stores, or _CellError."""

    def __init__(self, vocabulary: _Vocabulary, units: _UnitDirectory, epoch):
        self.vocabulary = vocabulary
        self.units = units
        self.epoch = epoch
        self.today = timezone.localdate()

    def employee_no(self, value):
        text = _text(value)
        if not employee_no_validator.regex.match(text):
            raise _CellError(f"{employee_no_validator.message} ({_quoted(value)})")
        return text

    def name(self, value):
        text = " ".join(_text(value).split())
        # Chinese rosters pad two-character names with spaces to align them: "张  三" is 张三.
        if _CJK_NAME.match(text.replace(" ", "")):
            text = text.replace(" ", "")
        if len(text) > NAME_MAX_LENGTH:
            raise _CellError(_("A name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH})
        return text

    def gender(self, value):
        gender = self.vocabulary.gender.get(_key(_text(value)))
        if gender is None:
            raise _CellError(_("Unknown gender %(value)s: write 男 or 女 (M or F).") % {"value": _quoted(value)})
        return gender

    def birth_date(self, value):
        date = self._date(value)
        if date > self.today:
            raise _CellError(_("The birth date %(date)s is in the future.") % {"date": date.isoformat()})
        if date < EARLIEST_BIRTH_DATE:
            raise _CellError(_("The birth date %(date)s is before 1930.") % {"date": date.isoformat()})
        return date

    def _date(self, value) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        bad = _CellError(
            _("%(value)s is not a date; write it like 1985-03-07.") % {"value": _quoted(value)},
        )
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int | float):
            if value == int(value) and 19000101 <= value <= 29991231:
                return self._ymd(str(int(value)), *_DATE_DIGITS.match(str(int(value))).groups())
            if 1 <= value < 2958466:
                if 1900 <= value < 2100:
                    # 1985.03 typed as a number: a year, not a day count, and the month may be lost (1985.1).
                    raise bad
                return from_excel(value, self.epoch).date()
            raise bad
        if not isinstance(value, str):
            raise bad
        text = unicodedata.normalize("NFKC", value).strip()
        match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
        if not match:
            raise bad
        return self._ymd(text, *match.groups())

    @staticmethod
    def _ymd(text, year, month, day) -> dt.date:
        try:
            return dt.date(int(year), int(month), int(day or 1))
        except ValueError:
            raise _CellError(_("%(value)s is not a valid date.") % {"value": text}) from None

    def unit(self, value):
        return self.units.resolve(_text(value))

    def position(self, value):
        text = " ".join(_text(value).split())
        if len(text) > POSITION_MAX_LENGTH:
            raise _CellError(_("A position has at most %(max)d characters.") % {"max": POSITION_MAX_LENGTH})
        return text

    def political_status(self, value):
        status = self.vocabulary.political.get(_key(_text(value)))
        if status is None:
            raise _CellError(
                _("Unknown political status %(value)s; the accepted values are: %(values)s.")
                % {"value": _quoted(value), "values": _join(_offered_values(Cadre.PoliticalStatus, _POLITICAL_WORDS))}
            )
        return status

    def phone(self, value):
        phone = normalize_phone(value)
        if not phone or not phone_validator.regex.match(phone):
            raise _CellError(
                _(
                    "%(value)s is not a phone number: write an 11-digit mobile number or a landline such as "
                    "0427-2812345."
                )
                % {"value": _quoted(value)}
            )
        return phone

    def talents(self, value):
        lookup = self.vocabulary.talents
        found, unknown = [], []
        for segment in _TALENT_SEPARATORS.split(_text(value)):
            words = segment.split()
            start = 0
            while start < len(words):
                # Longest run of words that names a talent: "First aid" is one talent, "书法 摄影" two.
                for end in range(len(words), start, -1):
                    talent = lookup.get(_key(" ".join(words[start:end])))
                    if talent is not None:
                        found.append(talent)
                        start = end
                        break
                else:
                    unknown.append(words[start])
                    start += 1
        if unknown:
            raise _CellError(
                _("Unknown talent %(value)s; the accepted values are: %(values)s.")
                % {"value": _join(unknown), "values": _join(_offered_values(Cadre.Talent, _TALENT_WORDS))}
            )
        return sorted(set(found), key=_TALENT_ORDER.__getitem__)

    def car_plate(self, value):
        plate = re.sub(r"[\s·・•.\-]", "", unicodedata.normalize("NFKC", _text(value))).upper()
        if len(plate) > CAR_PLATE_MAX_LENGTH:
            raise _CellError(_("A car plate has at most %(max)d characters.") % {"max": CAR_PLATE_MAX_LENGTH})
        return plate


# Checking against the database and writing ----------------------------------------------------------


def _chunks(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_cadres(employee_nos: list[str]) -> dict[str, dict]:
    """The stored values of the cadres with these employee numbers, keyed by employee number."""
    # order_by(): the model's default ordering would join units on every chunk for nothing.
    existing = {}
    for chunk in _chunks(employee_nos):
        for values in (
            Cadre.objects.filter(employee_no__in=chunk).order_by().values("user_id", "employee_no", *_DATA_FIELDS)
        ):
            existing[values["employee_no"]] = values
    return existing


def _account_collisions(records: list[dict], existing: dict[str, dict]) -> list[RowError]:
    """Errors for new employee numbers that are already the login name of an account without this cadre."""
    new = {record["employee_no"]: record["row"] for record in records if record["employee_no"] not in existing}
    taken = []
    for chunk in _chunks(list(new)):
        taken += User.objects.filter(username__in=chunk).values_list("username", flat=True)
    label = str(_COLUMNS_BY_KEY["employee_no"].label)
    return [
        RowError(
            new[username],
            label,
            _("Employee number %(no)s is already the login name of another account that is not a cadre.")
            % {"no": username},
        )
        for username in taken
    ]


def _write(records: list[dict], existing: dict[str, dict], units: _UnitDirectory) -> ImportSummary:
    summary = ImportSummary()
    if units.new_units:
        new_units = list(units.new_units.values())
        Unit.objects.bulk_create(
            [Unit(name=u.name, code=u.code, kind=Unit.Kind.OTHER, sort_order=u.sort_order) for u in new_units]
        )
        # Asked for rather than taken from bulk_create, which does not return keys on every backend.
        pks = dict(Unit.objects.filter(code__in=[u.code for u in new_units]).values_list("code", "pk"))
        for unit in new_units:
            unit.pk = pks[unit.code]
        summary.units_created = [unit.name for unit in new_units]
    for record in records:
        unit = record.pop("unit")
        record["unit_id"] = unit.pk if isinstance(unit, _NewUnit) else unit

    to_create = [record for record in records if record["employee_no"] not in existing]
    if to_create:
        password = initial_password_hash()
        User.objects.bulk_create(
            [User(username=record["employee_no"], password=password, is_active=True) for record in to_create],
            batch_size=BATCH_SIZE,
        )
        user_pks = {}
        for chunk in _chunks([record["employee_no"] for record in to_create]):
            user_pks.update(User.objects.filter(username__in=chunk).values_list("username", "pk"))
        Cadre.objects.bulk_create(
            [
                Cadre(
                    user_id=user_pks[record["employee_no"]],
                    must_change_password=True,
                    **{key: value for key, value in record.items() if key != "row"},
                )
                for record in to_create
            ],
            batch_size=BATCH_SIZE,
        )
        summary.created = len(to_create)

    changed_objects, changed_fields = [], set()
    for record in records:
        stored = existing.get(record["employee_no"])
        if stored is None:
            continue
        changes = {name: record[name] for name in _DATA_FIELDS if name in record and record[name] != stored[name]}
        if not changes:
            summary.unchanged += 1
            continue
        changed_fields.update(changes)
        values = {name: stored[name] for name in _DATA_FIELDS} | changes
        changed_objects.append(Cadre(user_id=stored["user_id"], employee_no=record["employee_no"], **values))
    if changed_objects:
        _update_cadres(changed_objects, [name.removesuffix("_id") for name in _DATA_FIELDS if name in changed_fields])
        summary.updated = len(changed_objects)
    return summary


def _update_cadres(cadres: list[Cadre], fields: list[str]) -> None:
    """Write `fields` (the union of what changed; unchanged rows keep their value) of existing cadres.

    An upsert keyed on the employee number costs what an insert costs; bulk_update builds a CASE per row
    and field in Python and took 28 s for 30,000 rows with six changed columns, too close to the budget.
    """
    fields = [*fields, "updated_at"]
    if connection.features.supports_update_conflicts_with_target:
        Cadre.objects.bulk_create(
            cadres, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["employee_no"], update_fields=fields
        )
        return
    pks = dict(
        row
        for chunk in _chunks([cadre.employee_no for cadre in cadres])
        for row in Cadre.objects.filter(employee_no__in=chunk).order_by().values_list("employee_no", "pk")
    )
    now = timezone.now()
    for cadre in cadres:
        cadre.pk = pks[cadre.employee_no]
        cadre.updated_at = now
    Cadre.objects.bulk_update(cadres, fields, batch_size=BATCH_SIZE)


# The template ----------------------------------------------------------------------------------------


def _offered_values(choices, words, chinese: bool | None = None) -> list[str]:
    """The spelling the template offers for each choice: the Chinese word in Chinese, else the label."""
    if chinese is None:
        chinese = (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")
    return [words[choice][0] if chinese else str(choice.label) for choice in choices]


def _accepted_values(choices, words) -> str:
    lines = []
    for choice in choices:
        spellings = {}
        for spelling in (str(choice.label), *words[choice], choice.value):
            spellings.setdefault(spelling.casefold(), spelling)
        lines.append(" / ".join(spellings.values()))
    return "\n".join(lines)


def _template_example(chinese: bool) -> dict:
    unit = Unit.objects.filter(is_active=True).values_list("name", flat=True).first()
    return {
        "employee_no": "10001",
        "name": "张三" if chinese else "Zhang San",
        "gender": _offered_values(Cadre.Gender, _GENDER_WORDS, chinese)[0],
        "birth_date": dt.date(1985, 3, 7),
        "unit": unit or ("市财政局" if chinese else "Municipal Finance Bureau"),
        "position": "科员" if chinese else "Clerk",
        "political_status": _offered_values(Cadre.PoliticalStatus, _POLITICAL_WORDS, chinese)[0],
        "phone": "13812345678",
        "talents": _join(_offered_values(Cadre.Talent, _TALENT_WORDS, chinese)[:2]),
        "car_plate": "辽A12345",
    }


def _write_instructions(sheet, chinese: bool) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    notes = [
        _("Fill in one row per cadre below the header row of the first sheet; do not rename the headers."),
        _("Columns may be in any order; columns the portal does not know are ignored, and so are blank rows."),
        _(
            "A cadre whose employee number is already in the portal is updated; an empty optional cell leaves the "
            "stored value unchanged."
        ),
        _(
            "A new cadre gets an account whose login name is the employee number, with the initial password; "
            "it must be changed at the first login."
        ),
        _("If any row has an error, nothing is imported and every error is listed with its row and column."),
    ]
    sheet.append([_("How to fill in the roster")])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("Column"), _("Required"), _("Format"), _("Accepted values")])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    accepted = {
        "gender": _accepted_values(Cadre.Gender, _GENDER_WORDS),
        "political_status": _accepted_values(Cadre.PoliticalStatus, _POLITICAL_WORDS),
        "talents": _accepted_values(Cadre.Talent, _TALENT_WORDS),
    }
    for column in ROSTER_COLUMNS:
        sheet.append(
            [
                str(column.label),
                _("Yes") if column.required else _("No"),
                str(column.help),
                accepted.get(column.key, ""),
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    for letter, width in zip("ABCD", (16, 8, 60, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

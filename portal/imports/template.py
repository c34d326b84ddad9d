"""The downloadable roster template: a header row in the active language with one example row, and an
instructions sheet listing each column, whether it is required and the values it accepts."""

import datetime as dt
import io
import unicodedata

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Cadre, Unit
from .columns import _GENDER_WORDS, _POLITICAL_WORDS, _TALENT_WORDS, ROSTER_COLUMNS, _offered_values
from .text import _join


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

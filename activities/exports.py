"""Excel export of a competition's entries: one row per team member, as the committee's sheets keep them."""

import io
from datetime import date

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.excel import append_row, text_cell

from .models import Competition, Team, TeamMember

# The sheet is a working document for the committee's Chinese-language offices (and the roster import reads the
# same headers back), so its headers are fixed Chinese words rather than UI strings that follow the language.
ENTRY_HEADERS = ("单位", "队伍", "参赛号", "姓名", "工号", "性别", "年龄")
GENDER_LABELS = {"M": "男", "F": "女"}
COLUMN_WIDTHS = (24, 24, 8, 12, 12, 6, 6)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def age_on(birth_date: date | None, day: date) -> int | None:
    """Whole years of age on `day` (the competition's first day), None without a birth date."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def entry_rows(competition: Competition):
    """(unit, team, place_no, name, employee_no, gender, age) for every member of the active teams; two queries."""
    first_day = timezone.localtime(competition.activity.starts_at).date()
    members = (
        TeamMember.objects.filter(team__competition=competition, team__status=Team.Status.ACTIVE)
        .select_related("team__unit", "cadre")
        .order_by("team__unit__sort_order", "team__unit__code", "team__place_no", "id")
    )
    for member in members.iterator(chunk_size=2000):
        team, cadre = member.team, member.cadre
        yield (
            team.unit.name,
            team.name,
            team.place_no,
            cadre.name,
            cadre.employee_no,
            GENDER_LABELS.get(cadre.gender, cadre.gender),
            age_on(cadre.birth_date, first_day),
        )


def competitions_entries_xlsx(competitions) -> bytes:
    """The entries of one or more competitions as an .xlsx file, one sheet per competition.

    openpyxl's write-only mode streams the rows, so memory stays flat however many entries there are.
    Two queries per competition.
    """
    workbook = Workbook(write_only=True)
    titles = set()
    bold = Font(bold=True)
    for competition in competitions:
        sheet = workbook.create_sheet(title=_sheet_title(competition, titles))
        for index, width in enumerate(COLUMN_WIDTHS):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([text_cell(sheet, text, font=bold) for text in ENTRY_HEADERS])
        # Unit, team and cadre names come from users: written as text, a leading "=" never becomes a formula.
        for row in entry_rows(competition):
            append_row(sheet, row)
    if not titles:
        workbook.create_sheet(title="entries").append(list(ENTRY_HEADERS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(competition: Competition, taken: set) -> str:
    # Excel forbids these characters in sheet titles, allows at most 31 characters, and titles must be unique.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in competition.name).strip() or "entries"
    title = cleaned[:31]
    if title in taken:
        suffix = f" ({competition.pk})"
        title = cleaned[: 31 - len(suffix)] + suffix
    taken.add(title)
    return title

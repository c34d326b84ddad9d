"""Initial passwords: one random one-time password per account, printed for the people who hand them out.

New accounts have no usable password (portal.services.initial_password_hash). A unit's liaison (on the site) or
committee staff (in the admin) issue initial passwords and receive them once, as a workbook to print and cut
into slips; only the hashes are stored, and the audit trail records who received one, never the password.
Issuing again replaces every password not yet used, so a lost or stolen printout is voided by printing anew.
"""

import io
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet

from .audit import audit_record
from .errors import PortalError
from .excel import append_row, text_cell
from .hashers import initial_password_hasher
from .locking import lock_rows
from .models import Cadre, Unit

User = get_user_model()

# No 0/O/o, 1/l/I: the password is read off paper and typed on a phone. 56 symbols, 10 characters: about 58 bits.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 10
# Hashing costs about 3 ms per account (portal.hashers); beyond this many one request would near gunicorn's timeout.
MAX_PER_REQUEST = 5000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NothingToIssue(PortalError):
    """Every active cadre concerned has already chosen their own password."""


@dataclass(frozen=True)
class IssuedPassword:
    """One account's new initial password, in plain text: handed out once, never stored."""

    unit_name: str
    employee_no: str
    name: str
    password: str


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def credentials_pending_count(*, unit: Unit) -> int:
    """How many active cadres of the unit have not chosen their own password yet."""
    return Cadre.objects.filter(unit=unit, is_active=True, must_change_password=True).count()


@transaction.atomic
def credentials_issue(*, actor, unit: Unit, cadres=None) -> list[IssuedPassword]:
    """Give every active cadre of `unit` who has not chosen their own password a fresh random initial password.

    `cadres` narrows the issue to some of the unit's cadres. Cadres who already chose their own password are left
    alone: a liaison can hand out first passwords but can never take over a colleague's account. Any earlier
    initial password of these accounts stops working, and their failed-login locks are lifted. Writes one audit
    entry "unit.credentials_issue" naming the cadres (no passwords). Returns the plain passwords, in employee
    number order, for the printout. Raises PortalError when nobody is waiting for a password or there are too
    many for one request.
    """
    queryset = Cadre.objects.filter(unit=unit, is_active=True, must_change_password=True)
    if cadres is not None:
        queryset = queryset.filter(pk__in=[cadre.pk for cadre in cadres])
    # Locked, then checked again: a cadre who changes their password meanwhile (services.password_change) drops out.
    targets = lock_rows(queryset, select_related=["user", "unit"])
    if not targets:
        raise NothingToIssue(
            _("Every active cadre of %(unit)s has already chosen their own password: there is nothing to issue.")
            % {"unit": unit.name}
        )
    issued = _set_passwords(targets)
    audit_record(
        actor=actor,
        action="unit.credentials_issue",
        obj=unit,
        changes={"count": len(issued), "employee_nos": [item.employee_no for item in issued]},
    )
    return issued


@transaction.atomic
def credentials_issue_units(*, actor, units) -> list[tuple[Unit, list[IssuedPassword]]]:
    """credentials_issue for several units at once (staff), all or nothing; units with nobody waiting are skipped.

    One transaction: if any unit fails, no password changes, so no printout is voided without its replacement.
    Raises NothingToIssue when no unit has anybody waiting, PortalError when there are too many for one request.
    """
    units = sorted(units, key=lambda unit: (unit.sort_order, unit.code))
    pending = Cadre.objects.filter(unit__in=units, is_active=True, must_change_password=True).count()
    _check_batch_size(pending)
    groups = []
    for unit in units:
        try:
            groups.append((unit, credentials_issue(actor=actor, unit=unit)))
        except NothingToIssue:
            continue
    if not groups:
        raise NothingToIssue(_("Every active cadre of the selected units has already chosen their own password."))
    return groups


@transaction.atomic
def credentials_reset(*, actor, cadres) -> list[IssuedPassword]:
    """Staff's reset of forgotten passwords: a fresh random initial password for each selected active cadre.

    Unlike credentials_issue this replaces a password the cadre chose; they must choose a new one at next login.
    Lifts failed-login locks on those accounts, since the reset is usually why staff were called. Writes one
    audit entry "cadre.password_reset" per cadre. Raises PortalError when no selected cadre is active.
    """
    targets = lock_rows(
        Cadre.objects.filter(is_active=True), [cadre.pk for cadre in cadres], select_related=["user", "unit"]
    )
    if not targets:
        raise PortalError(_("None of the selected cadres is active; an inactive cadre cannot log in."))
    issued = _set_passwords(targets)
    for cadre in targets:
        audit_record(actor=actor, action="cadre.password_reset", obj=cadre)
    return issued


def _set_passwords(targets: list[Cadre]) -> list[IssuedPassword]:
    from axes.models import AccessAttempt

    _check_batch_size(len(targets))
    hasher = initial_password_hasher()
    targets = sorted(targets, key=lambda cadre: (cadre.unit.sort_order, cadre.unit.code, cadre.employee_no))
    issued, users = [], []
    for cadre in targets:
        password = generate_password()
        cadre.user.password = make_password(password, hasher=hasher)
        users.append(cadre.user)
        issued.append(IssuedPassword(cadre.unit.name, cadre.employee_no, cadre.name, password))
    User.objects.bulk_update(users, ["password"], batch_size=500)
    Cadre.objects.filter(pk__in=[cadre.pk for cadre in targets]).update(
        must_change_password=True, updated_at=timezone.now()
    )
    AccessAttempt.objects.filter(username__in=[cadre.user.username for cadre in targets]).delete()
    return issued


def _check_batch_size(count: int) -> None:
    if count > MAX_PER_REQUEST:
        raise PortalError(
            _("%(count)d accounts at once are too many; choose at most %(max)d (fewer units) and repeat.")
            % {"count": count, "max": MAX_PER_REQUEST}
        )


# The printout -------------------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_PASSWORD_FONT = Font(name="Consolas", size=12, bold=True)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def credentials_workbook(groups: list[tuple[str, list[IssuedPassword]]]) -> bytes:
    """The printable workbook: one sheet per (title, passwords) group, A4, header rows repeated on every page."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used_titles = set()
    for title, passwords in groups:
        sheet = workbook.create_sheet(_sheet_title(title, used_titles))
        _fill_sheet(sheet, title, passwords)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_sheet(sheet: Worksheet, title: str, passwords: list[IssuedPassword]) -> None:
    issued_at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    append_row(sheet, [text_cell(sheet, _("Initial passwords: %(title)s") % {"title": title}, font=_TITLE_FONT)])
    append_row(
        sheet,
        [
            _(
                "Issued %(at)s. Each password works once, until its owner logs in and chooses their own; "
                "issuing again voids this list. Hand each slip to its owner only."
            )
            % {"at": issued_at}
        ],
    )
    header = [_("Unit"), _("Employee number"), _("Name"), _("Initial password")]
    append_row(sheet, [text_cell(sheet, label, font=_HEADER_FONT) for label in header])
    for item in passwords:
        append_row(
            sheet,
            [
                item.unit_name,
                item.employee_no,
                item.name,
                text_cell(sheet, item.password, font=_PASSWORD_FONT),
            ],
        )
    for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row, max_col=len(header)):
        for cell in row:
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(header))
    sheet.cell(row=2, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 45
    for letter, width in zip("ABCD", (28, 16, 14, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_PORTRAIT
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:3"
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "&P / &N"


def _sheet_title(title: str, used: set) -> str:
    # Excel refuses these characters and titles over 31 characters, and two sheets may not share a title.
    base = "".join("_" if char in "[]:*?/\\" else char for char in title).strip("'") or "Sheet"
    base = base[:31]
    candidate, number = base, 2
    while candidate.casefold() in used:
        suffix = f" ({number})"
        candidate, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.casefold())
    return candidate


def workbook_response(workbook: bytes, stem: str) -> HttpResponse:
    """The workbook as a download that no browser or proxy keeps a copy of (it holds passwords)."""
    response = HttpResponse(workbook, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    add_never_cache_headers(response)
    return response

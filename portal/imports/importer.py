"""The import itself: read the sheet, validate every row, check it against the stored cadres and
accounts, then write units, accounts and cadres in one transaction, in a bounded number of queries."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import history
from ..audit import audit_record
from ..models import Cadre, Unit
from ..services import initial_password_hash, units_roster_changed
from .cells import _CellParser
from .columns import _COLUMNS_BY_KEY, ROSTER_COLUMNS, _Vocabulary
from .errors import RosterImportError, RowError, _CellError
from .text import _is_blank, _join
from .units import _NewUnit, _UnitDirectory
from .workbook import PROGRESS_EVERY, _read_sheet, _read_upload, _Sheet

User = get_user_model()

# SQLite refuses more than 999 parameters per statement; 900 leaves room for the rest of the query.
LOOKUP_CHUNK = 900
BATCH_SIZE = 1000
# Where each stage starts on the 0-100 progress bar: reading the sheet is most of the work.
PROGRESS_READ_START = 5
PROGRESS_VALIDATE_START = 60
PROGRESS_WRITE_START = 85
# Fields the import compares and writes; the other Cadre fields (is_active, is_liaison...) are not its business.
_DATA_FIELDS = [column.key for column in ROSTER_COLUMNS if column.key not in ("employee_no", "unit")] + ["unit_id"]


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


def roster_import(
    *,
    actor,
    uploaded_file,
    create_missing_units: bool,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import a roster .xlsx: create or update cadres (matched by employee number) and their login accounts.

    Every row is validated before anything is written; one transaction then writes the units to create
    (only with `create_missing_units`), new accounts (login name = employee number, the initial password,
    must change it at first login), new cadres, changed cadres, and one audit entry "roster.import".
    An empty optional cell leaves an existing cadre's value as it is.

    `progress(percent)` is called now and then (reading is most of the work, then validating, then writing);
    `before_commit(summary)` runs inside the transaction after the writes, so that whatever it records
    (the import job's result) commits with them, and whatever it raises undoes them.

    Raises RosterImportError, listing every problem with its row and column, when the file is not a
    readable .xlsx, is too large or too long, reaches beyond the rows and columns a roster may have, lacks
    a required column, or has any invalid row; nothing is saved then.
    """
    report = progress or _no_progress
    file_name = os.path.basename(str(getattr(uploaded_file, "name", "") or ""))
    data = _read_upload(uploaded_file)
    report(PROGRESS_READ_START)
    sheet = _read_sheet(data, progress=_scaled(report, PROGRESS_READ_START, PROGRESS_VALIDATE_START))
    del data  # the rows are read: free the file's bytes before validating
    report(PROGRESS_VALIDATE_START)
    vocabulary = _Vocabulary()
    units = _UnitDirectory(create_missing=create_missing_units)
    records, errors = _validate_rows(
        sheet, vocabulary, units, _scaled(report, PROGRESS_VALIDATE_START, PROGRESS_WRITE_START)
    )
    report(PROGRESS_WRITE_START)
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
            if before_commit is not None:
                before_commit(summary)
    except IntegrityError as exc:
        # Only a concurrent change between validation and writing can get here (an account or unit
        # created meanwhile); the transaction has rolled back, so a retry sees the new state.
        raise RosterImportError(
            [RowError(0, "", _("The cadres changed while the file was being imported; please import it again."))]
        ) from exc
    return summary


# Validating rows -------------------------------------------------------------------------------------


def _no_progress(percent: int) -> None:
    pass


def _scaled(report: Callable[[int], None], start: int, end: int) -> Callable[[float], None]:
    """A progress callback for one stage: its fraction (0 to 1) as a percent between `start` and `end`."""
    last = [start]

    def scaled(fraction: float) -> None:
        percent = start + int((end - start) * min(max(fraction, 0.0), 1.0))
        if percent != last[0]:
            last[0] = percent
            report(percent)

    return scaled


def _validate_rows(sheet: _Sheet, vocabulary: _Vocabulary, units: _UnitDirectory, progress=None):
    """Parse every data row into a record of field values; collect an error for every bad cell.

    A record holds only the optional fields whose cell is filled, so that an update leaves the others.
    """
    parser = _CellParser(vocabulary, units, sheet.epoch)
    parsers = [(key, position, getattr(parser, key)) for key, position in sheet.columns.items()]
    labels = {column.key: str(column.label) for column in ROSTER_COLUMNS}
    records, errors = [], []
    first_row_of = {}
    total = len(sheet.rows)
    for index, (row_number, values) in enumerate(sheet.rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index / total)
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
            Cadre.objects.filter(employee_no__in=chunk)
            .order_by()
            .values("pk", "user_id", "employee_no", "is_active", *_DATA_FIELDS)
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
        history.units_started([unit.pk for unit in new_units])
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
        created_ids = {}
        for chunk in _chunks([record["employee_no"] for record in to_create]):
            created_ids.update(Cadre.objects.filter(employee_no__in=chunk).values_list("pk", "unit_id"))
        history.cadres_started(created_ids)
        summary.created = len(to_create)

    changed_objects, changed_fields, moves = [], set(), {}
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
        if "unit_id" in changes and stored.get("is_active"):
            moves[stored["pk"]] = (stored["unit_id"], changes["unit_id"])
    if changed_objects:
        _update_cadres(changed_objects, [name.removesuffix("_id") for name in _DATA_FIELDS if name in changed_fields])
        summary.updated = len(changed_objects)
    history.cadres_moved(moves)
    # The unit pages cache their lists of cadres per unit version: every unit the import touched has changed.
    units_roster_changed({record["unit_id"] for record in records} | {old for old, _new in moves.values()})
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

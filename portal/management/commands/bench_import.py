"""Time the roster import on a generated roster, and on hostile files, against whatever database is configured,
and leave no trace. Each import prints its time, the peak of Python allocations (tracemalloc, measured in a
separate traced run since tracing slows allocation down) and the process's peak resident memory (ru_maxrss)."""

import datetime as dt
import io
import os
import random
import resource
import tempfile
import time
import tracemalloc
import zipfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from openpyxl import Workbook, load_workbook

from portal.imports import RosterImportError, roster_import
from portal.models import Cadre, Unit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩然欣怡子涵雨轩思远嘉怡俊杰梓萱"
POSITIONS = [
    "科员",
    "副主任科员",
    "主任科员",
    "副科长",
    "科长",
    "副处长",
    "处长",
    "办事员",
    "一级主任科员",
    "四级调研员",
]
POLITICAL = ["中共党员", "中共党员", "中共党员", "中共预备党员", "共青团员", "民主党派成员", "无党派人士", "群众", ""]
TALENTS = ["书法", "摄影", "视频制作", "主持", "写作", "急救", "唱歌", "乐器", "平面设计", "体育裁判"]
HEADERS = ["序号", "工号", "姓名", "性别", "出生日期", "单位", "职务", "政治面貌", "手机号", "特长", "车牌号", "备注"]


class Command(BaseCommand):
    help = (
        "Generate a realistic roster of N rows and time roster_import on it: a first import (all new), the same "
        "file again (all unchanged) and a file where every position changed (all updated). Everything runs in "
        "one transaction that is rolled back at the end unless --keep is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=30_000, help="data rows to generate (default 30000)")
        parser.add_argument("--units", type=int, default=100, help="units the rows are spread over (default 100)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for a reproducible roster")
        parser.add_argument("--keep", action="store_true", help="commit the generated units and cadres")
        parser.add_argument(
            "--hostile",
            action="store_true",
            help="only the hostile files: cells far to the right, a row numbered in the trillions, one row of a "
            "million cells, a zip bomb; each must be refused quickly and in bounded memory",
        )

    def handle(self, *args, rows, units, seed, keep, hostile, **options):
        if hostile:
            self._hostile()
            return
        if rows < 1 or not 1 <= units <= 999:
            raise CommandError("--rows must be positive and --units between 1 and 999.")
        if rows > settings.ROSTER_IMPORT_MAX_ROWS:
            raise CommandError(f"--rows exceeds ROSTER_IMPORT_MAX_ROWS ({settings.ROSTER_IMPORT_MAX_ROWS}).")
        unit_names = [f"基准测试第{n:03d}局" for n in range(1, units + 1)]
        with tempfile.TemporaryDirectory(prefix="bench_import_") as directory:
            first = os.path.join(directory, "roster.xlsx")
            changed = os.path.join(directory, "roster_changed.xlsx")
            started = time.perf_counter()
            _write_roster(first, rows, unit_names, seed, position_suffix="")
            _write_roster(changed, rows, unit_names, seed, position_suffix="（兼）")
            generated = time.perf_counter() - started
            size = os.path.getsize(first)
            self.stdout.write(
                f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
                f"hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}"
            )
            self.stdout.write(
                f"rows: {rows}; units: {units}; file: {size / 1024:.0f} KiB; generated in {generated:.1f} s"
            )
            self.stdout.write(f"openpyxl read-only pass alone: {_read_only_pass(first):.2f} s")
            self.stdout.write(f"peak resident memory before importing: {_maxrss_mib():.0f} MiB")

            with transaction.atomic():
                cadres_before = Cadre.objects.count()
                _ensure_units(unit_names)
                for label, path in (
                    ("first import", first),
                    ("same file again", first),
                    ("positions changed", changed),
                ):
                    with open(path, "rb") as handle:
                        started = time.perf_counter()
                        try:
                            summary = roster_import(actor=None, uploaded_file=handle, create_missing_units=False)
                        except RosterImportError as error:
                            lines = [str(item) for item in error.errors[:10]]
                            raise CommandError("\n".join([str(error), *lines])) from error
                        seconds = time.perf_counter() - started
                    self.stdout.write(
                        f"{label:>18}: {seconds:6.2f} s  {rows / seconds:8.0f} rows/s  "
                        f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}; "
                        f"ru_maxrss {_maxrss_mib():.0f} MiB"
                    )
                # The same first import again, traced, in a savepoint rolled back: its peak allocations.
                with transaction.atomic():
                    # Their accounts go too (and the cadres with them), so that every row is new again.
                    get_user_model().objects.filter(username__startswith="BENCH-").delete()
                    with open(first, "rb") as handle:
                        seconds, peak = _traced(
                            lambda: roster_import(actor=None, uploaded_file=handle, create_missing_units=False)
                        )
                    transaction.set_rollback(True)
                self.stdout.write(
                    f"{'first import, traced':>18}: tracemalloc peak {peak / 2**20:.0f} MiB "
                    f"({seconds:.1f} s with tracing on)"
                )
                if keep:
                    self.stdout.write(self.style.WARNING(f"kept: {Cadre.objects.count() - cadres_before} cadres added"))
                else:
                    transaction.set_rollback(True)
        if not keep:
            self.stdout.write(self.style.SUCCESS("rolled back: the database is as it was"))

    def _hostile(self) -> None:
        self.stdout.write(
            f"database: {connection.vendor}; limits: {settings.ROSTER_IMPORT_MAX_ROWS} rows, "
            f"{settings.ROSTER_IMPORT_MAX_COLUMNS} columns, {settings.ROSTER_IMPORT_MAX_BYTES} bytes, "
            f"{settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES} bytes unpacked"
        )
        for label, data in _hostile_files():
            with transaction.atomic():
                seconds, peak = _traced(lambda data=data: _refusal(data))
                transaction.set_rollback(True)
            outcome = _refusal.last
            self.stdout.write(
                f"{label:>22}: {len(data) / 1024:7.0f} KiB  {seconds:6.2f} s  tracemalloc peak {peak / 2**20:6.1f} MiB"
                f"  ru_maxrss {_maxrss_mib():.0f} MiB  -> {outcome}"
            )


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _traced(call) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak


def _refusal(data: bytes) -> None:
    try:
        summary = roster_import(actor=None, uploaded_file=io.BytesIO(data), create_missing_units=True)
    except RosterImportError as error:
        _refusal.last = f"refused: {error.errors[0]}"[:160]
    else:
        _refusal.last = f"IMPORTED {summary.total} rows"


_refusal.last = ""

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEADER_ROW = (
    '<row r="1">'
    + "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for letter, text in zip("ABCD", ("工号", "姓名", "性别", "单位"), strict=True)
    )
    + "</row>"
)


def _data_row(n: int, extra: str = "") -> str:
    cells = (f"H{n:07d}", "张三", "男", "基准测试第001局")
    inline = "".join(
        f'<c r="{letter}{n}" t="inlineStr"><is><t>{text}</t></is></c>'
        for letter, text in zip("ABCD", cells, strict=True)
    )
    return f'<row r="{n}">{inline}{extra}</row>'


def _xlsx(sheet_rows, *, dimension: str = "", padding: int = 0) -> bytes:
    """A workbook written by hand, as no spreadsheet program would write it."""
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    doc_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{rels_ns}"><Relationship Id="rId1" Type="{doc_rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}" xmlns:r="{doc_rel}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{rels_ns}"><Relationship Id="rId1" Type="{doc_rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{_NS}">{dimension_xml}<sheetData>'.encode())
            for chunk in sheet_rows:
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")
        if padding:
            with archive.open("xl/worksheets/padding.xml", "w") as extra:
                block = b" " * (1 << 20)
                for _n in range(padding // len(block)):
                    extra.write(block)
    return buffer.getvalue()


def _hostile_files():
    rows = settings.ROSTER_IMPORT_MAX_ROWS
    yield (
        f"far-right cells x{rows}",
        _xlsx([_HEADER_ROW, *(_data_row(n, f'<c r="XFD{n}"><v>1</v></c>') for n in range(2, rows + 2))]),
    )
    yield "trillionth row", _xlsx([_HEADER_ROW, _data_row(2), _data_row(999_999_999_999)])
    yield "trillionth row, dim.", _xlsx([_HEADER_ROW, _data_row(2), _data_row(999_999_999_999)], dimension="A1")
    yield "million-cell row", _xlsx([_HEADER_ROW, '<row r="2">', "<c/>" * 1_000_000, "</row>"])
    yield (
        "zip bomb",
        _xlsx([_HEADER_ROW, _data_row(2)], padding=settings.ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES + (1 << 20)),
    )


def _ensure_units(names: list[str]) -> None:
    existing = set(Unit.objects.filter(name__in=names).values_list("name", flat=True))
    Unit.objects.bulk_create(
        [
            Unit(name=name, short_name=name[5:], code=f"BENCH-{n:03d}", kind=Unit.Kind.OTHER, sort_order=9000 + n)
            for n, name in enumerate(names, start=1)
            if name not in existing
        ]
    )


def _write_roster(path: str, rows: int, unit_names: list[str], seed: int, position_suffix: str) -> None:
    """A roster the way staff keep it: mixed cell types for numbers, phones and dates, some cells empty."""
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("干部名册")
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
        birth_cell = rng.choice([birth, birth.isoformat(), f"{birth.year}.{birth.month}.{birth.day}", birth])
        phone = 13000000000 + rng.randrange(7 * 10**9)
        phone_cell = rng.choice([phone, str(phone), f"{str(phone)[:3]} {str(phone)[3:7]} {str(phone)[7:]}", ""])
        talents = "、".join(rng.sample(TALENTS, rng.choice([0, 0, 0, 1, 1, 2])))
        plate = f"辽{rng.choice('ABCDGL')}{rng.randrange(10000, 99999)}" if rng.random() < 0.3 else ""
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
        sheet.append(
            [
                n,
                f"BENCH-{n:06d}",
                name,
                rng.choice(["男", "女"]),
                birth_cell,
                rng.choice(unit_names),
                rng.choice(POSITIONS) + position_suffix,
                rng.choice(POLITICAL),
                phone_cell,
                talents,
                plate,
                "",
            ]
        )
    workbook.save(path)


def _read_only_pass(path: str) -> float:
    # The floor under any import: what openpyxl alone needs to stream the cells.
    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    for _row in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - started

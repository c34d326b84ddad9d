"""Are the translation catalogues in sync with the code? (`make check-messages`, part of `make lint` and CI.)

1. `makemessages` runs on a temporary copy of the project (locale/ is never touched), with the arguments of
   `make messages`; every catalogue must hold the same msgids as the fresh one: none missing (a string in the code
   nobody extracted), none obsolete (a string the code no longer has). Line numbers and fuzzy flags are ignored.
2. Every `zh_Hans` message has a translation: a non-empty msgstr (every plural form), not marked fuzzy (msgfmt
   leaves fuzzy entries out, so the page would show English).
3. Every `.mo` holds what `msgfmt` compiles from its `.po` today (compared as catalogues, not bytes, so another
   gettext version does not matter).

Exit status 0 when all holds; otherwise each problem is printed and the status is 1. Fix with `make messages`,
translate locale/zh_Hans, then `make messages` again (it compiles).
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["zh_Hans", "en"]
TRANSLATED = "zh_Hans"  # the default language: every message must be translated
# Keep in step with the Makefile's `messages` target.
MAKEMESSAGES_ARGS = [f"-l{language}" for language in LANGUAGES] + [
    "--ignore=.venv",
    "--ignore=staticfiles",
    "--ignore=tests",
]
# What the temporary copy leaves out: nothing makemessages reads, or files that are large or private.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "staticfiles", "media", "test-artifacts", "node_modules", "__pycache__", "*.sqlite3", "*.mo"
)


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def key(self) -> tuple:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def _unquote(text: str) -> str:
    # PO strings use C escapes (\n, \t, \", \\), which Python's string literals read the same way.
    return ast.literal_eval(text.strip())


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file (the header entry included, with msgid ""); obsolete (#~) ones are marked."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the field that continuation lines extend

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            entry, target = None, None  # a blank line ends an entry
            continue
        if line.startswith("#,") and not obsolete:
            flags = {flag.strip() for flag in line[2:].split(",")}
            if entry is None or target is not None:
                entry, target = Entry(), None
                entries.append(entry)
            entry.fuzzy = "fuzzy" in flags
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if entry is None or target is None:
                raise ValueError(f"continuation line without a keyword: {raw!r}")
            _append(entry, target, _unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        match = re.fullmatch(r"(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])?", keyword)
        if not match:
            raise ValueError(f"unknown line in a .po file: {raw!r}")
        name, index = match[1], int(match[2] or 0)
        # msgctxt and msgid open an entry, unless flags (target None) or, for msgid, its msgctxt came just before.
        opens = name in ("msgctxt", "msgid") and target is not None and not (name == "msgid" and target[0] == "msgctxt")
        if entry is None or opens:
            entry = Entry()
            entries.append(entry)
        entry.obsolete = entry.obsolete or obsolete
        target = (name, index)
        if name == "msgstr":
            while len(entry.msgstrs) <= index:
                entry.msgstrs.append("")
        elif getattr(entry, name) is None:
            setattr(entry, name, "")
        _append(entry, target, _unquote(rest))
    return entries


def _append(entry: Entry, target: tuple[str, int], value: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstrs[index] += value
    else:
        setattr(entry, name, (getattr(entry, name) or "") + value)


def active_keys(entries: list[Entry]) -> set[tuple]:
    return {entry.key for entry in entries if not entry.obsolete and entry.msgid}


def describe(key: tuple) -> str:
    msgctxt, msgid, _plural = key
    return f"[{msgctxt}] {msgid!r}" if msgctxt else repr(msgid)


def compare_catalogues(current: list[Entry], fresh: list[Entry]) -> list[str]:
    """Problems of one catalogue against the one makemessages generates from the code today."""
    have, want = active_keys(current), active_keys(fresh)
    problems = [f"missing msgid (run make messages): {describe(key)}" for key in sorted(want - have, key=str)]
    problems += [f"obsolete msgid (run make messages): {describe(key)}" for key in sorted(have - want, key=str)]
    return problems


def untranslated(entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy translation (check it, remove the flag): {describe(entry.key)}")
        elif not entry.msgstrs or not all(entry.msgstrs):
            problems.append(f"no translation: {describe(entry.key)}")
    return problems


def _catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)  # the header carries dates that say nothing about the messages
    return catalog


def stale_mo(po: Path, mo: Path) -> list[str]:
    if not mo.exists():
        return [f"{mo.relative_to(ROOT)} is missing (run make messages)"]
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
        if _catalog(compiled) != _catalog(mo):
            return [f"{mo.relative_to(ROOT)} is not compiled from the current .po (run make messages)"]
    return []


def makemessages_copy(workdir: Path) -> Path:
    """A copy of the project whose catalogues makemessages has refreshed; returns the copy's locale/."""
    copy = workdir / "project"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    # Settings must import without production secrets; nothing here touches a database.
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{workdir / 'unused.sqlite3'}"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_ARGS, "--verbosity=0"],
        cwd=copy,
        env=env,
        check=True,
    )
    return copy / "locale"


def check() -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory(prefix="check-messages-") as tmp:
        fresh_locale = makemessages_copy(Path(tmp))
        for language in LANGUAGES:
            po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
            name = po.relative_to(ROOT)
            current = parse_po(po.read_text(encoding="utf-8"))
            fresh = parse_po((fresh_locale / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
            found = compare_catalogues(current, fresh)
            if language == TRANSLATED:
                found += untranslated(current)
            found += stale_mo(po, po.with_suffix(".mo"))
            problems += [f"{name}: {problem}" for problem in found]
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problem(s) in the translation catalogues.")
        return 1
    print("Translation catalogues are in sync with the code.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

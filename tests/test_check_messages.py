"""The catalogue check of `make check-messages` (tests/check_messages.py) finds what it must, and only that."""

import subprocess

from tests.check_messages import compare_catalogues, parse_po, stale_mo, untranslated

PO = r"""# header comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: portal/views.py:10
msgid "Home"
msgstr "首页"

#: portal/views.py:12
#, fuzzy, python-format
msgid "Hello %(name)s"
msgstr "你好"

#: portal/imports/roster.py:5
msgctxt "roster column"
msgid "Name"
msgstr "姓名"

#: activities/services/teams.py:40
#, python-format
msgid "one member"
msgid_plural "%(count)s members"
msgstr[0] ""

#: portal/views.py:20
msgid ""
"A long message "
"on two lines."
msgstr ""
"一条"
"长消息。"

#~ msgid "Gone"
#~ msgstr "已删除"
"""


def keys(text):
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in parse_po(text) if e.msgid and not e.obsolete}


def test_entries_are_read_with_context_plurals_continuations_and_flags():
    entries = {e.msgid: e for e in parse_po(PO)}
    assert keys(PO) == {
        (None, "Home", None),
        (None, "Hello %(name)s", None),
        ("roster column", "Name", None),
        (None, "one member", "%(count)s members"),
        (None, "A long message on two lines.", None),
    }
    assert entries["A long message on two lines."].msgstrs == ["一条长消息。"]
    assert entries["Hello %(name)s"].fuzzy and not entries["Home"].fuzzy
    assert entries["Gone"].obsolete


def test_missing_and_obsolete_msgids_are_reported_but_line_numbers_and_flags_are_not():
    fresh = PO.replace("portal/views.py:10", "portal/views.py:99").replace("#, fuzzy, python-format", "")
    assert compare_catalogues(parse_po(PO), parse_po(fresh)) == []
    fresh = fresh.replace('msgid "Home"', 'msgid "Start"')
    problems = compare_catalogues(parse_po(PO), parse_po(fresh))
    assert problems == ["missing msgid (run make messages): 'Start'", "obsolete msgid (run make messages): 'Home'"]


def test_empty_and_fuzzy_translations_are_reported():
    assert untranslated(parse_po(PO)) == [
        "fuzzy translation (check it, remove the flag): 'Hello %(name)s'",
        "no translation: 'one member'",
    ]


def test_a_mo_compiled_from_an_older_po_is_stale(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.check_messages.ROOT", tmp_path)
    po, mo = tmp_path / "django.po", tmp_path / "django.mo"
    po.write_text(PO, encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    assert stale_mo(po, mo) == []
    po.write_text(PO.replace('msgstr "首页"', 'msgstr "主页"'), encoding="utf-8")
    assert stale_mo(po, mo) == ["django.mo is not compiled from the current .po (run make messages)"]
    mo.unlink()
    assert stale_mo(po, mo) == ["django.mo is missing (run make messages)"]

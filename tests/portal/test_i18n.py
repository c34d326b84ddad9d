"""Every page renders in both languages; the Chinese catalogue is complete and compiled."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _po_entries(path):
    """(msgctxt, msgid, msgid_plural, [msgstr...], fuzzy) for each entry of a .po file."""
    entries, current, key, fuzzy = [], None, None, False
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and current.get("msgid"):
                entries.append(
                    (current.get("msgctxt"), current["msgid"], current.get("msgid_plural"), current["msgstr"], fuzzy)
                )
            current, key, fuzzy = None, None, False
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if line.startswith("#"):
            continue
        current = current or {"msgstr": []}
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                current["msgstr"][-1] += value
            else:
                current[key] += value
            continue
        word, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if word.startswith("msgstr"):
            key = "msgstr"
            current["msgstr"].append(value)
        else:
            key = word
            current[word] = value
    return entries


def test_chinese_catalogue_is_complete():
    entries = _po_entries(PO_FILE)
    assert len(entries) > 100
    untranslated = [msgid for _, msgid, _, msgstrs, fuzzy in entries if fuzzy or not all(msgstrs)]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    """The committed .mo answers with the .po's translations (no GNU gettext needed at set-up)."""
    with translation.override("zh-hans"):
        for context, msgid, plural, msgstrs, _ in _po_entries(PO_FILE):
            if plural:
                assert translation.ngettext(msgid, plural, 2) == msgstrs[0], msgid
            elif context:
                assert translation.pgettext(context, msgid) == msgstrs[0], msgid
            else:
                assert translation.gettext(msgid) == msgstrs[0], msgid


PAGES = [
    ("portal:home", None, None),
    ("login", None, None),
    ("portal:my_page", None, "cadre"),
    ("portal:unit_detail", "unit", "liaison"),
    ("password_change", None, "cadre"),
    ("password_change_done", None, "cadre"),
    ("admin:index", None, "staff"),
    ("admin:portal_cadre_changelist", None, "staff"),
    ("admin:portal_cadre_import", None, "staff"),
    ("admin:portal_unit_changelist", None, "staff"),
]
EXPECTED = {"zh-hans": (">首页<", ">Home<"), "en": (">Home<", ">首页<")}
ADMIN_EXPECTED = {
    "zh-hans": ("机关工委工作门户", "Organs Work Portal"),
    "en": ("Organs Work Portal", "机关工委工作门户"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("url_name", "kwarg", "role"), PAGES)
def test_every_page_renders_in_both_languages(
    client, settings, unit, cadre, liaison, staff_user, url_name, kwarg, role, language
):
    users = {"cadre": cadre.user, "liaison": liaison.user, "staff": staff_user}
    if role:
        client.force_login(users[role])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse(url_name, kwargs={"pk": unit.pk} if kwarg else None)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    if url_name.startswith("admin:"):
        present, absent = ADMIN_EXPECTED[language]
    else:
        present, absent = EXPECTED[language]
    assert present in html
    assert absent not in html

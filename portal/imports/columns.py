"""The roster's columns and the values they accept: column specs, the vocabulary of gender, political
status and talents in every spelling rosters use, and the lookup from a header cell to its column."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..models import Cadre
from .text import _key


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


def _languages() -> list[str]:
    languages = ["en", *(code for code, _name in settings.LANGUAGES), translation.get_language()]
    return list(dict.fromkeys(language for language in languages if language))


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


def _offered_values(choices, words, chinese: bool | None = None) -> list[str]:
    """The spelling the template offers for each choice: the Chinese word in Chinese, else the label."""
    if chinese is None:
        chinese = (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")
    return [words[choice][0] if chinese else str(choice.label) for choice in choices]


def _header_key(value) -> str:
    # "手机号*" and "出生日期(yyyy-mm-dd)" still name their column.
    return re.sub(r"\([^()]*\)$", "", _key(value).strip("*")).strip("*")


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

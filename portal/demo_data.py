"""Realistic, deterministic demo data for the shared model: units, cadres, their accounts and the role accounts.

Everything a person sees is drawn from one seeded random stream, so two runs (and two machines) produce the
same people. Cadre number i is the same person at either scale: the stream is always consumed from cadre 1
onwards with a fixed pattern of draws, and the 60 units that only the city scale has take their first cadres
after the demo scale's 2,000. That is what makes `seed_demo` idempotent and lets `--scale city` extend a demo
database into exactly what a fresh city-scale run would have made.
"""

import bisect
import random
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import Cadre, Unit
from .permissions import COMMITTEE_STAFF_GROUP, LEADERSHIP_GROUP

User = get_user_model()

DEMO_PASSWORD = "demo2026"
SEED = 2026
EMPLOYEE_PREFIX = "D"
BATCH_SIZE = 1000
# The reference year for ages; fixed (not today's date) so the data does not drift from one year to the next.
REFERENCE_YEAR = 2026


@dataclass(frozen=True)
class Scale:
    units: int
    cadres: int


SCALES = {"demo": Scale(units=40, cadres=2000), "city": Scale(units=100, cadres=30000)}
DEMO_SCALE = SCALES["demo"]

K = Unit.Kind

# (name, short name, kind, relative size). The first 40 are the demo scale; the city scale adds the other 60.
# Sizes are rough head-count ratios: a public-security bureau or a hospital dwarfs an archive.
UNIT_ROWS = [
    ("市委办公室", "市委办", K.PARTY, 3),
    ("市委组织部", "组织部", K.PARTY, 2),
    ("市委宣传部", "宣传部", K.PARTY, 2),
    ("市人大常委会办公室", "人大办", K.PEOPLES_CONGRESS, 2),
    ("市政协办公室", "政协办", K.PEOPLES_CONGRESS, 2),
    ("市发展和改革委员会", "发改委", K.GOVERNMENT, 3),
    ("市教育局", "教育局", K.GOVERNMENT, 3),
    ("市科学技术局", "科技局", K.GOVERNMENT, 1.5),
    ("市工业和信息化局", "工信局", K.GOVERNMENT, 2),
    ("市公安局", "公安局", K.GOVERNMENT, 12),
    ("市民政局", "民政局", K.GOVERNMENT, 2),
    ("市司法局", "司法局", K.GOVERNMENT, 2),
    ("市财政局", "财政局", K.GOVERNMENT, 3),
    ("市人力资源和社会保障局", "人社局", K.GOVERNMENT, 3),
    ("市自然资源局", "自然资源局", K.GOVERNMENT, 3),
    ("市生态环境局", "生态环境局", K.GOVERNMENT, 2),
    ("市住房和城乡建设局", "住建局", K.GOVERNMENT, 3),
    ("市交通运输局", "交通运输局", K.GOVERNMENT, 3),
    ("市水务局", "水务局", K.GOVERNMENT, 2),
    ("市农业农村局", "农业农村局", K.GOVERNMENT, 3),
    ("市商务局", "商务局", K.GOVERNMENT, 1.5),
    ("市文化旅游和广电局", "文旅广电局", K.GOVERNMENT, 2),
    ("市卫生健康委员会", "卫健委", K.GOVERNMENT, 3),
    ("市退役军人事务局", "退役军人局", K.GOVERNMENT, 1),
    ("市应急管理局", "应急局", K.GOVERNMENT, 2),
    ("市审计局", "审计局", K.GOVERNMENT, 1.5),
    ("市市场监督管理局", "市场监管局", K.GOVERNMENT, 4),
    ("市统计局", "统计局", K.GOVERNMENT, 1),
    ("市医疗保障局", "医保局", K.GOVERNMENT, 1.5),
    ("市中级人民法院", "中院", K.JUDICIAL, 5),
    ("市人民检察院", "检察院", K.JUDICIAL, 3),
    ("市总工会", "总工会", K.MASS_ORGANISATION, 1),
    ("团市委", "团市委", K.MASS_ORGANISATION, 0.6),
    ("市妇女联合会", "妇联", K.MASS_ORGANISATION, 0.6),
    ("市机关事务服务中心", "机关事务中心", K.INSTITUTION, 1.5),
    ("市信访局", "信访局", K.GOVERNMENT, 1),
    ("市林业和草原局", "林草局", K.GOVERNMENT, 1.5),
    ("市体育局", "体育局", K.GOVERNMENT, 1),
    ("市行政审批局", "审批局", K.GOVERNMENT, 1.5),
    ("市档案馆", "档案馆", K.INSTITUTION, 0.6),
    # City scale only.
    ("市委市直机关工作委员会", "机关工委", K.PARTY, 0.6),
    ("市人民政府办公室", "市政府办", K.GOVERNMENT, 3),
    ("市纪委监委机关", "纪委监委", K.PARTY, 3),
    ("市委统一战线工作部", "统战部", K.PARTY, 1),
    ("市委政法委员会", "政法委", K.PARTY, 1),
    ("市委政策研究室", "政研室", K.PARTY, 0.6),
    ("市委网络安全和信息化委员会办公室", "网信办", K.PARTY, 0.6),
    ("市委机构编制委员会办公室", "编办", K.PARTY, 0.6),
    ("市委党校", "党校", K.PARTY, 1.5),
    ("市委老干部局", "老干部局", K.PARTY, 0.6),
    ("市委党史研究室", "党史研究室", K.PARTY, 0.5),
    ("市人民政府外事办公室", "外办", K.GOVERNMENT, 0.5),
    ("市人民政府国有资产监督管理委员会", "国资委", K.GOVERNMENT, 1),
    ("市民族和宗教事务局", "民宗局", K.GOVERNMENT, 0.6),
    ("市城市管理综合行政执法局", "城管执法局", K.GOVERNMENT, 3),
    ("市人民防空办公室", "人防办", K.GOVERNMENT, 0.6),
    ("市地方金融监督管理局", "金融局", K.GOVERNMENT, 0.8),
    ("市营商环境建设局", "营商局", K.GOVERNMENT, 1),
    ("市粮食和物资储备局", "粮储局", K.GOVERNMENT, 0.8),
    ("市数据局", "数据局", K.GOVERNMENT, 0.6),
    ("市海洋与渔业局", "海洋渔业局", K.GOVERNMENT, 1),
    ("市人民政府研究室", "政府研究室", K.GOVERNMENT, 0.5),
    ("市人民政府驻北京联络处", "驻京联络处", K.GOVERNMENT, 0.3),
    ("市气象局", "气象局", K.GOVERNMENT, 0.8),
    ("市科学技术协会", "科协", K.MASS_ORGANISATION, 0.5),
    ("市文学艺术界联合会", "文联", K.MASS_ORGANISATION, 0.5),
    ("市残疾人联合会", "残联", K.MASS_ORGANISATION, 0.6),
    ("市工商业联合会", "工商联", K.MASS_ORGANISATION, 0.5),
    ("市红十字会", "红十字会", K.MASS_ORGANISATION, 0.3),
    ("市社会科学界联合会", "社科联", K.MASS_ORGANISATION, 0.4),
    ("市归国华侨联合会", "侨联", K.MASS_ORGANISATION, 0.3),
    ("市供销合作社联合社", "供销社", K.OTHER, 0.6),
    ("市融媒体中心", "融媒体中心", K.INSTITUTION, 3),
    ("市图书馆", "图书馆", K.INSTITUTION, 0.8),
    ("市博物馆", "博物馆", K.INSTITUTION, 0.6),
    ("市社会科学院", "社科院", K.INSTITUTION, 0.6),
    ("市农业科学研究院", "农科院", K.INSTITUTION, 1.2),
    ("市城乡规划设计研究院", "规划院", K.INSTITUTION, 1),
    ("市生态环境科学研究院", "环科院", K.INSTITUTION, 0.6),
    ("市疾病预防控制中心", "疾控中心", K.INSTITUTION, 2),
    ("市中心医院", "中心医院", K.INSTITUTION, 8),
    ("市不动产登记中心", "不动产中心", K.INSTITUTION, 1),
    ("市公共资源交易中心", "公共资源交易中心", K.INSTITUTION, 0.8),
    ("市大数据服务中心", "大数据中心", K.INSTITUTION, 0.6),
    ("市退役军人服务中心", "退役军人服务中心", K.INSTITUTION, 0.4),
    ("市就业和人才服务中心", "人才服务中心", K.INSTITUTION, 1),
    ("市社会保险事业服务中心", "社保中心", K.INSTITUTION, 2),
    ("市住房公积金管理中心", "公积金中心", K.INSTITUTION, 1.2),
    ("市水利事务服务中心", "水利事务中心", K.INSTITUTION, 1),
    ("市农业发展服务中心", "农发中心", K.INSTITUTION, 1.5),
    ("市林业发展服务中心", "林业发展中心", K.INSTITUTION, 1),
    ("市文化旅游事务服务中心", "文旅服务中心", K.INSTITUTION, 0.8),
    ("市检验检测认证中心", "检验检测中心", K.INSTITUTION, 1.2),
    ("市应急救援保障中心", "应急保障中心", K.INSTITUTION, 0.6),
    ("市政务服务中心", "政务服务中心", K.INSTITUTION, 1.5),
    ("市老年大学", "老年大学", K.INSTITUTION, 0.4),
    ("市青少年活动中心", "青少年活动中心", K.INSTITUTION, 0.5),
    ("市城市建设投资集团有限公司", "城投集团", K.ENTERPRISE, 2),
    ("市水务集团有限公司", "水务集团", K.ENTERPRISE, 2),
    ("市公共交通集团有限公司", "公交集团", K.ENTERPRISE, 3),
]


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    short_name: str
    kind: str
    weight: float
    sort_order: int


UNIT_SPECS = [
    UnitSpec(f"U{i:03d}", name, short, kind, weight, i * 10)
    for i, (name, short, kind, weight) in enumerate(UNIT_ROWS, start=1)
]
EDUCATION_BUREAU_CODE = "U007"  # 市教育局: the unit whose liaison and cadre the login table shows
GENERAL_OFFICE_CODE = "U001"  # 市委办公室: where the leader's cadre record sits

# Surnames in tiers of rough frequency (per mille); northern ones such as 于, 姜, 曲, 佟, 隋 are common in Liaoning.
SURNAME_TIERS = [
    ("王李张", 70),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄赵", 22),
    ("吴周", 20),
    ("徐孙马朱", 13),
    ("胡郭何高林", 11),
    ("罗郑梁", 9),
    ("谢宋唐许韩冯邓于", 7),
    ("曹彭曾肖田董袁潘蒋蔡", 6),
    ("余杜叶程苏魏吕丁任沈姚卢姜崔", 4),
    ("钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔常温康", 2),
    ("施牛樊葛邢安齐易乔庞颜倪庄聂章鲁岳翟殷申耿关兰焦俞左柳祝包宁尚舒纪梅童毕单季裴霍曲佟隋丛宫鞠初战", 1),
]
SURNAMES = [s for chars, _ in SURNAME_TIERS for s in chars]
SURNAME_CUM = list(accumulate(w for chars, w in SURNAME_TIERS for _ in chars))

MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰坤亮锋东博恒毅彬成阳"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳倩洁萍红梅莉欣怡悦晶佳琪璐楠妍丹薇蕾"
MALE_MIDDLE = "志建国晓海文俊子宏天立永明振家浩嘉思博宇长德世"
FEMALE_MIDDLE = "晓雅春秋思雨欣佳梦紫诗美丽玉月嘉文海淑秀"
# Whole given names typical of a birth cohort: cadres born before 1975 and after 1990 are named differently.
OLDER_MALE = ["建国", "建军", "卫东", "国庆", "建华", "志强", "国强", "振华", "红军", "文革", "铁军", "永胜"]
OLDER_FEMALE = ["红梅", "秀英", "桂兰", "淑珍", "玉兰", "海燕", "丽华", "春燕", "凤霞", "秀梅", "桂芝", "玉芬"]
YOUNG_MALE = ["浩然", "子轩", "宇轩", "俊杰", "博文", "梓豪", "一鸣", "天宇", "子墨", "皓轩", "明轩", "思远"]
YOUNG_FEMALE = ["子涵", "梓萱", "一诺", "欣怡", "思雨", "雨涵", "诗涵", "若曦", "梦瑶", "可馨", "语桐", "佳怡"]

DEPUTY = "{deputy}"  # replaced by the unit's own deputy-head title (副局长, 副主任, 副院长...)
POSITIONS_BY_AGE = [
    # (age below, [(position, weight), ...])
    (30, [("一级科员", 40), ("二级科员", 25), ("科员", 25), ("四级主任科员", 10)]),
    (
        40,
        [
            ("科员", 10),
            ("一级科员", 10),
            ("四级主任科员", 20),
            ("三级主任科员", 15),
            ("副主任科员", 10),
            ("副科长", 20),
            ("主任科员", 10),
            ("办公室副主任", 5),
        ],
    ),
    (
        50,
        [
            ("二级主任科员", 15),
            ("一级主任科员", 15),
            ("主任科员", 10),
            ("科长", 25),
            ("副科长", 10),
            ("办公室主任", 8),
            ("四级调研员", 12),
            (DEPUTY, 2),
        ],
    ),
    (
        200,
        [
            ("四级调研员", 25),
            ("三级调研员", 15),
            ("二级调研员", 8),
            ("一级调研员", 5),
            ("一级主任科员", 15),
            ("科长", 15),
            ("办公室主任", 5),
            (DEPUTY, 4),
        ],
    ),
]
_POSITION_TABLES = [
    (limit, [p for p, _ in rows], list(accumulate(w for _, w in rows))) for limit, rows in POSITIONS_BY_AGE
]
# Liaisons are in practice the office director or the full-time deputy secretary of the unit's party committee.
LIAISON_POSITIONS = ["办公室主任", "机关党委专职副书记", "办公室副主任", "人事科科长", "一级主任科员"]
# Unit name ending -> deputy-head title; the first matching ending wins, so longer endings come first.
DEPUTY_TITLES = [
    ("有限公司", "副总经理"),
    ("人民法院", "副院长"),
    ("检察院", "副检察长"),
    ("研究院", "副院长"),
    ("科学院", "副院长"),
    ("医院", "副院长"),
    ("党校", "副校长"),
    ("大学", "副校长"),
    ("纪委监委机关", "副书记"),
    ("工作委员会", "副书记"),
    ("政法委员会", "副书记"),
    ("团市委", "副书记"),
    ("合作社联合社", "副主任"),
    ("红十字会", "副会长"),
    ("联合会", "副主席"),
    ("协会", "副主席"),
    ("总工会", "副主席"),
    ("部", "副部长"),
    ("馆", "副馆长"),
    ("局", "副局长"),
]

# Mobile prefixes of the three carriers (13x, 15x, 18x, 19x).
PHONE_PREFIXES = [str(p) for p in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159)] + [
    str(p) for p in (*range(180, 190), 191, 193, 195, 198, 199)
]
LEADER_PHONE = "13904270001"
# 辽L is Panjin; some cadres commute from or registered their car in neighbouring cities.
HOME_PLATE = "辽L"
OTHER_PLATES = ["辽A", "辽B", "辽G", "辽H", "辽P"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they look like 1 and 0
TALENT_CODES = [choice.value for choice in Cadre.Talent]


def deputy_title(unit_name: str) -> str:
    """The title of a deputy head in a unit of this name (副局长 in a bureau, 副院长 in a court...)."""
    for ending, title in DEPUTY_TITLES:
        if unit_name.endswith(ending):
            return title
    return "副主任"  # commissions, offices and centres


@dataclass(frozen=True)
class CadreSpec:
    index: int
    employee_no: str
    name: str
    gender: str
    birth_date: date
    unit_code: str
    position: str
    political_status: str
    phone: str
    talents: list
    car_plate: str
    planned_liaison: bool


def employee_no(index: int) -> str:
    """The employee number (and login name) of demo cadre number `index` (1-based): D00001, D00002..."""
    return f"{EMPLOYEE_PREFIX}{index:05d}"


def unit_specs(scale: str) -> list:
    """The units of a scale ("demo" or "city"), in display order."""
    return UNIT_SPECS[: SCALES[scale].units]


def _liaison_plan(total: int, n_units: int) -> tuple[dict, int, int]:
    """Where each unit's first cadre (its liaison) falls in the sequence of cadres.

    The demo-scale units take cadres 1..40, one each; the city-only units open only after the demo scale's
    2,000 cadres (earlier when fewer cadres are asked for), so the first 2,000 cadres are the same people in the
    same units at either scale. Returns ({cadre index: unit position}, core unit count, index after which the
    city-only units open).
    """
    core = min(DEMO_SCALE.units, n_units)
    extra = n_units - core
    opens_after = max(core, min(DEMO_SCALE.cadres, total - extra))
    plan = {k + 1: k for k in range(core)}
    plan.update({opens_after + j + 1: core + j for j in range(extra)})
    return plan, core, opens_after


def cadre_specs(total: int, units: Sequence[UnitSpec]) -> list:
    """The `total` demo cadres, deterministic: the same arguments give the same people, in the same units.

    Raises ValueError when there are fewer cadres than units (every unit needs one to be its liaison).
    """
    if total < len(units):
        raise ValueError(f"at least {len(units)} cadres are needed, one liaison per unit")
    rng = random.Random(SEED)
    plan, core, opens_after = _liaison_plan(total, len(units))
    unit_cum = list(accumulate(u.weight for u in units))
    extra = len(units) - core
    used_phones = {LEADER_PHONE}
    used_plates = set()
    specs = []
    for i in range(1, total + 1):
        # Exactly one draw for the unit, always, so that a scale's unit layout never shifts the people's draws.
        draw = rng.random()
        planned = i in plan
        if planned:
            position_in_units = plan[i]
        else:
            open_units = core + min(extra, max(0, i - opens_after - 1))
            position_in_units = bisect.bisect_right(unit_cum, draw * unit_cum[open_units - 1], 0, open_units - 1)
        unit = units[position_in_units]

        male = rng.random() < 0.55
        year = min(2002, int(rng.triangular(1963, 2003, 1984)))
        birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        name = rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0] + _given_name(rng, male, year)
        age = REFERENCE_YEAR - year
        position = _position(rng, age, unit.name)
        if planned:
            position = LIAISON_POSITIONS[i % len(LIAISON_POSITIONS)]
        status = _political_status(rng, age)
        phone = _unique(used_phones, lambda: rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}")
        talents = []
        if rng.random() < 0.15:
            talents = rng.sample(TALENT_CODES, 1 if rng.random() < 0.7 else 2)
        plate = ""
        if rng.random() < 0.30:
            plate = _unique(used_plates, lambda: _car_plate(rng))
        specs.append(
            CadreSpec(
                index=i,
                employee_no=employee_no(i),
                name=name,
                gender=Cadre.Gender.MALE if male else Cadre.Gender.FEMALE,
                birth_date=birth,
                unit_code=unit.code,
                position=position,
                political_status=status,
                phone=phone,
                talents=talents,
                car_plate=plate,
                planned_liaison=planned,
            )
        )
    return specs


def _given_name(rng: random.Random, male: bool, year: int) -> str:
    r = rng.random()
    if year < 1975 and r < 0.3:
        return rng.choice(OLDER_MALE if male else OLDER_FEMALE)
    if year >= 1990 and r < 0.3:
        return rng.choice(YOUNG_MALE if male else YOUNG_FEMALE)
    # Single-character given names were far more common for the older cohorts.
    if r < (0.6 if year < 1975 else 0.45):
        return rng.choice(MALE_CHARS if male else FEMALE_CHARS)
    return rng.choice(MALE_MIDDLE if male else FEMALE_MIDDLE) + rng.choice(MALE_CHARS if male else FEMALE_CHARS)


def _position(rng: random.Random, age: int, unit_name: str) -> str:
    for limit, positions, cum in _POSITION_TABLES:
        if age < limit:
            position = rng.choices(positions, cum_weights=cum)[0]
            return deputy_title(unit_name) if position == DEPUTY else position
    raise AssertionError("the last age band is open-ended")


def _political_status(rng: random.Random, age: int) -> str:
    S = Cadre.PoliticalStatus
    r = rng.random()
    if age < 28:
        bands = [(0.45, S.CPC_MEMBER), (0.53, S.CPC_PROBATIONARY), (0.88, S.CYL_MEMBER)]
    else:
        bands = [(0.80, S.CPC_MEMBER), (0.82, S.CPC_PROBATIONARY), (0.85, S.DEMOCRATIC_PARTY), (0.87, S.NON_PARTISAN)]
    for limit, status in bands:
        if r < limit:
            return status
    return S.MASSES


def _car_plate(rng: random.Random) -> str:
    province = HOME_PLATE if rng.random() < 0.85 else rng.choice(OTHER_PLATES)
    r = rng.random()
    if r < 0.10:  # new-energy plates have six characters
        serial = rng.choice("DF") + f"{rng.randrange(10**5):05d}"
    elif r < 0.50:
        serial = f"{rng.randrange(10**5):05d}"
    elif r < 0.90:
        serial = rng.choice(PLATE_LETTERS) + f"{rng.randrange(10**4):04d}"
    else:
        serial = rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS) + f"{rng.randrange(10**3):03d}"
    return f"{province}·{serial}"


def _unique(used: set, make: Callable[[], str]) -> str:
    value = make()
    while value in used:
        value = make()
    used.add(value)
    return value


# --- Writing to the database -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleAccount:
    username: str
    label: str
    start_page: str
    is_staff: bool = False
    is_superuser: bool = False
    group: str = ""


ROLE_ACCOUNTS = [
    RoleAccount("staff", "工委工作人员 Committee staff", "/admin/", is_staff=True, group=COMMITTEE_STAFF_GROUP),
    RoleAccount("leader", "工委领导 Leadership", "/me/", group=LEADERSHIP_GROUP),
    RoleAccount("admin", "超级管理员 Superuser", "/admin/", is_staff=True, is_superuser=True),
]
LEADER_CADRE = {
    "name": "王建国",
    "gender": Cadre.Gender.MALE,
    "birth_date": date(1971, 5, 12),
    "position": "市委副秘书长、市直机关工委书记",
    "political_status": Cadre.PoliticalStatus.CPC_MEMBER,
    "phone": LEADER_PHONE,
}


@dataclass(frozen=True)
class DemoLogin:
    label: str
    username: str
    start_page: str
    note: str = ""


@dataclass
class SeedResult:
    units_created: int = 0
    units_existing: int = 0
    cadres_created: int = 0
    cadres_existing: int = 0
    liaisons_created: int = 0
    role_accounts_created: list = field(default_factory=list)
    units_without_cadres: list = field(default_factory=list)
    logins: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def created_anything(self) -> bool:
        return bool(self.units_created or self.cadres_created or self.role_accounts_created)


def demo_seed(*, scale: str = "demo", cadres: int | None = None, progress: Callable[[str], None] = print) -> SeedResult:
    """Create the demo units, cadres with their accounts, and the role accounts; idempotent.

    Only what is missing is created: units by code (or name), cadres by employee number, role accounts by user
    name. Existing rows are never changed, except that the staff and leader accounts are (re)put in their group.
    Every new account gets the password DEMO_PASSWORD, hashed once for all of them. Runs in one transaction and
    writes one audit entry when it created anything. Raises ValueError when `cadres` is smaller than the number
    of units of the scale.
    """
    started = time.perf_counter()
    units = unit_specs(scale)
    total = SCALES[scale].cadres if cadres is None else cadres
    specs = cadre_specs(total, units)  # raises before touching the database
    result = SeedResult()
    hasher = _OnceHasher()
    with transaction.atomic():
        unit_ids = _ensure_units(units, result)
        progress(f"单位 Units: {result.units_created} created, {result.units_existing} existing")
        _ensure_cadres(specs, unit_ids, hasher, result, progress)
        progress(f"干部 Cadres: {result.cadres_created} created, {result.cadres_existing} existing")
        _ensure_role_accounts(unit_ids, hasher, result)
        if result.role_accounts_created:
            progress(f"角色账号 Role accounts created: {', '.join(result.role_accounts_created)}")
        result.units_without_cadres = list(
            Unit.objects.filter(pk__in=unit_ids.values(), cadres__isnull=True)
            .order_by("sort_order", "code")
            .values_list("name", flat=True)
        )
        if result.created_anything:
            audit_record(
                actor=None,
                action="demo.seed",
                object_type="portal.cadre",
                changes={
                    "scale": scale,
                    "units": result.units_created,
                    "cadres": result.cadres_created,
                    "liaisons": result.liaisons_created,
                    "role_accounts": result.role_accounts_created,
                },
            )
        result.logins = demo_logins(unit_ids)
    result.seconds = time.perf_counter() - started
    return result


class _OnceHasher:
    """Hashes DEMO_PASSWORD the first time it is needed and never again (PBKDF2 takes a good part of a second)."""

    _hash = None

    def __call__(self) -> str:
        if self._hash is None:
            self._hash = make_password(DEMO_PASSWORD)
        return self._hash


def _ensure_units(units: Sequence[UnitSpec], result: SeedResult) -> dict:
    """Create the missing units; returns {code: unit id}. A unit found by name under another code is reused."""
    by_code, by_name = {}, {}
    for pk, code, name in Unit.objects.values_list("pk", "code", "name"):
        by_code[code] = pk
        by_name[name] = pk
    unit_ids, missing = {}, []
    for spec in units:
        pk = by_code.get(spec.code) or by_name.get(spec.name)
        if pk is None:
            missing.append(spec)
        else:
            unit_ids[spec.code] = pk
    created = Unit.objects.bulk_create(
        [
            Unit(code=s.code, name=s.name, short_name=s.short_name, kind=s.kind, sort_order=s.sort_order)
            for s in missing
        ],
        batch_size=BATCH_SIZE,
    )
    unit_ids.update(_ids_after_bulk_create(Unit, "code", created))
    result.units_created, result.units_existing = len(missing), len(units) - len(missing)
    return unit_ids


def _ensure_cadres(specs, unit_ids: dict, hasher: _OnceHasher, result: SeedResult, progress) -> None:
    """Create the cadres (and their accounts) whose employee numbers do not exist yet."""
    existing = set(Cadre.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX).values_list("employee_no", flat=True))
    new = [s for s in specs if s.employee_no not in existing]
    result.cadres_existing = len(specs) - len(new)
    if not new:
        return
    # An account named like a demo employee number but without a cadre (made by hand) is reused, not duplicated.
    orphans = dict(
        User.objects.filter(username__startswith=EMPLOYEE_PREFIX, cadre__isnull=True).values_list("username", "pk")
    )
    password = hasher()
    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(username=s.employee_no, password=password, is_active=True, date_joined=now)
            for s in new
            if s.employee_no not in orphans
        ],
        batch_size=BATCH_SIZE,
    )
    user_ids = {**orphans, **_ids_after_bulk_create(User, "username", users)}
    progress(f"账号 Accounts: {len(users)} created")

    in_units = Cadre.objects.filter(unit_id__in=unit_ids.values())
    with_liaison = set(in_units.filter(is_liaison=True).values_list("unit_id", flat=True))
    staffed = set(in_units.values_list("unit_id", flat=True).distinct())
    cadres = []
    for s in new:
        unit_id = unit_ids[s.unit_code]
        # The planned first cadre of a unit is its liaison. A unit with no cadre at all (possible when an earlier
        # run made more cadres at a smaller scale) takes its first new one; a unit whose cadres exist but whose
        # liaison was revoked by hand is left to the staff.
        liaison = unit_id not in with_liaison and (s.planned_liaison or unit_id not in staffed)
        if liaison:
            with_liaison.add(unit_id)
        staffed.add(unit_id)
        cadres.append(
            Cadre(
                user_id=user_ids[s.employee_no],
                employee_no=s.employee_no,
                name=s.name,
                gender=s.gender,
                birth_date=s.birth_date,
                unit_id=unit_id,
                position=s.position,
                political_status=s.political_status,
                phone=s.phone,
                talents=s.talents,
                car_plate=s.car_plate,
                is_liaison=liaison,
                must_change_password=False,  # demo logins must work at once
            )
        )
    Cadre.objects.bulk_create(cadres, batch_size=BATCH_SIZE)
    result.cadres_created = len(cadres)
    result.liaisons_created = sum(c.is_liaison for c in cadres)


def _ensure_role_accounts(unit_ids: dict, hasher: _OnceHasher, result: SeedResult) -> None:
    """Create the staff, leader and admin accounts if missing; put staff and leader in their groups."""
    users = {}
    for role in ROLE_ACCOUNTS:
        users[role.username], created = User.objects.get_or_create(
            username=role.username,
            # A callable default: the password is hashed only when an account is really created.
            defaults={"is_staff": role.is_staff, "is_superuser": role.is_superuser, "password": hasher},
        )
        if created:
            result.role_accounts_created.append(role.username)
        if role.group:
            users[role.username].groups.add(Group.objects.get_or_create(name=role.group)[0])
    leader = users["leader"]
    office = unit_ids.get(GENERAL_OFFICE_CODE)
    if (
        office
        and not Cadre.objects.filter(user=leader).exists()
        and not Cadre.objects.filter(employee_no="leader").exists()
    ):
        Cadre.objects.create(
            user=leader, employee_no="leader", unit_id=office, must_change_password=False, **LEADER_CADRE
        )


def _ids_after_bulk_create(model, key: str, objs: list) -> dict:
    """{key: pk} for rows just bulk-created; asks the database only when the backend returned no primary keys."""
    ids = {getattr(o, key): o.pk for o in objs if o.pk is not None}
    missing = [getattr(o, key) for o in objs if o.pk is None]
    # 500 keys per query stays under SQLite's 999-variable limit.
    for start in range(0, len(missing), 500):
        ids.update(model.objects.filter(**{f"{key}__in": missing[start : start + 500]}).values_list(key, "pk"))
    return ids


def demo_logins(unit_ids: dict) -> list:
    """One working login per role: staff, leader, a real liaison and an ordinary cadre (of 市教育局), admin."""
    known = set(
        User.objects.filter(username__in=[r.username for r in ROLE_ACCOUNTS]).values_list("username", flat=True)
    )
    roles = {r.username: r for r in ROLE_ACCOUNTS}
    logins = [DemoLogin(roles[u].label, u, roles[u].start_page) for u in ("staff", "leader") if u in known]
    demo_cadres = Cadre.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX, is_active=True).select_related("unit")
    unit_id = unit_ids.get(EDUCATION_BUREAU_CODE)
    for is_liaison, label, start_page in (
        (True, "单位联络员 Unit liaison", "/units/mine/"),
        (False, "干部 Cadre", "/me/"),
    ):
        candidates = demo_cadres.filter(is_liaison=is_liaison).order_by("employee_no")
        cadre = candidates.filter(unit_id=unit_id).first() or candidates.first()
        if cadre is not None:
            logins.append(DemoLogin(label, cadre.employee_no, start_page, note=f"{cadre.name}, {cadre.unit.name}"))
    if "admin" in known:
        logins.append(DemoLogin(roles["admin"].label, "admin", roles["admin"].start_page))
    return logins


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal; str.ljust counts them as one.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_logins(logins: Sequence[DemoLogin]) -> str:
    """The demo logins as a plain-text table for the console, with Chinese and English headings."""
    header = ("角色 Role", "用户名 Username", "密码 Password", "入口 Start page", "说明 Note")
    rows = [header] + [(lg.label, lg.username, DEMO_PASSWORD, lg.start_page, lg.note) for lg in logins]
    widths = [max(_width(row[col]) for row in rows) for col in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

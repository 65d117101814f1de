"""Facts of a complaint, read from its text over whole columns (polars).

What two filings of one case share is not their wording but their facts: the resident's
building, unit and room, the masked phone number they gave, the facility and what
is wrong with it, and when it started. `extract(frame)` reads them in every notation call
takers and residents use:

* **where** — building `12号楼`, `12#楼`, `12#`, `12栋`, `12幢`, `12座`, `十二号楼`, `3号2单元`;
  unit `2单元`, `二单元`; room `1804室`, `1804户`, `1804房`, `2单元1804`, `12栋1804`; the
  dash form `12-2-1804` (building-unit-room). Chinese numerals up to 99 are read as numbers.
* **who** — a phone number the text gives (`联系电话138****5678`, `13812345678`, `尾号5678`):
  its last four digits and, when shown, its first three. (Phone and address *columns* are never
  stored — datasets/README.md, personal data — so only what the description itself says.)
* **what** — facility (`FACILITIES`: 电梯, 楼道灯, 门禁, 地库 …) and problem (`PROBLEMS`:
  漏水, 故障 …) as bit masks, each from a list of synonyms (渗水 is 漏水, 单元门锁损坏 is a
  broken 门禁).
* **since when** — the stated duration in days (`已经4天了`, `持续3天`, `一个多月了`, `半个月`,
  `上周`, `昨天`, `从3月5日开始`): the problem started that many days before the filing.
* **history** — whether it says it was filed before (`之前打过12345`, `再次反映`, `已在市长信箱
  反映过`), and whether it says the problem came back (`又坏了`, `刚修好又漏`).

`canonical` is the text for word similarity: synonyms replaced by one form, and the facts
above (which are compared as facts) removed, so that `1#楼` against `一号楼` or two masked
phone numbers do not move a similarity either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from rating.analysis.shapes import StatedFacts

# fmt: off
NUM = r"[0-9]{1,3}|[一二两三四五六七八九十]{1,3}"
BUILDING_PATTERNS = (
    rf"(?:^|[^0-9])({NUM})\s*(?:号楼|#楼|#|栋|幢|座|号\s*(?:[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*单元)",
    r"(?:^|[^0-9])([0-9]{1,3})-[0-9]{1,2}-[0-9]{3,4}(?:[^0-9]|$)",
)
UNIT_PATTERNS = (
    r"(?:^|[^0-9])([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*单元",
    r"(?:^|[^0-9])[0-9]{1,3}-([0-9]{1,2})-[0-9]{3,4}(?:[^0-9]|$)",
)
ROOM_PATTERNS = (
    r"(?:^|[^0-9*])([0-9]{3,4})\s*(?:室|户|号房|房)",
    r"(?:单元|号楼|#楼|#|栋|幢|座)\s*([0-9]{3,4})(?:[^0-9]|$)",
    r"(?:^|[^0-9])[0-9]{1,3}-[0-9]{1,2}-([0-9]{3,4})(?:[^0-9]|$)",
)
PHONE_PATTERNS = (  # (pattern, group of the first three digits or 0, group of the last four)
    (r"(1[3-9][0-9])[*xX×＊]{3,5}([0-9]{4})", 1, 2),
    (r"(?:^|[^0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?:[^0-9]|$)", 1, 2),
    (r"(?:尾号|后四位|末四位)(?:为|是)?[:：]?\s*([0-9]{4})", 0, 1),
)
FACILITIES: tuple[tuple[str, str], ...] = (
    ("电梯", r"电梯|升降梯|直梯|客梯|轿厢"),
    ("楼道灯", r"楼道灯|楼道照明|楼梯灯|楼梯间.{0,3}灯|声控灯|感应灯|楼道.{0,2}灯"),
    ("门禁", r"门禁|单元门|楼宇门|对讲门|楼门|电子门|单元.{0,2}门锁"),
    ("地库", r"地库|地下车库|地下停车|车库"),
    ("屋面", r"楼顶|屋顶|屋面|顶楼|天台"),
    ("外墙", r"外墙|墙皮|瓷砖|墙面"),
    ("供水", r"自来水|停水|供水|水压|水管|水质|水龙头"),
    ("排水", r"下水|排水|污水|化粪池|返水|管道堵"),
    ("垃圾", r"垃圾"),
    ("路灯", r"路灯|庭院灯"),
    ("绿化", r"绿化|树木|草坪|绿地"),
    ("停车", r"车位|停车|道闸"),
    ("消防", r"消防|灭火器|安全出口|疏散"),
    ("监控", r"监控|摄像头"),
    ("充电", r"充电"),
    ("噪音", r"噪音|噪声|扰民"),
    ("收费", r"物业费|收费|涨价|押金"),
    ("保洁", r"打扫|保洁|清扫|卫生"),
    ("门岗", r"门岗|保安|值守"),
    ("供暖", r"暖气|供暖|供热"),
    ("燃气", r"燃气|天然气|煤气"),
    ("供电", r"停电|供电|跳闸|电路"),
    ("窗户", r"窗户|窗"),
)
PROBLEMS: tuple[tuple[str, str], ...] = (
    ("漏水", r"漏水|渗水|渗漏|漏雨|滴水|返水|积水|冒水|洇水|水渍"),
    ("故障", r"坏|故障|失灵|停运|停梯|不动|困人|不亮|不工作|打不开|关不上|损坏|无法使用|不能用|瘫痪|罢工|黑灯"),
    ("异响", r"异响|响声|咣当|哐当|异常声"),
    ("堵塞", r"堵|占用|占道"),
    ("脏乱", r"脏|臭|异味|满溢|清运|没人收|蚊蝇|发霉"),
    ("收费", r"收费|涨价|费用|押金"),
    ("脱落", r"脱落|掉落|开裂|裂缝"),
    ("态度", r"态度|推诿|不理|不接|拒不"),
)
# One written form per meaning, for word similarity (longest first; see `canonical`).
SYNONYMS: dict[str, str] = {
    "升降梯": "电梯", "直梯": "电梯", "客梯": "电梯",
    "楼道照明灯": "楼道灯", "楼道照明": "楼道灯", "楼梯灯": "楼道灯", "声控灯": "楼道灯",
    "感应灯": "楼道灯",
    "单元门门锁": "门禁", "单元门锁": "门禁", "单元门": "门禁", "楼宇对讲门": "门禁",
    "对讲门": "门禁", "楼宇门": "门禁", "门禁系统": "门禁",
    "地下停车场": "地库", "地下停车库": "地库", "地下车库": "地库",
    "渗水": "漏水", "渗漏": "漏水", "漏雨": "漏水", "滴水": "漏水", "洇水": "漏水",
    "屋顶": "楼顶", "屋面": "楼顶", "顶楼": "楼顶",
    "摄像头": "监控",
    "故障": "坏了", "失灵": "坏了", "损坏": "坏了", "坏掉": "坏了", "停运": "坏了",
    "不工作": "坏了", "无法使用": "坏了", "不能用": "坏了", "罢工": "坏了",
    "住户": "业主", "居民": "业主",
}
DAYS_PER_UNIT = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30, "个月": 30, "年": 365}
RELATIVE_START = (  # (pattern, days before the filing)
    (r"今天|今早|今晚|今日|刚才|刚刚", 0), (r"昨天|昨晚|昨日", 1), (r"前天", 2),
    (r"前几天|这几天|这两天|前两天", 3), (r"上周|上星期|上礼拜", 7), (r"上个月|上月", 30),
)
DURATION_NUM = r"[0-9]{1,3}|[一二两三四五六七八九十半几]{1,3}"
DURATION_UNIT = r"天|日|周|星期|礼拜|个月|月|年"
DURATION_PATTERNS = (
    rf"(?:已经|已持续了?|已|持续了?|有|快|近|将近|足足|整整|长达|都)\s*({DURATION_NUM})\s*(?:个多|多个|个)?\s*({DURATION_UNIT})(?:多|左右)?了?",
    rf"({DURATION_NUM})\s*(?:个多|多个|个)?\s*({DURATION_UNIT})(?:多|左右)?了",
)
SINCE_DATE = r"(?:从|自)?([0-9]{1,2})月([0-9]{1,2})[日号](?:开始|起|以来|至今)"
PRIOR_FILING = (
    r"之前(?:已经|也)?(?:打过|拨打过|反映过|投诉过|反映|投诉|写过|留言)|已(?:经)?(?:打过|拨打过|反映过|投诉过)"
    r"|(?:打过|拨打过)(?:12345|热线|市长热线|电话)|上次(?:反映|投诉|打)|再次(?:反映|投诉|来电|留言)"
    r"|又一次反映|重复反映|多次反映|反映多次|反映了?[0-9一二两三四五几多]+次|催单|催办|曾(?:经)?(?:反映|投诉)"
    r"|此前已反映|(?:写过|发过)(?:信|邮件)|在(?:12345|热线|市长信箱|网上|公众号)(?:也|上)?(?:反映|投诉|留言)过"
)
# How a channel frames a case, not what the case is: left out of the word similarity.
BOILERPLATE = (
    r"(?:市民|来电人|业主|居民|网友|群众|小区业主联名|小区业主)?(?:来电|来信|通过网络|网上)?(?:反映|称|留言|来电)[:：，,]",
    r"尊敬的[^：:，,！!]{0,6}[:：，,]?", r"您好[!！，,]?",
    r"(?:投诉事项|具体地址|情况说明|诉求|联系方式|来电号码)[:：]",
)
RECURRENCE = (
    r"又(?:坏|停|漏|不亮|出现|发生|开始|堵|响|不动)|再次(?:出现|发生|损坏|故障|坏)"
    r"|修好(?:没|才|不到)|刚修好|又一次(?:坏|出现)|老毛病又"
)
# fmt: on
FACT_COLUMNS = {
    "building": pl.Int32,  # building number, null when not stated
    "unit": pl.Int32,
    "room": pl.Int32,
    "phone_head": pl.Utf8,  # first three digits of the phone, when shown
    "phone_tail": pl.Utf8,  # last four digits
    "facility": pl.Int64,  # bit k set: FACILITIES[k] mentioned
    "problem": pl.Int64,  # bit k set: PROBLEMS[k] mentioned
    "duration_days": pl.Float64,  # stated duration before the filing, null when not stated
    "prior_filing": pl.Boolean,
    "recurrence": pl.Boolean,
    "canonical": pl.Utf8,
}


def _cn_numbers() -> dict[str, int]:
    """Chinese numerals 1–99 as written (十二, 二十四, 两 …), to their values."""
    digits = dict(zip("一二三四五六七八九", range(1, 10), strict=True)) | {"两": 2}
    out = dict(digits)
    out.update({"十": 10, "一十": 10})
    for d, v in digits.items():
        if d == "两":
            continue
        out[f"十{d}"] = 10 + v
        out[f"一十{d}"] = 10 + v
        if v > 1:
            out[f"{d}十"] = 10 * v
            out.update({f"{d}十{e}": 10 * v + w for e, w in digits.items() if e != "两"})
    return out


CN_NUMBERS = _cn_numbers()
_DURATION_NUMBERS = {**{k: float(v) for k, v in CN_NUMBERS.items()}, "半": 0.5, "几": 3.0}


def _number(
    token: pl.Expr,
    table: dict[str, float] | dict[str, int],
    dtype: pl.DataType | type[pl.DataType],
) -> pl.Expr:
    """A numeral token (ASCII digits or a Chinese numeral) as a number; null when unreadable."""
    return (
        pl.when(token.str.contains(r"^[0-9]+$"))
        .then(token.cast(dtype, strict=False))
        .otherwise(token.replace_strict(table, default=None, return_dtype=dtype))
    )


def _first(text: pl.Expr, patterns: tuple[str, ...]) -> pl.Expr:
    return pl.coalesce([text.str.extract(p, 1) for p in patterns])


def _mask(text: pl.Expr, table: tuple[tuple[str, str], ...]) -> pl.Expr:
    return pl.sum_horizontal(
        [text.str.contains(p).cast(pl.Int64) * (1 << k) for k, (_, p) in enumerate(table)]
    )


def _phone(source: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    heads, tails = [], []
    for pattern, head, tail in PHONE_PATTERNS:
        found = source.str.extract_groups(pattern)
        tails.append(found.struct.field(str(tail)))
        given = found.struct.field(str(head)) if head else pl.lit("")
        heads.append(pl.when(found.struct.field(str(tail)).is_not_null()).then(given))
    return pl.coalesce(heads), pl.coalesce(tails)


_RELATIVE = "(" + "|".join(p for p, _ in RELATIVE_START) + ")"
_RELATIVE_DAYS = {w: float(d) for p, d in RELATIVE_START for w in p.split("|")}


def _duration(text: pl.Expr, received: pl.Expr) -> pl.Expr:
    """Days the text says the problem has lasted at filing (a stated date, a count, or a
    relative word such as 昨天), null when it says none."""
    counted = []
    for pattern in DURATION_PATTERNS:
        found = text.str.extract_groups(pattern)
        num = _number(found.struct.field("1"), _DURATION_NUMBERS, pl.Float64)
        unit = found.struct.field("2").replace_strict(
            DAYS_PER_UNIT, default=None, return_dtype=pl.Float64
        )
        counted.append(num * unit)
    since = text.str.extract_groups(SINCE_DATE)
    month = since.struct.field("1").cast(pl.Int32, strict=False)
    day = since.struct.field("2").cast(pl.Int32, strict=False)
    year = received.dt.year() - (month > received.dt.month()).cast(pl.Int32)
    since_days = (received.dt.date() - pl.date(year, month, day)).dt.total_days()
    relative = text.str.extract(_RELATIVE, 1).replace_strict(
        _RELATIVE_DAYS, default=None, return_dtype=pl.Float64
    )
    return pl.coalesce(
        [pl.when(since_days >= 0).then(since_days.cast(pl.Float64)), *counted, relative]
    )


_FACT_PHRASES = "|".join(
    f"(?:{p})"
    for p in (
        *(p for p, _, _ in PHONE_PATTERNS),
        r"[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,4}",
        rf"(?:{NUM})\s*(?:号楼|#楼|#|栋|幢|座|号\s*(?:[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*单元)",
        r"[0-9]{3,4}\s*(?:室|户|号房|房)?",
        r"(?:[0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*单元",
        *DURATION_PATTERNS,
        r"(?:联系)?(?:电话|手机)[:：]?",
        *BOILERPLATE,
    )
)
_SYNONYM_KEYS = sorted(SYNONYMS, key=len, reverse=True)


def _canonical(text: pl.Expr) -> pl.Expr:
    """Building, unit, room, phone and duration phrases and channel frames removed (one
    pass: the leftmost phrase wins, phones before rooms); synonyms to one form."""
    out = text.str.replace_all("12345", "热线", literal=True).str.replace_all(_FACT_PHRASES, "")
    out = out.str.replace_many(_SYNONYM_KEYS, [SYNONYMS[k] for k in _SYNONYM_KEYS], leftmost=True)
    return out.str.replace_all(r"[\s，。、！!？?：:；;（）()【】\[\]“”\"'…—-]+", "，")


def extract(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the `FACT_COLUMNS` added.

    Reads `text` (Utf8, the complaint's description, nullable) and `received_at` (Datetime).
    Pure column expressions: no Python loop over rows. Unstated facts are null (0 for the
    bit masks).
    """
    normal = pl.col("text").fill_null("").str.replace_all(r"[\s　]+", " ")
    normal = normal.str.replace_all("＃", "#", literal=True).str.replace_all(
        "－", "-", literal=True
    )
    # Lazy, so that each pattern's match (used by several columns) is computed once.
    text = pl.col("_normal")
    head, tail = _phone(text)
    return (
        frame.lazy()
        .with_columns(_normal=normal)
        .with_columns(
            building=_number(_first(text, BUILDING_PATTERNS), CN_NUMBERS, pl.Int32),
            unit=_number(_first(text, UNIT_PATTERNS), CN_NUMBERS, pl.Int32),
            room=_first(text, ROOM_PATTERNS).cast(pl.Int32, strict=False),
            phone_head=pl.when(head == "").then(None).otherwise(head),
            phone_tail=tail,
            facility=_mask(text, FACILITIES),
            problem=_mask(text, PROBLEMS),
            duration_days=_duration(text, pl.col("received_at")),
            prior_filing=text.str.contains(PRIOR_FILING),
            recurrence=text.str.contains(RECURRENCE),
            canonical=_canonical(text),
        )
        .drop("_normal")
        .collect()
    )


def names(mask: int, table: tuple[tuple[str, str], ...]) -> list[str]:
    """The tags of a bit mask, e.g. `names(5, FACILITIES) == ["电梯", "门禁"]`."""
    return [name for k, (name, _) in enumerate(table) if mask >> k & 1]


def readable(found: Mapping[str, Any] | None) -> StatedFacts:
    """Facts as a scan records them (the `_FACTS` struct of `rating.analysis.detection`, None
    when there is no complaint), with the facility and problem bit masks as names."""
    f = found or {}
    return StatedFacts(
        building=f.get("building"),
        unit=f.get("unit"),
        room=f.get("room"),
        phone=f.get("phone"),
        facility=names(int(f.get("facility") or 0), FACILITIES),
        problem=names(int(f.get("problem") or 0), PROBLEMS),
        stated_days=f.get("stated_days"),
        filed_before=f.get("filed_before"),
        broke_again=f.get("broke_again"),
    )

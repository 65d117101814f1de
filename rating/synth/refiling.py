"""Re-filings as residents and call-takers really word them: a labelled set for the integrity scan.

The generator's own refiles (`synth/integrity.py`) copy the original's building and problem
and change an opening or a demand. Real re-filings differ more: the same resident reports the
same leak on the 12345 hotline, then in a letter to the mayor's mailbox (市长信箱), a form on
the online petition site (网上信访) or a WeChat message — each channel with its own shape, in
other words, with detail added or dropped and the address in another notation. And some
complaints that look alike are *not* the same case: two neighbours with the same broken lift,
one resident's second problem, a lift that broke again after it was fixed.

`write_cases(projects, start, end, seed=…, cases=…)` invents residents (project, building,
unit, room, phone) and their problems, and writes complaints by these rules:

* **Channel styles** (`STYLES`): 12345热线 — a call-taker's third person (`市民来电反映：…`,
  the phone as `来电号码`); 市长信箱 — a first-person letter (`尊敬的市长：您好！我是…的业主`);
  网上信访 — a form (`投诉事项：… 具体地址：… 诉求：…`); 微信公众号 — short and colloquial
  (`3#2单元1804，电梯又停了！都4天了`), phone as `尾号5678`. The channel column carries the
  raw name (市长信箱, 网上信访, 微信公众号), which the contract reads as 信访 or 网上投诉.
* **Address notation**, drawn per complaint: `3号楼` / `3#楼` / `3#` / `3栋` / `3幢` / `三号楼`;
  `2单元` / `二单元` (left out 15 % of the time); `1804室` / `1804户` / `1804`; or `3-2-1804`.
* **Wording**: each problem (`PROBLEMS`) has several phrasings (漏水/渗水, 门禁坏了/单元门锁损坏
  …), some of which the scan's synonym lists do not know; a filing draws one, and zero to two
  details. Clauses (duration, detail, prior filing) come in a random order.
* **Duration**: a filing states how long the problem has lasted 70 % of the time, in one of
  eight forms (`已经4天了`, `持续4天`, `四天了`, `快一周了`, `半个月了`, `从3月5日开始` …),
  consistent with the time that passed between two filings of one case (±1 day).
* **Phone**: a filing gives the resident's masked phone (`138****5678` or `尾号5678`) with a
  probability that depends on the channel (`STYLES`).

Kinds (`KINDS`; every case starts with an `original` filing):

| kind | label | second filing |
| --- | --- | --- |
| `cross_channel` | duplicate | same resident and problem, another channel, 2 h – 6 days later |
| `same_channel` | duplicate | same resident and problem, same channel, 4 h – 5 days later, reworded |
| `late_repeat` | duplicate | 8–25 days later, saying it was filed before; 30 % a verbatim copy |
| `neighbour` | not | another household with the same problem, −1 – 5 days: of the same unit for what serves a unit (电梯, 楼道灯, 门禁), else of any unit of the building |
| `neighbour_same_number` | not | as `neighbour`, but the same room number in another unit (`2单元1804` and `3单元1804`): when one text leaves the unit out, only a phone tells them apart |
| `other_problem` | not | same resident, a problem with another facility, 0–10 days later |
| `recurrence` | not | same resident and problem, 8–40 days later, broken *again* (started after the first filing) |

A test set is a few thousand cases, so each is written in turn (one random stream, same
arguments same frames), not in the generator's vectorised chunks.

The truth frame lists every complaint: `complaint_id`, `kind`, `duplicate` (bool: the second
filing of a duplicate kind), `case_id` (one id per resident and problem episode: a pair is a
duplicate exactly when both share it), `first_id` (the case's original), `style`, and the
resident's `building`, `unit`, `room` and `phone` (what a reader of the text should find).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from rating.analysis.facts import CN_NUMBERS

# fmt: off
# Each problem: facility, category, phrasings, details.
PROBLEMS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("电梯", "电梯管理", ("电梯坏了", "电梯停运", "电梯故障无法使用", "电梯一直停着不动", "电梯按了没反应", "电梯趴窝了"),
     ("家里老人上下楼很困难", "住高层只能爬楼梯", "物业说在等配件", "孩子上学很不方便")),
    ("电梯异响", "电梯管理", ("电梯运行有异响", "电梯上下时咣当作响", "电梯运行时声音很大", "电梯晃得厉害还有怪声"),
     ("坐着很害怕", "担心出安全事故", "维保人员来看过没修好")),
    ("楼道灯", "房屋维修", ("楼道灯不亮", "楼道声控灯坏了", "楼梯间感应灯全都不亮", "楼道照明灯坏了没人修", "楼道里黑灯瞎火"),
     ("晚上上下楼摸黑", "老人差点摔倒", "报修后没人来")),
    ("门禁", "物业安保", ("门禁坏了", "单元门锁损坏", "单元门关不上", "门禁刷卡刷不开", "楼宇对讲门坏了"),
     ("外来人员随意进出", "存在安全隐患", "晚上不敢回家")),
    ("地库", "房屋维修", ("地库漏水", "地下车库顶部渗水", "地下停车场积水严重", "车库顶板往下滴水"),
     ("车辆被泡", "地面湿滑有人摔倒", "车停在下面很担心")),
    ("屋面", "房屋维修", ("楼顶漏水", "屋顶渗水到家里", "顶楼房间漏雨", "屋面防水坏了往屋里渗"),
     ("墙面发霉", "家具被泡坏", "一下雨就得拿盆接")),
    ("排水", "房屋维修", ("下水道堵塞返水", "排水管堵了往上冒水", "污水管道堵塞", "厨房下水返臭水"),
     ("家里全是臭味", "没法做饭", "一楼地面被污水淹了")),
    ("供水", "房屋维修", ("二次供水水质发黄", "自来水出水是黄的", "自来水水质浑浊发黄", "水龙头放出来的水发黄"),
     ("烧开水有沉淀", "不敢直接用来做饭", "物业也没有通知")),
    ("垃圾", "清洁卫生", ("楼下垃圾没人清运", "垃圾桶满溢没人收", "垃圾堆在楼下发臭"),
     ("苍蝇蚊子很多", "味道很大没法开窗")),
    ("监控", "物业安保", ("小区监控坏了", "楼道摄像头不工作", "监控设备损坏一直没修"),
     ("电动车被偷了查不到", "存在安全隐患")),
)
# Each style: the channel column value and the share of filings that give a phone.
STYLES: dict[str, tuple[str, float]] = {
    "12345热线": ("12345热线", 0.6), "市长信箱": ("市长信箱", 0.8),
    "网上信访": ("网上信访", 0.7), "微信公众号": ("微信公众号", 0.5),
}
KINDS = ("cross_channel", "same_channel", "late_repeat", "neighbour", "neighbour_same_number",
         "other_problem", "recurrence")
DUPLICATE_KINDS = ("cross_channel", "same_channel", "late_repeat")
SHARES = {"cross_channel": 0.28, "same_channel": 0.1, "late_repeat": 0.1, "neighbour": 0.24,
          "neighbour_same_number": 0.04, "other_problem": 0.14, "recurrence": 0.1}
UNIT_FACILITIES = ("电梯", "楼道灯", "门禁")  # serve one unit: a neighbour with the same fault lives in it
HOTLINE_OPENINGS = ("市民来电反映：", "来电人称，", "市民来电：", "来电人反映：")
HOTLINE_DEMANDS = ("要求物业尽快维修", "希望相关部门督促物业处理", "请相关部门核实处理", "要求尽快解决")
LETTER_DEMANDS = ("恳请领导督促物业尽快解决。", "希望市长过问此事。", "请有关部门帮忙协调解决，谢谢！")
FORM_DEMANDS = ("要求物业立即维修", "请求责令物业公司整改", "尽快修复")
WECHAT_ENDINGS = ("物业也不管", "赶紧修吧", "到底有没有人管", "太气人了")
PRIOR = ("之前打过12345", "之前已经反映过", "上次反映了还没修", "在市长信箱也反映过", "已经反映多次")
AGAIN = ("修好没几天又坏了", "之前修好了现在又出现了", "又出问题了", "刚修好又坏了")
# fmt: on
TRUTH_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "complaint_id": pl.Utf8,
    "kind": pl.Utf8,
    "duplicate": pl.Boolean,
    "case_id": pl.Utf8,
    "first_id": pl.Utf8,
    "style": pl.Utf8,
    "building": pl.Int32,
    "unit": pl.Int32,
    "room": pl.Int32,
    "phone": pl.Utf8,
}


@dataclass(frozen=True)
class Resident:
    project_id: str
    compound: str
    building: int
    unit: int
    room: int
    phone: str  # 11 digits


@dataclass(frozen=True)
class Filing:
    """One complaint to write: who, what, when, through which style, how long it lasted."""

    resident: Resident
    problem: int  # index into PROBLEMS
    at: datetime
    style: str
    lasted: float | None  # days the problem has lasted at filing, None: not stated
    prior: bool = False
    again: bool = False
    copy_of: str | None = None  # a verbatim copy of this text


def _cn(n: int, count: bool = False) -> str:
    """A Chinese numeral; `count`: 两 for 2, as in 两天 (but 二单元, 二号楼)."""
    if count and n == 2:
        return "两"
    return next(
        k for k, v in CN_NUMBERS.items() if v == n and k not in ("两",) and not k.startswith("一十")
    )


class _Writer:
    """The text of a filing, drawn with one random stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def address(self, r: Resident, short: bool = False) -> str:
        if self.rng.random() < 0.12:
            return f"{r.building}-{r.unit}-{r.room}"
        b = self.pick(
            (f"{r.building}号楼", f"{r.building}#楼", f"{r.building}#", f"{r.building}栋")
            + (f"{r.building}幢", f"{_cn(r.building)}号楼")
        )
        unit = (
            "" if self.rng.random() < 0.15 else self.pick((f"{r.unit}单元", f"{_cn(r.unit)}单元"))
        )
        room = self.pick((f"{r.room}室", f"{r.room}户", f"{r.room}")) if unit else f"{r.room}室"
        return ("" if short else r.compound) + b + unit + room

    def lasted(self, days: float) -> str:
        d = max(int(round(days)), 1)
        forms = [f"已经{d}天了", f"持续{d}天", f"有{d}天了"]
        if d <= 10:
            forms.append(f"{_cn(d, count=True)}天了")
        if 6 <= d <= 8:
            forms.append("快一周了")
        if 14 <= d <= 17:
            forms.append("半个月了")
        if d >= 31:
            forms.append("一个多月了")
        return self.pick(forms)

    def phone(self, r: Resident, style: str) -> str:
        if self.rng.random() >= STYLES[style][1]:
            return ""
        masked = f"{r.phone[:3]}****{r.phone[-4:]}"
        if style == "微信公众号":
            return f"手机尾号{r.phone[-4:]}"
        label = {"12345热线": "来电号码", "网上信访": "联系方式"}.get(style, "联系电话")
        return f"{label}：{masked}"

    def clauses(self, f: Filing, since: str) -> list[str]:
        """Duration, detail and prior-filing clauses in a random order."""
        details = PROBLEMS[f.problem][3]
        out = [since] if since else []
        chosen = self.rng.choice(len(details), size=int(self.rng.integers(0, 3)), replace=False)
        out += [details[int(k)] for k in chosen]
        if f.prior:
            out.append(self.pick(PRIOR))
        order = self.rng.permutation(len(out))
        return [out[k] for k in order]

    def text(self, f: Filing) -> str:
        problem = self.pick(PROBLEMS[f.problem][2])
        if f.again:
            problem = f"{problem}，{self.pick(AGAIN)}"
        since = "" if f.lasted is None else self.lasted(f.lasted)
        rest = self.clauses(f, since)
        phone = self.phone(f.resident, f.style)
        if f.style == "12345热线":
            body = "，".join([problem, *rest, self.pick(HOTLINE_DEMANDS)])
            tail = f"（{phone}）" if phone else ""
            return f"{self.pick(HOTLINE_OPENINGS)}{self.address(f.resident)}住户{body}。{tail}"
        if f.style == "市长信箱":
            body = "，".join([*rest[:1], problem, *rest[1:]])
            ask = self.pick(LETTER_DEMANDS)
            tail = f"{phone}。" if phone else ""
            return f"尊敬的市长：您好！我是{self.address(f.resident)}的业主，{body}。{ask}{tail}"
        if f.style == "网上信访":
            said = "，".join(rest) or "一直没人处理"
            tail = f"{phone}" if phone else ""
            return (
                f"投诉事项：{problem}。具体地址：{self.address(f.resident)}。"
                f"情况说明：{said}。诉求：{self.pick(FORM_DEMANDS)}。{tail}"
            )
        body = "，".join([*rest, self.pick(WECHAT_ENDINGS)])
        place = self.address(f.resident, short=self.rng.random() < 0.6)
        return f"{place}，{problem}！{body}！{phone}"


def _facility(problem: int) -> str:
    return PROBLEMS[problem][0][:2]  # 电梯异响 is a lift too


def _resident(rng: np.random.Generator, project: tuple[str, str]) -> Resident:
    phone = f"1{rng.integers(3, 10)}{rng.integers(0, 10)}{rng.integers(0, 10**8):08d}"
    room = int(rng.integers(1, 34)) * 100 + int(rng.integers(1, 5))
    return Resident(
        project[0], project[1], int(rng.integers(1, 31)), int(rng.integers(1, 7)), room, phone
    )


def _neighbour(rng: np.random.Generator, r: Resident, problem: int, same_number: bool) -> Resident:
    """Another household of the building with the same problem (see `KINDS`)."""
    other = _resident(rng, (r.project_id, r.compound))
    other_unit = (r.unit % 6) + 1
    if same_number:
        return Resident(r.project_id, r.compound, r.building, other_unit, r.room, other.phone)
    unit = r.unit if _facility(problem) in UNIT_FACILITIES else other.unit
    room = other.room if (unit, other.room) != (r.unit, r.room) else r.room + 100
    return Resident(r.project_id, r.compound, r.building, unit, room, other.phone)


def _stated(rng: np.random.Generator, days: float, share: float = 0.7) -> float | None:
    return days + float(rng.integers(-1, 2)) if rng.random() < share else None


def _second(rng: np.random.Generator, kind: str, first: Filing, lasted: float) -> Filing:
    """The second filing of a case of `kind` (see the module's table)."""
    styles = tuple(STYLES)
    r, p = first.resident, first.problem
    if kind in ("cross_channel", "same_channel"):
        hours = rng.uniform(2, 6 * 24) if kind == "cross_channel" else rng.uniform(4, 5 * 24)
        other = [s for s in styles if s != first.style]
        style = str(rng.choice(other)) if kind == "cross_channel" else first.style
        at = first.at + timedelta(hours=float(hours))
        since = _stated(rng, lasted + hours / 24, 0.6)
        return Filing(r, p, at, style, since, prior=bool(rng.random() < 0.45))
    if kind == "late_repeat":
        at = first.at + timedelta(days=float(rng.uniform(8, 25)))
        if rng.random() < 0.3:
            return Filing(r, p, at, first.style, first.lasted, copy_of="first")
        since = _stated(rng, lasted + (at - first.at).days, 0.5)
        return Filing(r, p, at, str(rng.choice(styles)), since, prior=bool(rng.random() < 0.8))
    if kind.startswith("neighbour"):
        at = first.at + timedelta(hours=float(rng.uniform(-24, 5 * 24)))
        since = _stated(rng, lasted + (at - first.at).total_seconds() / 86400, 0.6)
        who = _neighbour(rng, r, p, same_number=kind == "neighbour_same_number")
        return Filing(who, p, at, str(rng.choice(styles)), since)
    if kind == "other_problem":
        others = [k for k in range(len(PROBLEMS)) if _facility(k) != _facility(p)]
        at = first.at + timedelta(hours=float(rng.uniform(1, 10 * 24)))
        return Filing(r, int(rng.choice(others)), at, str(rng.choice(styles)), _stated(rng, 3))
    at = first.at + timedelta(days=float(rng.uniform(8, 40)))
    since = float(rng.integers(1, 3)) if rng.random() < 0.7 else None
    return Filing(r, p, at, str(rng.choice(styles)), since, again=True)


def _cases(
    rng: np.random.Generator,
    projects: list[tuple[str, str]],
    start: datetime,
    end: datetime,
    n: int,
) -> list[tuple[str, Filing, Filing]]:
    kinds = rng.choice(KINDS, size=n, p=[SHARES[k] for k in KINDS])
    span = max((end - start).total_seconds() - 45 * 86400, 86400)
    out = []
    for kind in kinds:
        resident = _resident(rng, projects[int(rng.integers(len(projects)))])
        day = start + timedelta(seconds=float(rng.uniform(0, span)))
        at = day.replace(
            hour=int(rng.integers(8, 21)), minute=int(rng.integers(0, 60)), microsecond=0
        )
        lasted = float(rng.choice((1, 2, 3, 4, 5, 6, 7, 10, 14, 20, 35)))
        first = Filing(
            resident,
            int(rng.integers(len(PROBLEMS))),
            at,
            str(rng.choice(tuple(STYLES))),
            _stated(rng, lasted),
        )
        second = _second(rng, str(kind), first, lasted)
        if start <= second.at < end:
            out.append((str(kind), first, second))
    return out


def write_cases(
    projects: pl.DataFrame, start: datetime, end: datetime, *, seed: int, cases: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(complaints, truth) for `cases` cases of two filings each, received in [start, end).

    `projects` needs `project_id` and `project_name` (projects served throughout the span).
    Complaints have the complaints contract's column names (`export_headers` renames them to
    an export's Chinese headers); the truth frame is described in the module doc. Same
    arguments, same frames. Raises ValueError when `projects` is empty.
    """
    if projects.is_empty():
        raise ValueError("write_cases needs at least one project")
    rng = np.random.default_rng([seed, 26])
    pairs = list(projects.select("project_id", "project_name").iter_rows())
    writer = _Writer(rng)
    rows, truth = [], []
    for n, (kind, first, second) in enumerate(_cases(rng, pairs, start, end, cases)):
        ids = (f"RF{seed % 10_000:04d}{2 * n:06d}", f"RF{seed % 10_000:04d}{2 * n + 1:06d}")
        first_text = writer.text(first)
        texts = (first_text, first_text if second.copy_of else writer.text(second))
        same_case = kind in DUPLICATE_KINDS
        cases_ = (f"C{ids[0]}", f"C{ids[0]}" if same_case else f"C{ids[1]}")
        for cid, filing, text, case, label in zip(
            ids, (first, second), texts, cases_, ("original", kind), strict=True
        ):
            rows.append(_row(rng, cid, filing, text))
            r = filing.resident
            truth.append(
                (cid, label, label in DUPLICATE_KINDS, case, ids[0], filing.style)
                + (r.building, r.unit, r.room, r.phone)
            )
    frame = pl.DataFrame(rows, schema=ROW_SCHEMA)
    return frame, pl.DataFrame(truth, orient="row", schema=TRUTH_SCHEMA)


ROW_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "complaint_id": pl.Utf8,
    "received_at": pl.Datetime("us"),
    "channel": pl.Utf8,
    "order_type": pl.Utf8,
    "category": pl.Utf8,
    "content": pl.Utf8,
    "project_id": pl.Utf8,
    "fact_finding": pl.Utf8,
    "deadline": pl.Datetime("us"),
    "closed_at": pl.Datetime("us"),
    "result": pl.Utf8,
    "satisfaction": pl.Utf8,
    "is_repeat": pl.Utf8,
}


def _row(rng: np.random.Generator, cid: str, f: Filing, text: str) -> dict[str, object]:
    at = f.at.replace(microsecond=0)
    finding = ("属实", "部分属实", "不属实")[int(rng.choice(3, p=(0.6, 0.25, 0.15)))]
    return {
        "complaint_id": cid,
        "received_at": at,
        "channel": STYLES[f.style][0],
        "order_type": "投诉举报类",
        "category": PROBLEMS[f.problem][1] if rng.random() < 0.8 else "其他",
        "content": text,
        "project_id": f.resident.project_id,
        "fact_finding": finding,
        "deadline": at + timedelta(days=7),
        "closed_at": at + timedelta(seconds=int(rng.integers(6 * 3600, 5 * 86400))),
        "result": "解决",
        "satisfaction": "满意",
        "is_repeat": "否",
    }


def export_headers(frame: pl.DataFrame) -> pl.DataFrame:
    """The complaints renamed to the first Chinese header the contract reads for each column."""
    from rating.schema import CONTRACTS

    columns = CONTRACTS["complaints"].schema.columns
    return frame.rename({c: columns[c].metadata["headers"][0] for c in frame.columns})

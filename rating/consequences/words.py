"""Measures in the words of a Chinese bureau notice: 区级检查每年1次，双随机抽查比例5%."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rating.ruleset.consequence_logic import Combined
from rating.ruleset.consequences import Measure

LEVELS = {"市": "市级检查", "区": "区级检查", "街道": "街道检查"}
HONOURS = {
    "priority": "评优评先优先考虑",
    "eligible": "可参加评优评先",
    "reduced": "评优评先予以减分",
    "excluded": "不得参加评优评先",
}
KIND_NAMES = {
    "inspection": "检查频次",
    "fee_ceiling": "收费等级上限",
    "reward": "达标奖励",
    "tender": "招投标信用分",
    "honours": "评优评先",
    "new_projects": "承接新项目",
    "market_exit": "市场退出",
    "notice": "其他措施",
}


def number(x: Decimal) -> str:
    """2 → '2', 0.5 → '0.5', 0.05 → '0.05' (no trailing zeros)."""
    return format(x.normalize(), "f")


# Inspections a year as a bureau notice says them: whole inspections per its own period.
PERIODS = {1: "每年", 2: "每半年", 4: "每季度", 12: "每月"}


def frequency(per_year: Decimal) -> str:
    """Inspections a year in whole inspections per period: 2 → 每半年1次, 4 → 每季度1次,
    12 → 每月1次, 0.5 → 每2年1次, 3 → 每年3次 (a count no period divides stays a year's)."""
    if per_year in PERIODS:
        return f"{PERIODS[int(per_year)]}1次"
    if 0 < per_year < 1 and (1 / per_year) == int(1 / per_year):
        return f"每{int(1 / per_year)}年1次"
    return f"每年{number(per_year)}次"


def share(x: Decimal) -> str:
    """A ratio as a percentage without trailing zeros: 0.05 → "5%", 0.125 → "12.5%"."""
    return number(x * 100) + "%"


def inspection_text(level: str | None, per_year: Decimal | None, sampling: Decimal | None) -> str:
    """An inspection measure in the bureau's words: its level's inspections per year and the 双随机
    (double-random) spot-check sampling ratio, e.g. "区级检查每年4次，双随机抽查比例20%"; "" when neither is set.
    """
    parts = []
    name = LEVELS.get(level or "", f"{level}检查")
    if per_year is not None:
        parts.append(f"{name}每年{number(per_year)}次")
    if sampling is not None:
        parts.append(("" if parts else name) + f"双随机抽查比例{share(sampling)}")
    return "，".join(parts)


def measure_text(m: Measure) -> str:
    """What one measure sets, in a few words."""
    if m.kind == "inspection":
        return inspection_text(m.level, m.per_year, m.sampling)
    if m.kind == "fee_ceiling":
        return f"收费不超过{m.tier}标准"
    if m.kind == "reward":
        return "不予达标奖励" if m.excluded else f"{m.tier}达标奖励"
    if m.kind == "tender":
        if m.excluded:
            return "不得参与物业项目招投标"
        points = m.points or Decimal(0)
        return f"招投标信用{'加' if points >= 0 else '减'}{number(abs(points))}分"
    if m.kind == "honours":
        return HONOURS[m.honours or "eligible"]
    if m.kind == "new_projects":
        return "不得承接新的物业服务项目"
    if m.kind == "market_exit":
        return "启动市场退出程序"
    return m.title


def combined_text(c: Combined) -> str:
    """What the measures of one key amount to together (the strictest of them)."""
    if c.key.startswith("inspection:"):
        return inspection_text(c.first.level, c.per_year, c.sampling)
    return measure_text(c.first)


def day(d: date | None) -> str:
    """A date as Chinese documents write it (2026年1月5日); "" for None."""
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"

"""The pandas peer: the default rule set (`yantai-2022@1.0.0`) as an analyst would write it.

It reads the sources from Parquet files (the warehouse's validated rows, exported once by the
harness, complaints in time order so a quarter's rows can be read alone), then does what
`rules/yantai-2022/1.0.0/ruleset.toml` says with ordinary pandas: filter, attribute each record
to the company serving its project on its date (merge, then keep the matching service period),
count per project and company, apply bands and caps, weight project scores into company
scores, add the good and bad buckets, grade, apply the overrides, the veto and the lists.

History: the earlier quarters' published grades (`history.parquet`: uscc, periods_back,
grade) give each company's run of consecutive C grades; three make the black list, as the
rule set says (`veto OR streak('C') >= 3`). Without that file every streak is one.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

FAR_FUTURE = pd.Timestamp("2200-01-01")
KEY_OBLIGATIONS = ["应急演练", "收费标准公示", "服务标准公示"]
VETO_CODES = ["V01", "V02", "V03", "V05", "V06", "V07"]  # V-VETO; V04 is V-SAFETY
RATE_BANDS = [(2, 0), (4, -2), (8, -5), (16, -10)]  # value <= upto -> points; else -15
GRADE_BANDS = [(85, "AAA"), (80, "AA"), (70, "A"), (60, "B")]  # else C
PROJECT_BANDS = [(72, "优秀"), (64, "良好"), (48, "合格")]  # else 不合格
UNIT = ["company", "project_id"]


def _read(folder: Path, kind: str, columns: list[str], start: date | None, end: date):
    filters = [("_date", "<=", end)] + ([("_date", ">=", start)] if start else [])
    frame = pd.read_parquet(folder / f"{kind}.parquet", columns=columns, filters=filters)
    frame["_date"] = pd.to_datetime(frame["_date"])
    return frame


def service(folder: Path) -> pd.DataFrame:
    cols = ["project_id", "company_uscc", "households", "service_start", "service_end"]
    svc = pd.read_parquet(folder / "projects.parquet", columns=cols)
    svc = svc.rename(columns={"company_uscc": "company"})
    svc["service_start"] = pd.to_datetime(svc["service_start"])
    svc["service_end"] = pd.to_datetime(svc["service_end"]).fillna(FAR_FUTURE)
    return svc


def units(svc: pd.DataFrame, ps: pd.Timestamp, pe: pd.Timestamp) -> pd.DataFrame:
    """Each (company, project) that served in the period: households, days, weight, exposure."""
    s = svc[(svc.service_start <= pe) & (svc.service_end >= ps)].copy()
    s["days"] = (s.service_end.clip(upper=pe) - s.service_start.clip(lower=ps)).dt.days + 1
    s["hh_days"] = s.households * s.days
    s = s.sort_values("service_start")
    u = s.groupby(UNIT).agg(
        households=("households", "last"), days=("days", "sum"), hh_days=("hh_days", "sum")
    )
    period_days = (pe - ps).days + 1
    u["weight"] = (u.households * u.days / period_days).round(6)
    u["exposure"] = u.hh_days / period_days
    return u.reset_index()


def attribute(records: pd.DataFrame, svc: pd.DataFrame) -> pd.DataFrame:
    """Each record with the company serving its project on its date."""
    m = records.merge(
        svc[["project_id", "company", "service_start", "service_end"]], on="project_id"
    )
    return m[(m._date >= m.service_start) & (m._date <= m.service_end)]


def per_unit(frame: pd.DataFrame, mask: pd.Series, points: float | pd.Series) -> pd.DataFrame:
    hit = frame.loc[mask, UNIT].copy()
    hit["total"] = points[mask] if isinstance(points, pd.Series) else points
    return hit.groupby(UNIT).agg(records=("total", "size"), total=("total", "sum")).reset_index()


def complaint_rules(folder: Path, svc: pd.DataFrame, ps, pe) -> dict[str, pd.DataFrame]:
    cols = ["project_id", "_date", "order_type", "fact_finding", "is_repeat", "repeat_of"]
    cols += ["satisfaction", "petitioners", "closed_at", "deadline"]
    c = attribute(_read(folder, "complaints", cols, ps.date(), pe.date()), svc)
    verified = c.fact_finding.isin(["属实", "部分属实"])
    ok = verified & ~(c.is_repeat.fillna(False).astype(bool) | c.repeat_of.notna())
    overdue = np.where(
        c.closed_at.notna(), c.closed_at > c.deadline, c.deadline < pe + timedelta(1)
    )
    return {
        "P-CMP-RATE": per_unit(c, ok & (c.order_type == "投诉举报类"), 1.0),
        "P-CMP-LATE": per_unit(c, ok & overdue, -0.5),
        "P-CMP-DISSAT": per_unit(c, ok & (c.satisfaction == "不满意"), -0.3),
        "P-CMP-COLLECTIVE": per_unit(c, verified & (c.petitioners.fillna(1) >= 10), -5.0),
    }


def inspection_rules(folder: Path, svc: pd.DataFrame, ps, pe) -> dict[str, pd.DataFrame]:
    cols = ["project_id", "_date", "level", "deducted", "severity", "rectify_by", "rectified_on"]
    i = attribute(_read(folder, "inspections", cols, ps.date(), pe.date()), svc)
    weight = i.level.map({"市": 1.0, "区": 0.8}).fillna(0.6)
    rectify_by, rectified_on = pd.to_datetime(i.rectify_by), pd.to_datetime(i.rectified_on)
    late = rectify_by.notna() & (rectify_by <= pe)
    late &= rectified_on.isna() | (rectified_on > rectify_by)
    deducted = i.deducted.astype(float)
    return {
        "P-INSP-DEDUCT": per_unit(i, deducted > 0, -0.25 * deducted * weight),
        "P-INSP-UNRECTIFIED": per_unit(i, (i.severity == "严重") & late, -3.0),
    }


def contract_rules(folder: Path, svc: pd.DataFrame, ps, pe) -> dict[str, pd.DataFrame]:
    cols = ["project_id", "_date", "obligation", "performance"]
    k = attribute(_read(folder, "contracts", cols, ps.date(), pe.date()), svc)
    unfulfilled, partly = k.performance == "未履行", k.performance == "基本履行"
    key = k.obligation.isin(KEY_OBLIGATIONS)
    other = (unfulfilled & ~key) | partly
    return {
        "P-CONTRACT-KEY": per_unit(k, unfulfilled & key, -10.0),
        "P-CONTRACT-OTHER": per_unit(
            k, other, pd.Series(np.where(unfulfilled, -3.0, -1.0), k.index)
        ),
    }


def opinion_rules(folder: Path, svc: pd.DataFrame, ps, pe) -> dict[str, pd.DataFrame]:
    o = attribute(
        _read(folder, "opinions", ["project_id", "_date", "rating"], ps.date(), pe.date()), svc
    )
    value = o.rating.map({"优秀": 2.0, "良好": 0.0, "合格": -2.0}).fillna(-6.0)
    street = per_unit(o, pd.Series(True, o.index), value)
    street["value"] = street.total / street.records
    return {"P-STREET": street}


def event_rules(folder: Path, pe) -> dict[str, pd.DataFrame]:
    cols = ["uscc", "_date", "info_kind", "code", "points", "valid_until", "serious"]
    cols += ["rectified_on", "status"]
    e = _read(folder, "events", cols, None, pe.date())
    e = e[e.status.fillna("有效") == "有效"].rename(columns={"uscc": "company"})
    valid_until, rectified_on = pd.to_datetime(e.valid_until), pd.to_datetime(e.rectified_on)
    rolling = np.where(valid_until.isna(), e._date > pe - timedelta(365), valid_until >= pe)
    unrectified = rectified_on.isna() | (rectified_on > pe)
    good, bad = e.info_kind == "良好", e.info_kind == "不良"
    serious = e.serious.fillna(False).astype(bool)
    points = e.points.astype(float)

    def per_company(mask: pd.Series, sign: float) -> pd.DataFrame:
        hit = e.loc[mask, ["company"]].assign(total=sign * points[mask])
        return hit.groupby("company").agg(records=("total", "size"), total=("total", "sum"))

    return {
        "G-INFO": per_company(good & rolling, 1.0),
        "B-INFO": per_company(bad & ~serious & rolling, -1.0),
        "B-SERIOUS": per_company(bad & serious & unrectified, -1.0),
        "V-VETO": per_company(e.code.isin(VETO_CODES) & unrectified, 0.0),
        "V-SAFETY": per_company((e.code == "V04") & unrectified, 0.0),
    }


def rate_band(value: pd.Series) -> pd.Series:
    points = pd.Series(-15.0, value.index)
    for upto, pts in reversed(RATE_BANDS):
        points[value <= upto] = pts
    return points.where(value.notna(), 0.0)


def capped(raw: pd.Series, cap: float | None) -> pd.Series:
    return raw if cap is None else np.sign(raw) * np.minimum(raw.abs(), cap)


CAPS = {
    "P-CMP-LATE": 10, "P-CMP-DISSAT": 6, "P-CMP-COLLECTIVE": 15, "P-INSP-DEDUCT": 16,
    "P-INSP-UNRECTIFIED": 12, "P-CONTRACT-KEY": 20, "P-CONTRACT-OTHER": 10,
}  # fmt: skip


def project_rule_points(u: pd.DataFrame, found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    out = []
    for rule_id, agg in found.items():
        r = u[[*UNIT, "exposure"]].merge(agg, on=UNIT, how="left")
        r["records"] = r.records.fillna(0).astype(int)
        if rule_id == "P-CMP-RATE":
            r["value"] = np.where(r.exposure > 0, r.records * 1000.0 / r.exposure, np.nan)
            r["raw_points"] = rate_band(r.value)
        elif rule_id == "P-STREET":
            r["raw_points"] = r.value.fillna(0.0)
        else:
            r["value"] = np.nan
            r["raw_points"] = r.total.fillna(0.0)
        r["points"] = capped(r.raw_points, CAPS.get(rule_id))
        out.append(
            r.assign(rule_id=rule_id)[
                [*UNIT, "rule_id", "value", "records", "raw_points", "points"]
            ]
        )
    return pd.concat(out, ignore_index=True)


def company_rule_points(rated: pd.Index, found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    out = []
    for rule_id, agg in found.items():
        r = pd.DataFrame(index=rated).join(agg, how="left")
        r["records"] = r.records.fillna(0).astype(int)
        r["raw_points"] = r.total.fillna(0.0)
        r["points"] = r.raw_points
        out.append(
            r.rename_axis("company")
            .reset_index()
            .assign(rule_id=rule_id, project_id=None, value=np.nan)
        )
    cols = [*UNIT, "rule_id", "value", "records", "raw_points", "points"]
    return pd.concat(out, ignore_index=True)[cols]


def grade(score: float, count_bad: int, registered: bool, veto: bool, rated: bool) -> str | None:
    if not rated:
        return None
    if veto:
        return "C"
    if not registered:
        return "C(缺失)"
    if score < 60 and count_bad == 0:
        return "B"
    return next((g for floor, g in GRADE_BANDS if score >= floor), "C")


BLACK_STREAK = 3  # three consecutive C grades


def c_streak(folder: Path, grades: pd.Series) -> pd.Series:
    """Per company (the index of `grades`): consecutive quarters graded exactly C, this one
    included, from the earlier quarters' grades (0 when this quarter is not C)."""
    streak = (grades == "C").astype(int)
    path = folder / "history.parquet"
    if not path.exists():
        return streak
    hist = pd.read_parquet(path)
    alive = streak.astype(bool)
    for k in range(1, int(hist.periods_back.max() or 0) + 1):
        was_c = hist[(hist.periods_back == k) & (hist.grade == "C")].uscc
        alive &= grades.index.isin(was_c)
        streak += alive.astype(int)
    return streak


def companies(
    folder: Path, u: pd.DataFrame, rule_points: pd.DataFrame, vetoed: set[str]
) -> pd.DataFrame:
    c = pd.read_parquet(folder / "companies.parquet", columns=["uscc", "registered"])
    c["registered"] = c.registered.fillna(True).astype(bool)
    proj = (
        u.assign(sw=u.score * u.weight)
        .groupby("company")
        .agg(sw=("sw", "sum"), w=("weight", "sum"))
    )
    proj["project_score"] = (proj.sw / proj.w.replace(0, np.nan)).round(4)
    comp = rule_points[rule_points.project_id.isna()]
    good = comp[comp.rule_id == "G-INFO"].groupby("company").points.sum().clip(0, 40)
    bad_rows = comp[comp.rule_id.isin(["B-INFO", "B-SERIOUS", "V-VETO", "V-SAFETY"])]
    bad = bad_rows.groupby("company").points.sum().clip(upper=0)
    count_bad = bad_rows.groupby("company").records.sum()
    c = c.set_index("uscc").join(proj.project_score)
    c["rated"] = c.project_score.notna()
    c["score"] = c.project_score + good.reindex(c.index).fillna(0) + bad.reindex(c.index).fillna(0)
    c["count_bad"] = count_bad.reindex(c.index).fillna(0).astype(int)
    c["veto"] = c.index.isin(list(vetoed))
    c["grade"] = [
        grade(s, n, r, v, rt)
        for s, n, r, v, rt in zip(c.score, c.count_bad, c.registered, c.veto, c.rated, strict=True)
    ]
    c["red"] = c.rated & (c.grade == "AAA") & (c.count_bad == 0)
    c["black"] = c.rated & (c.veto | (c_streak(folder, c.grade) >= BLACK_STREAK))
    return c.rename_axis("uscc").reset_index()[
        ["uscc", "rated", "project_score", "score", "grade", "red", "black"]
    ]


def rate(folder: Path, period_start: date, period_end: date) -> dict[str, pd.DataFrame]:
    """Rate one period: rule points, project scores and company grades."""
    ps, pe = pd.Timestamp(period_start), pd.Timestamp(period_end)
    svc = service(folder)
    u = units(svc, ps, pe)
    found = {
        **complaint_rules(folder, svc, ps, pe),
        **inspection_rules(folder, svc, ps, pe),
        **contract_rules(folder, svc, ps, pe),
        **opinion_rules(folder, svc, ps, pe),
    }
    points = project_rule_points(u, found)
    u = u.merge(
        points.groupby(UNIT).points.sum().rename("points").reset_index(), on=UNIT, how="left"
    )
    u["score"] = (80 + u.points.fillna(0)).clip(0, 80)
    u["grade"] = [next((g for f, g in PROJECT_BANDS if s >= f), "不合格") for s in u.score]
    events = event_rules(folder, pe)
    points = pd.concat([points, company_rule_points(pd.Index(u.company.unique()), events)])
    vetoed = set(events["V-VETO"].index) | set(events["V-SAFETY"].index)
    return {
        "rule_points": points[(points.records > 0) | (points.points != 0)].reset_index(drop=True),
        "projects": u[[*UNIT, "score", "grade"]],
        "companies": companies(folder, u, points, vetoed),
    }

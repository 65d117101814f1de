"""Project managers, their assignments and satisfaction surveys (issue 19), at any scale.

* Each company employs about one manager per two of its projects; a manager may run several
  of the company's projects at once (a project has one manager at a time).
* Turnover: a service period is split in two stints with probability `TURNOVER` (the manager
  leaves, another of the company's managers takes over); when a project changes company, its
  manager stays with the project (moves to the new company) with probability `STAYS`. The
  register names each manager's latest employer.
* Identity numbers are synthetic but valid (GB 11643-1999 check character).
* Surveys: about one a year per project; organisers, respondents and rates as in the notes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rating.idnumber import CHECKS, WEIGHTS
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import S_MANAGERS, dates, day_of
from rating.synth.writers import CsvFile, format_temporal, with_headers

TURNOVER = 0.25
STAYS = 0.5
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
ORGANISER_SHARES = {"第三方机构": 0.6, "街道办事处": 0.3, "住房城乡建设部门": 0.1}

MANAGER_COLUMNS = ("certificate_no", "name", "employer_uscc", "id_hash", "registered_on")
ASSIGNMENT_COLUMNS = ("project_id", "certificate_no", "start_on", "end_on")
SURVEY_COLUMNS = (
    "survey_id", "project_id", "surveyed_on", "organiser", "organiser_name", "respondents",
    "sample_size", "satisfaction_rate", "score", "item_scores",
)  # fmt: skip


def id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` valid identity numbers: region 370602, born 1965-1995, a sequence and the check."""
    born = np.datetime64("1965-01-01") + rng.integers(0, 365 * 30, n).astype("timedelta64[D]")
    text = np.char.add(
        np.char.add("370602", np.char.replace(born.astype(str), "-", "")),
        np.char.zfill(rng.integers(0, 1000, n).astype(str), 3),
    )
    digits = np.array([list(t) for t in text], dtype=np.int64).reshape(n, 17)
    checks = np.array(list(CHECKS))[(digits @ np.array(WEIGHTS)) % 11]
    return np.char.add(text, checks)


def _stints(ctx: Context) -> pl.DataFrame:
    """One row per (period, stint): project, company, first and last day, manager."""
    p, rng = ctx.world.periods, ctx.plan.rng(S_MANAGERS, 0)
    n = len(p)
    per_company = np.bincount(p.company, minlength=len(ctx.world.companies))
    pool = np.maximum(1, (per_company + 1) // 2)
    offset = np.concatenate([[0], np.cumsum(pool)[:-1]])
    long_enough = p.last - p.start > 90
    split = long_enough & (rng.random(n) < TURNOVER)
    cut = np.where(split, p.start + (rng.random(n) * (p.last - p.start - 60)).astype(int) + 30, 0)
    draw = rng.integers(0, 1 << 30, n)
    first = offset[p.company] + draw % pool[p.company]
    second = offset[p.company] + (draw + 1) % pool[p.company]
    # a project changing company keeps its manager with probability STAYS
    handed = np.concatenate([[False], p.project[1:] == p.project[:-1]])
    stays = handed & (rng.random(n) < STAYS)
    prev_last = np.concatenate([[0], np.where(split, second, first)[:-1]])
    first = np.where(stays, prev_last, first)
    one = pl.DataFrame(
        {"period": np.arange(n), "start": p.start, "last": np.where(split, cut - 1, p.last),
         "manager": first, "open": ~split & p.open}
    )  # fmt: skip
    two = pl.DataFrame(
        {"period": np.arange(n)[split], "start": cut[split], "last": p.last[split],
         "manager": second[split], "open": p.open[split]}
    )  # fmt: skip
    out = pl.concat([one, two])
    period = out["period"].to_numpy()
    return out.with_columns(
        project=pl.Series(p.project[period]), company=pl.Series(p.company[period])
    ).sort("project", "start")


def write(ctx: Context) -> list[GeneratedFile]:
    """Write the project-manager register (managers.csv, UTF-8; certificate numbers `WYJL<6
    digits>`, identity numbers as keyed hashes only) and the assignments of managers to projects
    (assignments.csv, GB18030); returns both files."""
    stints = _stints(ctx)
    rng = ctx.plan.rng(S_MANAGERS, 1)
    world = ctx.world
    used = stints.group_by("manager").agg(pl.col("company").sort_by("start").last()).sort("manager")
    m = len(used)
    cert = pl.Series([f"WYJL{i:06d}" for i in used["manager"]])
    names = [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c >= 0 else "")
        for a, b, c in zip(
            rng.integers(0, len(SURNAMES), m),
            rng.integers(0, len(GIVEN), m),
            np.where(rng.random(m) < 0.7, rng.integers(0, len(GIVEN), m), -1),
            strict=True,
        )
    ]
    registered = ctx.plan.start_day - rng.integers(200, 3000, m)
    register = pl.DataFrame(
        {
            "certificate_no": cert,
            "name": names,
            "employer_uscc": world.companies["uscc"][used["company"].to_numpy()],
            "id_hash": id_numbers(rng, m),
            "registered_on": dates(registered).dt.strftime("%Y-%m-%d"),
        }
    )
    cert_of = dict(zip(used["manager"].to_list(), cert.to_list(), strict=True))
    assignments = pl.DataFrame(
        {
            "project_id": world.projects["project_id"][stints["project"].to_numpy()],
            "certificate_no": [cert_of[x] for x in stints["manager"].to_list()],
            "start_on": dates(stints["start"].to_numpy()),
            "end_on": dates(stints["last"].to_numpy(), ~stints["open"].to_numpy()),
        }
    )
    assignments = format_temporal(assignments, dict.fromkeys(("start_on", "end_on"), "%Y/%-m/%-d"))
    return [
        _csv(ctx, "managers", register, MANAGER_COLUMNS, "utf-8"),
        _csv(ctx, "assignments", assignments, ASSIGNMENT_COLUMNS, "gb18030"),
    ]


def _csv(
    ctx: Context, kind: str, frame: pl.DataFrame, columns: tuple[str, ...], encoding: str
) -> GeneratedFile:
    header = headers(kind, columns)
    path = ctx.out_dir / f"{kind}.csv"
    with CsvFile(path, list(header.values()), encoding=encoding, crlf=True) as out:
        out.write(with_headers(frame.select(columns), header))
    ctx.report(kind, len(frame), len(frame))
    return GeneratedFile(kind, path, len(frame), "csv", encoding)


def write_surveys(ctx: Context) -> list[GeneratedFile]:
    """About one survey a year per project, on a day its company served it."""
    rng, p, world = ctx.plan.rng(S_MANAGERS, 2), ctx.world.periods, ctx.world
    lo, hi = ctx.plan.start_day, ctx.plan.end_day
    served = p.overlap(lo, hi)
    expected = served / 365.0
    count = rng.poisson(expected)
    idx = np.repeat(np.arange(len(p)), count)
    n = len(idx)
    first, last = np.maximum(p.start[idx], lo), np.minimum(p.last[idx], hi)
    day = first + (rng.random(n) * (last - first + 1)).astype(int)
    households = world.projects["households"].to_numpy()[p.project[idx]]
    respondents = np.maximum(10, (households * rng.uniform(0.03, 0.3, n)).astype(int))
    sample = respondents + rng.binomial(respondents, 0.15)
    # the serving company's complaint factor (median 1, higher is worse) in the survey's quarter
    starts = np.array([day_of(q.start) for q in ctx.plan.periods], dtype=np.int64)
    quarter = np.searchsorted(starts, day, side="right") - 1
    factor = world.quality.factor(p.company[idx], quarter)
    mean = np.clip(0.92 - 0.08 * np.log(factor), 0.5, 0.99)
    rate = np.round(100 * rng.beta(mean * 40, (1 - mean) * 40), 1)
    score = np.round(np.clip(rate * 0.95 + rng.normal(3, 2, n), 0, 100), 1)
    organiser = rng.choice(list(ORGANISER_SHARES), n, p=list(ORGANISER_SHARES.values()))
    items = [
        f"秩序维护:{a:.0f};环境卫生:{b:.0f};设施维护:{c:.0f}"
        for a, b, c in np.clip(score[:, None] + rng.normal(0, 4, (n, 3)), 0, 100)
    ]
    frame = pl.DataFrame(
        {
            "survey_id": [f"MYD{i:07d}" for i in range(1, n + 1)],
            "project_id": world.projects["project_id"][p.project[idx]],
            "surveyed_on": dates(day).dt.strftime("%Y-%m-%d"),
            "organiser": organiser,
            "organiser_name": np.where(organiser == "第三方机构", "云港市民意调查中心", ""),
            "respondents": respondents,
            "sample_size": sample,
            "satisfaction_rate": rate,
            "score": score,
            "item_scores": items,
        }
    ).sort("surveyed_on", "survey_id")
    return [_csv(ctx, "surveys", frame, SURVEY_COLUMNS, "utf-8")]

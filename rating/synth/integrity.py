"""Opt-in integrity ground truth: unmarked near-duplicates and coordinated campaigns.

With `generate(…, integrity=True)` each complaint chunk gets, besides its orders:

* **refiles**: about `REFILE_SHARE` of the chunk's original orders are filed again through
  another channel 2 hours to 5 days later, reworded (another opening, sometimes another
  situation or demand), and *not* marked as repeats (是否重复 empty, no 重复工单号): the
  duplicates a hotline misses;
* **campaigns**: about one per `ORDERS_PER_CAMPAIGN` orders, `CAMPAIGN_SIZE` similar complaints
  against one project within 1–3 days, each from a different caller, all unmarked.

Extra orders are numbered `yyyymmdd` + `9` + two digits of the chunk + a 5-digit sequence,
so they never collide with the generator's own numbers. They are clean (no dirt) and appended
to the quarter's file. `integrity_truth.parquet` lists every one: `complaint_id`, `kind`
(duplicate | campaign), `duplicate_of`, `campaign_id`, `project_id`. Off by default: without
it, every file is byte-identical to what the generator wrote before this option existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from rating.schema.vocabularies import CHANNELS, FINDINGS
from rating.synth import vocab
from rating.synth.plan import DAY, Plan, pick, rounded_count, uniform_days
from rating.synth.world import World

S_INTEGRITY = 9  # random stream of this module (see plan.py: never reuse a number)
TRUTH_FILE = "integrity_truth.parquet"

REFILE_SHARE = 0.05
ORDERS_PER_CAMPAIGN = 2500
CAMPAIGN_SIZE = (6, 30)  # members, both included
CAMPAIGN_DAYS = (1, 3)

# fmt: off
REFILE_OPENINGS = ("来电人称：", "业主来电，", "网友留言：", "市民通过网络反映：", "居民称，", "来信反映：")
CAMPAIGN_CATEGORIES = ("物业服务态度", "物业收费", "清洁卫生", "物业安保")
CAMPAIGN_CORES = (
    "物业公司服务质量太差", "物业费收取不合理", "物业长期不作为", "物业公司私自涨价",
    "小区管理混乱", "物业侵占公共收益",
)
CAMPAIGN_POINTS = (
    "垃圾无人清理", "门岗形同虚设", "报修无人理会", "公共区域脏乱差", "电梯经常停运",
    "绿化无人养护", "收费不公示", "停车乱收费",
)
CAMPAIGN_DEMANDS = (
    "强烈要求更换物业公司", "要求主管部门严肃查处", "要求退还多收的物业费",
    "请求取消该物业的服务资格",
)
CAMPAIGN_OPENINGS = ("业主反映：", "市民来电反映：", "小区业主联名反映：", "来电人称，", "")
CAMPAIGN_FINDINGS = (0.4, 0.2, 0.3, 0.1)  # 属实, 部分属实, 不属实, 未认定
# fmt: on

_OPENINGS = sorted(
    (o for o in vocab.COMPLAINT_OPENINGS + vocab.REPEAT_OPENINGS if o), key=len, reverse=True
)
_SHAPE = (
    "^(?:" + "|".join(_OPENINGS) + ")?(?P<head>.*?号楼)(?P<problem>[^，]*)，(?P<situation>[^，]*)，"
)
TRUTH_SCHEMA = {
    "complaint_id": pl.Utf8,
    "kind": pl.Utf8,
    "duplicate_of": pl.Utf8,
    "campaign_id": pl.Utf8,
    "project_id": pl.Utf8,
}


@dataclass
class Truth:
    """What the extras of every chunk were, gathered for the truth file."""

    frames: list[pl.DataFrame] = field(default_factory=list)

    def frame(self) -> pl.DataFrame:
        return pl.concat(self.frames) if self.frames else pl.DataFrame(schema=TRUTH_SCHEMA)

    def counts(self) -> dict[str, int]:
        t = self.frame()
        return {
            "duplicates": int((t["kind"] == "duplicate").sum()),
            "campaigns": int(t["campaign_id"].drop_nulls().n_unique()),
            "campaign_complaints": int((t["kind"] == "campaign").sum()),
        }


def _choice(rng: np.random.Generator, options: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(options)[pick(rng, np.ones(len(options)), n)]


def _seconds(col: str) -> pl.Expr:
    return pl.col(col).dt.epoch("s")


def _refiles(plan: Plan, frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Reworded copies of some originals, through another channel, a few days later."""
    originals = frame.filter(pl.col("is_repeat") == "否")
    chosen = originals.filter(pl.Series(rng.random(len(originals)) < REFILE_SHARE))
    n = len(chosen)
    shift = rng.integers(2 * 3600, 5 * DAY, n)
    other = rng.integers(1, len(CHANNELS), n)
    channel = (chosen["channel"].replace_strict(CHANNELS, range(len(CHANNELS))) + other) % len(
        CHANNELS
    )
    parts = chosen["content"].str.extract_groups(_SHAPE)
    new_situation = _choice(rng, vocab.COMPLAINT_SITUATIONS, n)
    keep_situation = pl.Series(rng.random(n) < 0.5)
    text = pl.concat_str(
        [
            _choice(rng, REFILE_OPENINGS, n),
            parts.struct.field("head"),
            parts.struct.field("problem"),
            pl.lit("，"),
            pl.select(
                pl.when(keep_situation)
                .then(parts.struct.field("situation"))
                .otherwise(new_situation)
            ).to_series(),
            pl.lit("，"),
            _choice(rng, vocab.COMPLAINT_DEMANDS, n),
            pl.lit("。"),
        ]
    )
    out = chosen.with_columns(
        received_at=pl.from_epoch(chosen["received_at"].dt.epoch("s") + shift, time_unit="s"),
        deadline=pl.from_epoch(chosen["deadline"].dt.epoch("s") + shift, time_unit="s"),
        closed_at=pl.from_epoch(chosen["closed_at"].dt.epoch("s") + shift, time_unit="s"),
        channel=pl.Series(CHANNELS)[channel.to_numpy()],
        content=pl.select(pl.coalesce(text, chosen["content"])).to_series(),
        duplicate_of=chosen["complaint_id"],
        campaign_id=pl.lit(None, pl.Utf8),
    )
    return out.filter(_seconds("received_at") <= plan.end_ts)


@dataclass(frozen=True)
class _Campaign:
    period: int  # service period index
    start: int  # first second
    span: int  # seconds
    size: int
    category: str
    core: str
    demand: str
    label: str


def _campaigns(
    plan: Plan,
    world: World,
    chunk_index: int,
    lo: int,
    hi: int,
    rows: int,
    rng: np.random.Generator,
) -> list[_Campaign]:
    p = world.periods
    overlap = p.overlap(lo, hi)
    count = rounded_count(rng, rows / ORDERS_PER_CAMPAIGN) if overlap.sum() > 0 else 0
    out = []
    for k in range(count):
        period = int(pick(rng, overlap, 1)[0])
        first, last = max(int(p.start[period]), lo), min(int(p.last[period]), hi)
        day = int(uniform_days(rng, np.array([first]), np.array([last]))[0])
        days = int(rng.integers(CAMPAIGN_DAYS[0], CAMPAIGN_DAYS[1] + 1))
        end = min((min(day + days, last + 1)) * DAY - 1, plan.end_ts)
        out.append(
            _Campaign(
                period,
                day * DAY + 8 * 3600,
                max(end - (day * DAY + 8 * 3600), 3600),
                int(rng.integers(CAMPAIGN_SIZE[0], CAMPAIGN_SIZE[1] + 1)),
                CAMPAIGN_CATEGORIES[int(rng.integers(len(CAMPAIGN_CATEGORIES)))],
                CAMPAIGN_CORES[int(rng.integers(len(CAMPAIGN_CORES)))],
                CAMPAIGN_DEMANDS[int(rng.integers(len(CAMPAIGN_DEMANDS)))],
                f"C{chunk_index:04d}-{k:02d}",
            )
        )
    return out


def _campaign_rows(
    world: World, campaign: _Campaign, rng: np.random.Generator, schema: pl.Schema
) -> pl.DataFrame:
    n = campaign.size
    p = world.periods
    project = world.projects.row(int(p.project[campaign.period]), named=True)
    company = world.companies["name"][int(p.company[campaign.period])]
    received = campaign.start + np.sort(rng.integers(0, campaign.span, n))
    closed = received + rng.integers(DAY, 6 * DAY, n)
    points = pl.Series(CAMPAIGN_POINTS)
    first = rng.integers(0, len(points), n)
    second = (first + rng.integers(1, len(points), n)) % len(points)  # two different points
    text = pl.concat_str(
        [
            _choice(rng, CAMPAIGN_OPENINGS, n),
            pl.lit(project["project_name"] + campaign.core + "，"),
            points[first],
            pl.lit("、"),
            points[second],
            pl.lit("，" + campaign.demand + "。"),
        ]
    )
    content = pl.select(text).to_series()
    frame = pl.DataFrame(
        {
            "received_at": pl.from_epoch(pl.Series(received), time_unit="s"),
            "channel": _choice(rng, CHANNELS, n),
            "order_type": pl.Series(["投诉举报类"] * n),
            "category": pl.Series([campaign.category] * n),
            "content": content,
            "district": pl.Series([project["district"]] * n),
            "street": pl.Series([project["street"]] * n),
            "project_name": pl.Series([project["project_name"]] * n),
            "project_id": pl.Series([project["project_id"]] * n),
            "company_name": pl.Series([company] * n),
            "fact_finding": pl.Series(FINDINGS)[pick(rng, CAMPAIGN_FINDINGS, n)],
            "deadline": pl.from_epoch(pl.Series(received + 7 * DAY), time_unit="s"),
            "closed_at": pl.from_epoch(pl.Series(closed), time_unit="s"),
            "result": pl.Series(["解决"] * n),
            "satisfaction": pl.Series(["基本满意"] * n),
            "is_repeat": pl.Series(["否"] * n),
            "petitioners": pl.Series(np.ones(n, dtype=np.int64)),
            "duplicate_of": pl.Series([None] * n, dtype=pl.Utf8),
            "campaign_id": pl.Series([campaign.label] * n),
        }
    )
    return frame.with_columns(pl.col(c).cast(t) for c, t in schema.items() if c in frame.columns)


def _close_open_cases(plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
    """A case whose closing time falls after the covered end is still open, like any other."""
    is_open = _seconds("closed_at") > plan.end_ts
    return frame.with_columns(
        *(
            pl.when(is_open).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("closed_at", "result", "satisfaction")
        ),
        fact_finding=pl.when(is_open).then(pl.lit("未认定")).otherwise(pl.col("fact_finding")),
    )


def _number(frame: pl.DataFrame, chunk_index: int) -> pl.DataFrame:
    frame = frame.sort("received_at", "project_id", maintain_order=True)
    stamp = pl.col("received_at").dt.strftime("%Y%m%d")
    seq = pl.int_range(1, pl.len() + 1).over(stamp).cast(pl.Utf8).str.zfill(5)
    return frame.with_columns(
        complaint_id=pl.concat_str([stamp, pl.lit(f"9{chunk_index % 100:02d}"), seq]),
        repeat_of=pl.lit(None, pl.Utf8),
    )


def extras(
    plan: Plan, world: World, chunk: tuple[int, int, int, int], frame: pl.DataFrame, truth: Truth
) -> pl.DataFrame:
    """Unmarked refiles and campaign complaints for one typed chunk (`index, lo, hi, rows`)."""
    index, lo, hi, rows = chunk
    rng = plan.rng(S_INTEGRITY, index)
    refiles = _refiles(plan, frame, rng)
    campaigns = [
        _campaign_rows(world, c, rng, frame.schema)
        for c in _campaigns(plan, world, index, lo, hi, rows, rng)
    ]
    columns = [*frame.columns, "duplicate_of", "campaign_id"]
    columns.remove("complaint_id")
    columns.remove("repeat_of")
    extra = pl.concat([refiles.select(columns), *(c.select(columns) for c in campaigns)])
    extra = _number(_close_open_cases(plan, extra), index)
    truth.frames.append(
        extra.select(
            "complaint_id",
            kind=pl.when(pl.col("campaign_id").is_null())
            .then(pl.lit("duplicate"))
            .otherwise(pl.lit("campaign")),
            duplicate_of="duplicate_of",
            campaign_id="campaign_id",
            project_id="project_id",
        )
    )
    return extra.select(frame.columns)

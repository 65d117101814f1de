"""Deliberate defects, as real exports carry them: a `dirty` fraction of rows gets one.

Each defect is a named rewrite of one column, applied to rows chosen by the run's dirt
stream (never the stream that generated the rows, so `dirty=0` and `dirty=0.001` produce
the same clean rows). Text frames (CSV) get text defects such as `2025.13.45`; typed frames
(Parquet) cannot hold a bad date, so there the date is missing instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from rating.synth import vocab
from rating.synth.plan import pick, rounded_count


@dataclass(frozen=True)
class Defect:
    name: str
    column: str
    weight: float
    rewrite: Callable[[pl.Expr], pl.Expr]


def _bad_date(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.Utf8).str.slice(0, 4) + pl.lit(".13.45")


def _missing(col: pl.Expr) -> pl.Expr:
    return pl.lit(None)


def _bad_check_char(col: pl.Expr) -> pl.Expr:
    last = col.str.slice(17, 1)
    return col.str.slice(0, 17) + pl.when(last == "0").then(pl.lit("1")).otherwise(pl.lit("0"))


def _unknown_project(col: pl.Expr) -> pl.Expr:
    return pl.lit("XM9") + col.str.slice(3)  # ids stop far below XM900000


COMPLAINTS_TEXT = (
    Defect("missing_received_at", "received_at", 0.3, _missing),
    Defect("bad_received_at", "received_at", 0.25, _bad_date),
    Defect("category_typo", "category", 0.35, lambda c: c.replace(vocab.CATEGORY_TYPOS)),
    Defect("unknown_project", "project_id", 0.1, _unknown_project),
)
COMPLAINTS_TYPED = (
    Defect("missing_received_at", "received_at", 0.55, _missing),
    *COMPLAINTS_TEXT[2:],
)
PROJECTS = (
    Defect("bad_uscc", "company_uscc", 0.4, _bad_check_char),
    Defect("zero_households", "households", 0.3, lambda c: pl.lit("0")),
    Defect("bad_service_start", "service_start", 0.3, _bad_date),
)
INSPECTIONS_TEXT = (
    Defect("bad_inspected_on", "inspected_on", 0.6, _bad_date),
    Defect("missing_inspected_on", "inspected_on", 0.4, _missing),
)
INSPECTIONS_TYPED = (Defect("missing_inspected_on", "inspected_on", 1.0, _missing),)


def spoil(
    frame: pl.DataFrame, rng: np.random.Generator, rate: float, defects: tuple[Defect, ...]
) -> tuple[pl.DataFrame, int]:
    """Give about `rate` of the rows one defect each; returns the frame and how many rows."""
    n = min(rounded_count(rng, rate * len(frame)), len(frame))
    if n == 0:
        return frame, 0
    rows = np.sort(rng.choice(len(frame), n, replace=False))
    kinds = pick(rng, [d.weight for d in defects], n)
    for k, defect in enumerate(defects):
        mask = np.zeros(len(frame), dtype=bool)
        mask[rows[kinds == k]] = True
        if mask.any():
            col = pl.col(defect.column)
            dtype = frame.schema[defect.column]
            changed = defect.rewrite(col).cast(dtype) if dtype != pl.Utf8 else defect.rewrite(col)
            frame = frame.with_columns(
                pl.when(pl.Series(mask)).then(changed).otherwise(col).alias(defect.column)
            )
    return frame, n

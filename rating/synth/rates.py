"""Every share and probability the generator assumes, in one place.

Where a number comes from `reference/real-export-formats.md` it says so; the rest are
ASSUMPTIONS, tuned together so that a generated city rated quarter by quarter under the
shipped `yantai-2022` rules meets the published outcomes of `targets.toml` (济南's grade
shares, tens of black-list entries a quarter, …): `python -m benchmarks.calibration` checks
them. Tables `*_BY_TIER` have one row per quality tier, 0 (excellent) … 4 (bad), placed at
the z of `TIER_CENTRES` (quality.py interpolates between rows), and one column per value of
the matching contract constant, in that constant's order. The steep step from tier 0 to
tier 1 is what makes AAA–A rare (济南: 8%): only the best few percent run clean projects.
"""

from __future__ import annotations

import numpy as np

# fmt: off
# --- the city and its companies' quality (quality.py) -----------------------------------------
HOTLINE_PER_1000_HOUSEHOLDS = 50.0  # 12345 orders a year; Xuhui 2024 ≈ 57, 2025 ≈ 46 (real-export-formats.md §1.4)
MIN_HOUSEHOLDS = 20
COMPLAINT_SIGMA = 1.0  # log-sd of the quality-led part of the complaint factor
COMPLAINT_BASE = 0.4  # share of a median company's complaints that come whoever serves
DRIFT_RHO = 0.96  # quarter-to-quarter correlation of a company's quality (ASSUMPTION: sticky grades)
PRE_QUARTERS = 12  # quality and good/bad information also for the 3 years before the covered time
TIER_CENTRES = np.array([-2.0, -1.5, 0.0, 1.0, 1.8])  # z at the rows of the *_BY_TIER tables

# --- complaints -------------------------------------------------------------------------------
REPEAT_SHARE = 0.33  # 徐汇 2026: 29% → 38% month by month, 40.5% for H1 (real-export-formats.md §1.2)
# Month factors, January first: July-August peak (Xuhui density 3.12 in January, 5.29 in August).
SEASON = np.array([0.85, 0.8, 0.95, 1.0, 1.0, 1.1, 1.35, 1.45, 1.1, 0.95, 0.95, 0.9])
HOUR_WEIGHTS = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 4, 4, 3.5,
                         2.5, 2.5, 3.5, 3.8, 3.5, 3, 2.5, 3, 3, 2.5, 1.5, 0.8])
CHANNEL_SHARES = {"12345热线": 0.74, "住建服务热线": 0.12, "网上投诉": 0.09, "信访": 0.02, "其他": 0.03}
ORDER_TYPE_SHARES = {"投诉举报类": 0.68, "求助类": 0.25, "咨询类": 0.03, "意见建议类": 0.02, "其他类": 0.02}
DEADLINE_DAYS = np.array([3, 5, 7, 10, 15])
DEADLINE_SHARES = (0.1, 0.3, 0.25, 0.2, 0.15)
FINDING_BY_TIER = np.array([  # 属实, 部分属实, 不属实, 未认定
    [0.22, 0.16, 0.50, 0.12],
    [0.27, 0.17, 0.45, 0.11],
    [0.35, 0.18, 0.37, 0.10],
    [0.43, 0.18, 0.30, 0.09],
    [0.51, 0.18, 0.23, 0.08],
])
RESULT_BY_TIER = np.array([  # 解决, 部分解决, 未解决, 不办理退单 (a late case counts one tier worse)
    [0.80, 0.12, 0.05, 0.03],
    [0.74, 0.15, 0.08, 0.03],
    [0.66, 0.18, 0.13, 0.03],
    [0.57, 0.21, 0.19, 0.03],
    [0.48, 0.24, 0.25, 0.03],
])
SATISFACTION_BY_RESULT = np.array([  # rows: result; columns 满意, 基本满意, 不满意, 未评价
    [0.68, 0.18, 0.05, 0.09],
    [0.30, 0.33, 0.22, 0.15],
    [0.08, 0.15, 0.57, 0.20],
    [0.10, 0.20, 0.40, 0.30],
])
COLLECTIVE_BY_TIER = np.array([0.0005, 0.001, 0.002, 0.005, 0.012])  # ≥ 10 petitioners (集体上访)
LATE_BY_TIER = np.array([0.03, 0.06, 0.10, 0.16, 0.26])  # closed after the deadline
STILL_OPEN = 0.002  # suspended cases, open whatever their age

# --- inspections ------------------------------------------------------------------------------
LEVEL_SHARES = (0.15, 0.35, 0.50)  # 市, 区, 街道
DEDUCT_BY_TIER = np.array([0.04, 0.08, 0.12, 0.20, 0.36])  # share of items with a deduction
AMOUNTS = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 5.0])  # deductions seen on real sheets: 0.2-2 per finding
AMOUNT_BY_TIER = np.array([
    [0.45, 0.30, 0.10, 0.10, 0.05, 0.00],
    [0.40, 0.30, 0.12, 0.10, 0.06, 0.02],
    [0.30, 0.30, 0.15, 0.12, 0.09, 0.04],
    [0.20, 0.25, 0.20, 0.15, 0.12, 0.08],
    [0.10, 0.15, 0.20, 0.20, 0.17, 0.18],
])
FIXED_BY_TIER = np.array([0.95, 0.9, 0.85, 0.75, 0.6])  # deducted items rectified

# --- contract checks and opinions -------------------------------------------------------------
PERFORMANCE_BY_TIER = np.array([  # 已履行, 基本履行, 未履行
    [0.75, 0.17, 0.08],
    [0.24, 0.33, 0.43],
    [0.22, 0.34, 0.44],
    [0.20, 0.34, 0.46],
    [0.13, 0.33, 0.54],
])
# How often an obligation is 未履行, relative to the table (order of contracts.OBLIGATIONS):
# posting fee and service standards or holding the yearly drill is easy and checked by
# everyone, so rarely missed; staffing and equipment upkeep are where companies fall short.
OBLIGATION_DIFFICULTY = np.array([0.15, 0.15, 0.8, 1.0, 1.3, 0.2, 1.4, 1.0])
PERFORMANCE_KEPT = 0.92  # an obligation's outcome repeats last quarter's this often (per project)
# Opinion score by tier (良好 ≥ 80, 合格 60–80 is the typical opinion), then the sd of one
# opinion and of a project's own persistent lean.
OPINION_BY_TIER = np.array([86.0, 65.0, 59.0, 54.0, 49.0])
OPINION_SPREAD = (3.5, 3.0)
SECOND_OPINION = 0.4  # projects rated by a second body in a quarter
SECOND_EVALUATOR = (0.5, 0.3, 0.2)  # 社区居委会, 业主委员会, 居民代表

# --- good and bad information -----------------------------------------------------------------
# Per company and year over the city; each leans exponentially on quality (events.py `_rate`):
# awards on the best, penalties and vetoes clustered in a few bad companies.
GOOD_PER_YEAR, BAD_PER_YEAR, VETO_PER_YEAR = 0.12, 0.12, 0.004
GOOD_SLOPE, BAD_SLOPE, VETO_SLOPE = 2.2, 1.8, 2.0
STAR_SHARE = 0.05  # each year the best serving companies get a provincial award (G01) …
STAR_LIST_DAY = 14  # … announced on the 15th day of a quarter, valid one year
FIXED_SERIOUS, FIXED_VETO = 0.95, 0.8  # serious items and vetoes rectified within 30–270 days
# Validity of bad information that is not serious (-1: none stated, so 1 year under 烟台's
# rule): publicity periods run from 3 months to 3 years (深圳; 发改办财金〔2019〕527号).
BAD_VALIDITY_DAYS = np.array([182, 365, 1095, -1])
BAD_VALIDITY_SHARES = (0.3, 0.1, 0.1, 0.5)
GOOD_SHARES = (0.10, 0.25, 0.20, 0.20, 0.25)  # G01 … G05
BAD_SHARES = (0.14, 0.08, 0.10, 0.08, 0.07, 0.12, 0.12, 0.06, 0.10, 0.05, 0.05, 0.03)  # B01 … B12
WITH_PROJECT = np.array([0.5, 0.6, 0.8])  # good, bad, veto events naming a project
# fmt: on

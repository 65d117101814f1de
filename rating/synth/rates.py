"""Every share and probability the generator assumes, in one place.

Where a number comes from `reference/real-export-formats.md` or DOMAIN.md it says so; the
rest are ASSUMPTIONS chosen to look plausible and to spread companies over all grades.
Tables `*_BY_TIER` have one row per company quality tier, 0 (best) … 4 (worst), and one
column per value of the matching contract constant, in that constant's order.
"""

from __future__ import annotations

import numpy as np

# fmt: off
# --- complaints -------------------------------------------------------------------------------
REPEAT_SHARE = 0.30  # DOMAIN.md: 29-40% of work orders repeat an earlier case
# Month factors, January first: July-August peak (Xuhui density 3.12 in January, 5.29 in August).
SEASON = np.array([0.85, 0.8, 0.95, 1.0, 1.0, 1.1, 1.35, 1.45, 1.1, 0.95, 0.95, 0.9])
HOUR_WEIGHTS = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 4, 4, 3.5,
                         2.5, 2.5, 3.5, 3.8, 3.5, 3, 2.5, 3, 3, 2.5, 1.5, 0.8])
CHANNEL_SHARES = {"12345热线": 0.74, "住建服务热线": 0.12, "网上投诉": 0.09, "信访": 0.02, "其他": 0.03}
ORDER_TYPE_SHARES = {"投诉举报类": 0.55, "求助类": 0.35, "咨询类": 0.05, "意见建议类": 0.03, "其他类": 0.02}
DEADLINE_DAYS = np.array([3, 5, 7, 10, 15])
DEADLINE_SHARES = (0.1, 0.3, 0.25, 0.2, 0.15)
FINDING_BY_TIER = np.array([  # 属实, 部分属实, 不属实, 未认定
    [0.25, 0.17, 0.45, 0.13],
    [0.33, 0.19, 0.36, 0.12],
    [0.40, 0.20, 0.29, 0.11],
    [0.48, 0.20, 0.22, 0.10],
    [0.56, 0.20, 0.15, 0.09],
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
LATE_BY_TIER = np.array([0.03, 0.06, 0.10, 0.16, 0.26])  # closed after the deadline
STILL_OPEN = 0.002  # suspended cases, open whatever their age

# --- inspections ------------------------------------------------------------------------------
LEVEL_SHARES = (0.15, 0.35, 0.50)  # 市, 区, 街道
DEDUCT_BY_TIER = np.array([0.04, 0.08, 0.13, 0.22, 0.35])  # share of items with a deduction
AMOUNTS = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 5.0])  # deductions seen on real sheets: 0.2-2 per finding
AMOUNT_BY_TIER = np.array([
    [0.45, 0.30, 0.10, 0.10, 0.05, 0.00],
    [0.40, 0.30, 0.12, 0.10, 0.06, 0.02],
    [0.30, 0.30, 0.15, 0.12, 0.09, 0.04],
    [0.20, 0.25, 0.20, 0.15, 0.12, 0.08],
    [0.15, 0.20, 0.20, 0.18, 0.15, 0.12],
])
FIXED_BY_TIER = np.array([0.95, 0.9, 0.85, 0.75, 0.6])  # deducted items rectified

# --- contract checks and opinions -------------------------------------------------------------
PERFORMANCE_BY_TIER = np.array([  # 已履行, 基本履行, 未履行
    [0.90, 0.08, 0.02],
    [0.85, 0.11, 0.04],
    [0.78, 0.15, 0.07],
    [0.68, 0.20, 0.12],
    [0.55, 0.25, 0.20],
])
SECOND_OPINION = 0.4  # projects rated by a second body in a quarter
SECOND_EVALUATOR = (0.5, 0.3, 0.2)  # 社区居委会, 业主委员会, 居民代表

# --- good and bad information -----------------------------------------------------------------
GOOD_PER_YEAR, BAD_PER_YEAR, VETO_PER_YEAR = 0.3, 0.5, 0.004  # per company
STAR_SHARE = 0.02  # best companies serving a project: a provincial award, no bad information
GOOD_SHARES = (0.10, 0.25, 0.20, 0.20, 0.25)  # G01 … G05
BAD_SHARES = (0.14, 0.08, 0.10, 0.08, 0.07, 0.12, 0.12, 0.06, 0.10, 0.05, 0.05, 0.03)  # B01 … B12
WITH_PROJECT = np.array([0.5, 0.6, 0.8])  # good, bad, veto events naming a project
# fmt: on

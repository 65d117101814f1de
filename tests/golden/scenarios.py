"""The golden bureaus: inputs whose results were computed by hand (see the expected TOML files)."""

from __future__ import annotations

from tests.factories import Bureau


def yantai() -> Bureau:
    """Ten companies, three quarters of 2025, Yantai 2022 rules (expected: yantai-2022.toml)."""
    b = Bureau()
    c = {
        n: b.company(n, name)
        for n, name in enumerate(
            [
                "甲物业",
                "乙物业",
                "丙物业",
                "丁物业",
                "戊物业",
                "己物业",
                "庚物业",
                "辛物业",
                "壬物业",
                "癸物业",
            ],
            1,
        )
    }
    b.rows["companies"][8]["registered"] = "否"  # 壬物业 takes no part in credit management
    for n, households in (
        (1, 1000),
        (2, 200),
        (3, 500),
        (4, 100),
        (7, 500),
        (8, 500),
        (9, 500),
        (10, 400),
    ):
        b.project(f"P{n}", c[n], households=households)
    # 戊物业 hands P5 over to 己物业 in the middle of Q3.
    b.project("P5", c[5], households=600, service_end="2025-08-15")
    b.project("P5", c[6], households=600, service_start="2025-08-16")
    # 甲: an award from May 2025.
    b.event(
        c[1],
        "2025-05-01",
        info_kind="良好",
        code="G01",
        description="市级物业服务示范项目",
        points=10,
    )
    # 乙: five verified complaints and two key obligations missed in Q3, but no bad information.
    for day in ("2025-07-03", "2025-07-09", "2025-07-15", "2025-08-02", "2025-09-12"):
        b.complaint("P2", day)
    b.contract("P2", "2025-08-20", obligation="应急演练", performance="未履行")
    b.contract("P2", "2025-08-20", obligation="收费标准公示", performance="未履行")
    # 丙: refuses to leave a project (veto item) in August 2025.
    b.event(
        c[3],
        "2025-08-01",
        code="V03",
        description="被解约拒不退出物业管理区域",
        points=20,
        serious="是",
    )
    # 丁: a 25-point penalty in January 2025 keeps it at C for three quarters.
    b.event(c[4], "2025-01-10", code="B01", description="擅自停水停电", points=25)
    # P5: three July complaints (戊 served then), one in September (己).
    for day in ("2025-07-05", "2025-07-06", "2025-07-07", "2025-09-10"):
        b.complaint("P5", day)
    # 庚: a penalty that expires after a year, an award valid until its own end date.
    b.event(c[7], "2024-08-01", code="B02", description="未按规定公示收费标准", points=10)
    b.event(
        c[7],
        "2024-06-01",
        info_kind="良好",
        code="G02",
        description="区级表彰",
        points=3,
        valid_until="2025-12-31",
    )
    # 辛: a serious item from 2024 that counts until it is rectified on 2025-08-01.
    b.event(
        c[8],
        "2024-01-01",
        code="B03",
        description="挪用公共收益",
        points=15,
        serious="是",
        rectified_on="2025-08-01",
    )
    # 癸: a city inspection with a serious unrectified finding, and two street opinions.
    b.inspection(
        "P10",
        "2025-07-20",
        inspection_id="JC-10",
        item_no=1,
        level="市",
        deducted=4,
        severity="严重",
        rectify_by="2025-08-31",
        rectification="未整改",
    )
    b.inspection(
        "P10",
        "2025-07-20",
        inspection_id="JC-10",
        item_no=2,
        level="市",
        deducted=2,
        severity="一般",
        rectify_by="2025-08-10",
        rectification="已整改",
        rectified_on="2025-08-05",
    )
    b.opinion("P10", "2025Q3", "2025-09-25", rating="不合格", score=55)
    b.opinion("P10", "2025Q3", "2025-09-26", evaluator="业主委员会", rating="优秀", score=95)
    return b


def haikou() -> Bureau:
    """Six companies, 2020Q4–2021Q2, Haikou 2019 rules (expected: haikou-2019.toml)."""
    b = Bureau()
    c = {
        n: b.company(n, name)
        for n, name in zip(
            range(11, 17), ["子物业", "丑物业", "寅物业", "卯物业", "辰物业", "巳物业"], strict=True
        )
    }
    for n in (11, 12, 13, 16):
        b.project(f"P{n}", c[n], households=300, service_start="2019-01-01")
    b.project("P14", c[14], households=800, service_start="2019-01-01", service_end="2021-02-14")
    b.project("P14", c[15], households=800, service_start="2021-02-15")
    for i in range(4):
        b.complaint("P12", f"2020-11-{i + 1:02d}")
    for i in range(30):
        b.complaint("P12", f"2021-0{1 + i // 10}-{1 + i % 10:02d}")
    for i in range(20):
        b.complaint("P12", f"2021-0{4 + i // 10}-{1 + i % 10:02d}")
    b.event(
        c[13], "2021-02-01", code="V04", description="重大安全责任事故", points=10, serious="是"
    )
    for day in ("2021-01-05", "2021-01-06", "2021-01-07", "2021-01-08"):
        b.complaint("P14", day)
    for day in ("2021-03-01", "2021-03-02"):
        b.complaint("P14", day)
    b.event(c[16], "2020-11-01", code="B05", description="行政处罚", points=20)
    return b


def fair_rates() -> Bureau:
    """Four compounds in two districts, 2025Q2–Q3, Yantai 2022 rules with the complaint rate
    shrunk towards the district's (expected: yantai-2022-fair.toml)."""
    from datetime import date, timedelta

    b = Bureau()
    c = {
        n: b.company(n, name)
        for n, name in zip(range(21, 25), ["青物业", "红物业", "黄物业", "白物业"], strict=True)
    }
    # 福山区: a 50-household compound with two complaints, next to a 9,950-household one with 8.
    b.project("FS", c[21], households=50, district="福山区")
    b.project("FB", c[22], households=9950, district="福山区")
    # 莱山区: a 5,000-household project with 30 complaints, next to 1,000 households with none.
    b.project("LL", c[23], households=5000, district="莱山区")
    b.project("LN", c[24], households=1000, district="莱山区")
    q3 = date(2025, 7, 1)
    for day in ("2025-07-10", "2025-08-20"):
        b.complaint("FS", day)
    for i in range(8):
        b.complaint("FB", (q3 + timedelta(days=11 * i)).isoformat())
    for i in range(30):
        b.complaint("LL", (q3 + timedelta(days=3 * i)).isoformat())
    return b

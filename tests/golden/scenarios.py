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


def beijing() -> Bureau:
    """Eleven companies in two districts, 2026H1, Beijing 2026 rules (expected:
    beijing-2026.toml): grades by proportion after ranking, shared ties, a district's
    bottom five, residential projects only, a threshold that depends on the project's size."""
    b = Bureau()
    names = [
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
        "子物业",
    ]
    districts = ["朝阳区"] * 6 + ["海淀区"] * 4 + ["朝阳区"]
    c = {
        n: b.company(30 + n, name, district=d)
        for n, (name, d) in enumerate(zip(names, districts, strict=True), 1)
    }
    for n in (1, 2, 3, 5, 6, 7, 8, 9, 10):
        b.project(f"B{n}", c[n], households=400 if n == 5 else 500, district=districts[n - 1])
    b.project("B4", c[4], households=200, district="朝阳区")  # under 300: allowed 10 per 1,000
    b.project("B6C", c[6], households=300, property_type="商业")  # not residential: not rated
    b.project("B7B", c[7], households=500, floor_area=60000, district="海淀区")
    b.project("B11C", c[11], households=300, property_type="商业")
    b.event(
        c[1],
        "2026-03-01",
        info_kind="良好",
        code="G01",
        description="获评省级物业服务示范项目",
        points=10,
    )
    for day in ("2026-02-03", "2026-04-09"):
        b.complaint("B4", day)  # 2 over 200 households: 10 per 1,000, exactly the allowance
    for day in ("2026-01-15", "2026-03-20", "2026-05-25"):
        b.complaint("B5", day)  # 3 over 400: 7.5 per 1,000, above 5 → −5
    for day in ("2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04"):
        b.complaint("B6C", day)  # a commercial project's complaints count for nothing
    b.contract("B6", "2026-03-10", obligation="应急演练", performance="未履行")
    b.contract("B7", "2026-04-10", obligation="收费标准公示", performance="未履行")
    b.event(c[8], "2026-04-01", code="B02", description="擅自提高收费标准", points=5)
    b.event(c[9], "2026-04-02", code="B05", description="违规收取装修押金", points=5)
    b.event(
        c[10], "2026-05-10", code="V04", description="发生安全生产事故", points=20, serious="是"
    )
    return b


def suzhou() -> Bureau:
    """Eight companies, 2025Q4–2026Q1, Suzhou 2025 rules (expected: suzhou-2025.toml): each
    inspection graded on its own, the latest in force until the next, a cap from a failed
    project, deductions without floor, a company never evaluated."""
    b = Bureau()
    names = ["甲物业", "乙物业", "丙物业", "丁物业", "戊物业", "己物业", "庚物业", "辛物业"]
    c = {n: b.company(50 + n, name, district="姑苏区") for n, name in enumerate(names, 1)}
    for n in (1, 2, 5, 6, 7, 8):
        b.project(f"S{n}", c[n], households=500, built_year=2010)
    b.project("S2B", c[2], households=500, built_year=2010)
    b.project("S3", c[3], households=900, built_year=2012)
    b.project("S3B", c[3], households=100, built_year=2012)
    b.project("S4", c[4], households=500, built_year=1995)  # 老旧小区

    def inspect(project: str, day: str, iid: str, *items: tuple[float, str, str]) -> None:
        for no, (deducted, section, severity) in enumerate(items, 1):
            b.inspection(
                project, day, inspection_id=iid, item_no=no, level="区", section=section,
                max_points=max(deducted, 5), deducted=deducted, severity=severity,
                rectification="已整改" if deducted else "无需整改",
                rectified_on=day if deducted else "",
            )  # fmt: skip

    inspect("S1", "2025-11-10", "JC-S1", (3, "保洁服务", "轻微"), (2, "秩序维护", "轻微"))
    inspect("S2", "2025-10-15", "JC-S2A", (45, "秩序维护", "一般"))
    inspect("S2", "2025-12-01", "JC-S2B", (15, "保洁服务", "一般"))
    inspect("S2B", "2025-11-20", "JC-S2C", (5, "绿化养护", "轻微"))
    inspect("S2", "2026-02-10", "JC-S2D", (50, "秩序维护", "一般"))
    inspect("S3", "2025-11-05", "JC-S3", (0, "保洁服务", "轻微"))
    inspect("S3B", "2025-11-06", "JC-S3B", (45, "保洁服务", "一般"))
    inspect("S4", "2025-11-12", "JC-S4", (10, "共用设施设备维护", "一般"), (5, "保洁服务", "轻微"))
    inspect("S6", "2025-10-20", "JC-S6", (5, "保洁服务", "轻微"))
    inspect("S7", "2025-10-25", "JC-S7", (5, "保洁服务", "轻微"))
    b.inspection(
        "S8", "2025-12-10", inspection_id="JC-S8", item_no=1, level="市", section="消防管理",
        max_points=10, deducted=10, severity="严重", rectify_by="2025-12-20", rectification="未整改",
    )  # fmt: skip
    b.event(c[6], "2025-10-20", code="B02", description="擅自提高收费标准", points=40)
    b.event(c[6], "2025-12-05", code="B10", description="拒不配合主管部门监督检查", points=40)
    b.event(c[7], "2025-11-01", code="V01", description="挪用专项维修资金", points=20, serious="是")
    b.event(
        c[8],
        "2025-11-15",
        info_kind="良好",
        code="G03",
        description="受到市级以上表彰奖励",
        points=5,
    )
    return b

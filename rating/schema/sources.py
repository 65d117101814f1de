"""The source kinds a bureau hands over, declared once (see `rating.schema.contracts`): the
seven rating inputs here, managers, their assignments and surveys in `rating.schema.managers`.

`datasets/CONTRACTS.md` is generated from these declarations (`rating contracts --markdown`)
and a test keeps it current.
"""

from __future__ import annotations

from rating.periods import CANONICAL_PERIOD_PATTERN
from rating.schema.contracts import (
    BOOL,
    DATE,
    DECIMAL,
    INT,
    TEXT,
    TIMESTAMP,
    Check,
    Contract,
    CrossCheck,
    NoOverlap,
    Schema,
    column,
    enum,
    uscc_check,
)
from rating.schema.managers import ASSIGNMENTS, MANAGERS, SURVEYS
from rating.schema.vocabularies import (
    AUTHORITY_LEVELS,
    CATEGORIES,
    CATEGORY_SYNONYMS,
    CHANNEL_SYNONYMS,
    CHANNELS,
    EVALUATOR_SYNONYMS,
    EVALUATORS,
    EVENT_STATUSES,
    FINDING_SYNONYMS,
    FINDINGS,
    INFO_KIND_SYNONYMS,
    INFO_KINDS,
    LEVEL_SYNONYMS,
    LEVELS,
    MATCH_METHODS,
    OBLIGATIONS,
    OPINION_RATINGS,
    ORDER_TYPES,
    PERFORMANCE,
    PROPERTY_TYPE_SYNONYMS,
    PROPERTY_TYPES,
    RECTIFICATION,
    RECTIFICATION_SYNONYMS,
    RESULTS,
    SATISFACTION,
    SATISFACTION_SYNONYMS,
    SEVERITIES,
)

# Loading order: a kind comes after the kinds it references.
KINDS = (
    "companies",
    "projects",
    "managers",
    "assignments",
    "complaints",
    "inspections",
    "contracts",
    "opinions",
    "events",
    "surveys",
)

_PERIOD = Check.str_matches(CANONICAL_PERIOD_PATTERN)


COMPANIES = Contract(
    kind="companies",
    title="物业服务企业 (property service companies)",
    key=("uscc",),
    date_column="registered_on",
    schema=Schema(
        {
            "uscc": column(
                TEXT,
                ("统一社会信用代码", "信用代码", "uscc"),
                "18-character unified social credit code (GB 32100-2015), checksum verified.",
                checks=(uscc_check(),),
            ),
            "name": column(TEXT, ("企业名称", "公司名称", "物业服务企业"), "Registered name."),
            "district": column(
                TEXT, ("注册区", "所属区", "行政区"), "District of registration.", required=False
            ),
            "registered": column(
                BOOL,
                ("是否纳入信用管理", "纳入信用管理"),
                "Whether the company takes part in credit management (Shandong's C(缺失) otherwise).",
                required=False,
                default=True,
            ),
            "registered_on": column(
                DATE, ("成立日期", "注册日期"), "Date of establishment.", required=False
            ),
        }
    ),
)

PROJECTS = Contract(
    kind="projects",
    title="物业服务项目 (projects with their service periods; one row per period)",
    key=("project_id", "service_start"),
    date_column="service_start",
    references={"company_uscc": "companies"},
    cross_checks=(CrossCheck("service_end", "BAD_DATE_ORDER", "service_end < service_start"),),
    no_overlap=NoOverlap("project_id", "service_start", "service_end", "OVERLAPPING_SERVICE"),
    schema=Schema(
        {
            "project_id": column(TEXT, ("项目编号", "小区编号"), "Bureau's id of the compound."),
            "project_name": column(TEXT, ("项目名称", "小区名称"), "Compound name."),
            "district": column(TEXT, ("行政区", "区"), "District."),
            "street": column(TEXT, ("街道", "街道办事处", "所属街道"), "Street office."),
            "address": column(TEXT, ("地址", "小区地址"), "Address.", required=False),
            "households": column(
                INT,
                ("户数", "总户数"),
                "Households served; must be > 0.",
                checks=(Check.gt(0),),
            ),
            "floor_area": column(
                DECIMAL,
                ("建筑面积", "总建筑面积"),
                "Floor area in m² (> 0); needed only by rule sets that weight by area.",
                required=False,
                checks=(Check.gt(0),),
            ),
            "company_uscc": column(
                TEXT,
                ("物业服务企业统一社会信用代码", "统一社会信用代码", "企业信用代码"),
                "Company serving the project in this period; must be a known company.",
                checks=(uscc_check(),),
            ),
            "service_start": column(
                DATE, ("服务开始日期", "合同开始日期", "进驻日期"), "First day served."
            ),
            "service_end": column(
                DATE,
                ("服务结束日期", "合同结束日期", "退出日期"),
                "Last day served; empty while still serving.",
                required=False,
                future_ok=True,
            ),
            "property_type": column(
                TEXT,
                ("物业类型", "项目类型", "物业性质"),
                "Property type (rule sets may grade types differently; e.g. Beijing rates 住宅 projects).",
                required=False,
                checks=(enum(*PROPERTY_TYPES),),
                synonyms=PROPERTY_TYPE_SYNONYMS,
            ),
            "built_year": column(
                INT,
                ("建成年份", "竣工年份", "建成年代"),
                "Year the buildings were completed (1800–2100).",
                required=False,
                checks=(Check.in_range(1800, 2100),),
            ),
        }
    ),
)

COMPLAINTS = Contract(
    kind="complaints",
    title="投诉工单 (complaints: 12345 hotline and other channels)",
    key=("complaint_id",),
    date_column="received_at",
    references={"project_id": "projects"},
    matched_by="community_name",
    cross_checks=(
        CrossCheck("project_id", "MISSING_VALUE", "project_id IS NULL AND community_name IS NULL"),
        CrossCheck("closed_at", "BAD_DATE_ORDER", "closed_at < received_at"),
        CrossCheck("deadline", "BAD_DATE_ORDER", "deadline < received_at"),
    ),
    schema=Schema(
        {
            "complaint_id": column(
                TEXT, ("工单编号", "办件编号", "案件编号"), "Work-order number."
            ),
            "received_at": column(
                TIMESTAMP, ("受理时间", "来电日期", "立案时间"), "When the case was received."
            ),
            "channel": column(
                TEXT,
                ("工单来源", "渠道来源", "诉求渠道"),
                "Channel.",
                checks=(enum(*CHANNELS),),
                synonyms=CHANNEL_SYNONYMS,
            ),
            "order_type": column(
                TEXT, ("工单类型", "诉求类型"), "Order type.", checks=(enum(*ORDER_TYPES),)
            ),
            "category": column(
                TEXT,
                ("十四类", "投诉类别", "类别"),
                "Category (Shanghai's fourteen plus 电梯管理).",
                checks=(enum(*CATEGORIES),),
                synonyms=CATEGORY_SYNONYMS,
            ),
            "content": column(
                TEXT,
                ("内容描述", "诉求内容", "问题描述"),
                "Free-text description (never published).",
                required=False,
                free_text=True,
            ),
            "project_id": column(
                TEXT,
                ("项目编号", "小区编号"),
                "Project the order concerns; must be known. Hotline exports without it are matched "
                "by compound, district, street and company name (see `community_name`).",
                required=False,
            ),
            "community_name": column(
                TEXT,
                ("小区名称", "小区", "项目名称", "诉求小区"),
                "Compound name as the call-taker typed it; used to match the order to a project "
                "when `project_id` is empty.",
                required=False,
            ),
            "company_name": column(
                TEXT,
                ("物业公司", "物业服务企业", "物业企业名称", "被反映单位"),
                "Property company name as typed (matching evidence only: the company rated is "
                "the one serving the project on the order's date).",
                required=False,
            ),
            "district": column(
                TEXT,
                ("行政区", "所属区县", "区县", "所属区"),
                "District (blocking key for matching).",
                required=False,
            ),
            "street": column(
                TEXT,
                ("街道", "所属街道", "乡镇街道", "街镇"),
                "Street office (matching evidence).",
                required=False,
            ),
            "fact_finding": column(
                TEXT,
                ("事实认定", "投诉处理结论"),
                "Finding: only 属实/部分属实 count as verified.",
                checks=(enum(*FINDINGS),),
                synonyms=FINDING_SYNONYMS,
            ),
            "deadline": column(
                TIMESTAMP,
                ("案件期限", "承诺完成时间", "办结期限"),
                "Handling deadline.",
                future_ok=True,
            ),
            "closed_at": column(
                TIMESTAMP,
                ("结案时间", "办结时间"),
                "When the case was closed; empty while open.",
                required=False,
            ),
            "result": column(
                TEXT,
                ("办理结果", "处理结果"),
                "Outcome.",
                required=False,
                checks=(enum(*RESULTS),),
            ),
            "satisfaction": column(
                TEXT,
                ("是否满意", "市民满意度", "回访满意度"),
                "Follow-up satisfaction.",
                required=False,
                checks=(enum(*SATISFACTION),),
                synonyms=SATISFACTION_SYNONYMS,
            ),
            "is_repeat": column(
                BOOL,
                ("是否重复",),
                "Repeat of an earlier order.",
                required=False,
                default=False,
            ),
            "repeat_of": column(
                TEXT, ("重复工单号", "原编号"), "The order this one repeats.", required=False
            ),
            "petitioners": column(
                INT,
                ("诉求人数", "来访人数"),
                "People behind the case (collective petitions ≥ 10).",
                required=False,
                default=1,
                checks=(Check.ge(1),),
            ),
            "match_method": column(
                TEXT,
                ("匹配方式",),
                "Filled by the loader: how the order got its project — given (the file named it), "
                "alias, exact, fuzzy (automatic matching) or review (an analyst's decision).",
                required=False,
                default="given",
                checks=(enum(*MATCH_METHODS),),
                system=True,
            ),
            "match_confidence": column(
                DECIMAL,
                ("匹配置信度",),
                "Filled by the loader: the matching score (1 when given, by alias or by review).",
                required=False,
                default=1,
                system=True,
            ),
        }
    ),
)

INSPECTIONS = Contract(
    kind="inspections",
    title="检查评分 (inspection items; one row per checked item)",
    key=("inspection_id", "item_no"),
    date_column="inspected_on",
    references={"project_id": "projects"},
    cross_checks=(
        CrossCheck("deducted", "OUT_OF_RANGE", "deducted > max_points"),
        CrossCheck("severity", "MISSING_VALUE", "deducted > 0 AND severity IS NULL"),
        CrossCheck("rectification", "MISSING_VALUE", "deducted > 0 AND rectification IS NULL"),
        CrossCheck("rectified_on", "BAD_DATE_ORDER", "rectified_on < inspected_on"),
    ),
    schema=Schema(
        {
            "inspection_id": column(TEXT, ("检查编号",), "Inspection number."),
            "item_no": column(
                INT,
                ("序号", "检查项序号"),
                "Item number within the inspection.",
                checks=(Check.ge(1),),
            ),
            "inspected_on": column(DATE, ("检查时间", "检查日期"), "Date of inspection."),
            "level": column(
                TEXT,
                ("检查层级",),
                "City, district or street inspection.",
                checks=(enum(*LEVELS),),
                synonyms=LEVEL_SYNONYMS,
            ),
            "inspector_org": column(TEXT, ("检查单位",), "Inspecting body.", required=False),
            "project_id": column(
                TEXT, ("项目编号", "小区编号"), "Project inspected; must be known."
            ),
            "section": column(TEXT, ("类别", "检查类别"), "Section of the score sheet."),
            "item": column(TEXT, ("考核内容", "检查内容"), "Checked item.", free_text=True),
            "max_points": column(
                DECIMAL,
                ("分值", "本项满分"),
                "Points the item is worth.",
                checks=(Check.ge(0),),
            ),
            "deducted": column(
                DECIMAL, ("所扣分值", "扣分"), "Points deducted.", checks=(Check.ge(0),)
            ),
            "severity": column(
                TEXT,
                ("严重程度", "问题等级"),
                "Severity of the finding; required when points were deducted.",
                required=False,
                checks=(enum(*SEVERITIES),),
            ),
            "rectify_by": column(
                DATE,
                ("整改期限", "整改时间"),
                "Rectification deadline.",
                required=False,
                future_ok=True,
            ),
            "rectification": column(
                TEXT,
                ("整改状态",),
                "Rectified or not; required when points were deducted.",
                required=False,
                checks=(enum(*RECTIFICATION),),
                synonyms=RECTIFICATION_SYNONYMS,
            ),
            "rectified_on": column(
                DATE,
                ("整改完成日期", "整改日期"),
                "When rectification was confirmed.",
                required=False,
            ),
        }
    ),
)

CONTRACT_CHECKS = Contract(
    kind="contracts",
    title="合同履行检查 (contract-performance checks; one row per obligation)",
    key=("check_id", "obligation"),
    date_column="checked_on",
    references={"project_id": "projects"},
    schema=Schema(
        {
            "check_id": column(TEXT, ("检查编号",), "Check number."),
            "checked_on": column(DATE, ("检查日期",), "Date of the check."),
            "project_id": column(TEXT, ("项目编号", "小区编号"), "Project checked; must be known."),
            "obligation": column(
                TEXT,
                ("约定事项", "检查事项"),
                "Obligation checked.",
                checks=(enum(*OBLIGATIONS),),
            ),
            "performance": column(
                TEXT, ("履行情况",), "Performance.", checks=(enum(*PERFORMANCE),)
            ),
            "finding": column(
                TEXT, ("问题描述",), "What was found.", required=False, free_text=True
            ),
        }
    ),
)

OPINIONS = Contract(
    kind="opinions",
    title="街道评价意见 (street-office opinions; one per project per period and evaluator)",
    key=("opinion_id",),
    date_column="rated_on",
    date_from_period="period",
    references={"project_id": "projects"},
    schema=Schema(
        {
            "opinion_id": column(TEXT, ("评价编号",), "Opinion number."),
            "period": column(TEXT, ("评价周期",), "Period rated, e.g. 2025Q3.", checks=(_PERIOD,)),
            "evaluator": column(
                TEXT,
                ("评价主体",),
                "Who rated.",
                checks=(enum(*EVALUATORS),),
                synonyms=EVALUATOR_SYNONYMS,
            ),
            "project_id": column(TEXT, ("项目编号", "小区编号"), "Project rated; must be known."),
            "rating": column(
                TEXT,
                ("评价等次", "评价结果"),
                "Overall rating.",
                checks=(enum(*OPINION_RATINGS),),
            ),
            "score": column(
                DECIMAL,
                ("得分", "评分"),
                "Score 0-100.",
                required=False,
                checks=(Check.in_range(0, 100),),
            ),
            "rated_on": column(DATE, ("评价日期",), "Date of the opinion."),
            "opinion": column(
                TEXT, ("评价意见",), "Text of the opinion.", required=False, free_text=True
            ),
        }
    ),
)

EVENTS = Contract(
    kind="events",
    title="良好/不良信用信息 (good and bad information from other departments)",
    key=("event_id",),
    date_column="decided_on",
    references={"uscc": "companies", "project_id": "projects", "manager_no": "managers"},
    cross_checks=(
        CrossCheck("valid_until", "BAD_DATE_ORDER", "valid_until < decided_on"),
        CrossCheck("rectified_on", "BAD_DATE_ORDER", "rectified_on < decided_on"),
    ),
    schema=Schema(
        {
            "event_id": column(TEXT, ("记录编号", "信息编号"), "Record number."),
            "uscc": column(
                TEXT,
                ("统一社会信用代码",),
                "Company concerned; must be known.",
                checks=(uscc_check(),),
            ),
            "project_id": column(
                TEXT, ("项目编号", "小区编号"), "Project, when there is one.", required=False
            ),
            "manager_no": column(
                TEXT,
                ("项目经理证书编号", "项目经理登记编号"),
                "Project manager the record is against, when there is one; must be a known "
                "manager (a record against a manager also names the employing company).",
                required=False,
            ),
            "info_kind": column(
                TEXT,
                ("信息类别",),
                "良好 (good) or 不良 (bad).",
                checks=(enum(*INFO_KINDS),),
                synonyms=INFO_KIND_SYNONYMS,
            ),
            "code": column(
                TEXT,
                ("行为代码",),
                "Behaviour code: G01–G05 good, B01–B12 bad, V01–V07 veto items (table below; "
                "`rating rules show` lists the rules counting each).",
            ),
            "description": column(
                TEXT, ("行为内容", "不良行为内容"), "What happened.", free_text=True
            ),
            "authority": column(TEXT, ("认定机关", "处罚机关"), "Body that established it."),
            "authority_level": column(
                TEXT,
                ("认定机关级别",),
                "Level of that body.",
                required=False,
                checks=(enum(*AUTHORITY_LEVELS),),
            ),
            "decided_on": column(
                DATE, ("认定日期", "处罚决定日期"), "Decision date; validity counts from it."
            ),
            "points": column(
                DECIMAL,
                ("分值",),
                "Points set by the issuing body (≥ 0; direction from 信息类别).",
                checks=(Check.ge(0),),
            ),
            "valid_until": column(
                DATE,
                ("有效期止", "公示截止日期"),
                "Own validity end, if any.",
                required=False,
                future_ok=True,
            ),
            "serious": column(
                BOOL,
                ("是否严重", "严重失信"),
                "Serious item: counts until rectified.",
                required=False,
                default=False,
            ),
            "rectified_on": column(
                DATE, ("整改确认日期",), "When rectification was confirmed.", required=False
            ),
            "document_no": column(
                TEXT, ("决定文号", "处罚决定文号"), "Decision document number.", required=False
            ),
            "status": column(
                TEXT,
                ("状态",),
                "有效 or 已撤销 (revoked).",
                required=False,
                default="有效",
                checks=(enum(*EVENT_STATUSES),),
            ),
        }
    ),
)

_ALL = (COMPANIES, PROJECTS, MANAGERS, ASSIGNMENTS, COMPLAINTS, INSPECTIONS, CONTRACT_CHECKS)
CONTRACTS: dict[str, Contract] = {c.kind: c for c in (*_ALL, OPINIONS, EVENTS, SURVEYS)}
assert tuple(CONTRACTS) == KINDS

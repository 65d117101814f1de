"""Project managers and residents' satisfaction surveys: three more source kinds (issue 19).

Shanghai 2018 §(二)5 supervises "enterprise, project manager and project alike" and §(二)6
asks for public satisfaction surveys (公众满意度测评). Declared like the seven kinds of
`rating.schema.sources`, which lists them in `CONTRACTS`:

* `managers` — the register of project managers (项目经理), keyed by certificate number. A
  manager is a person: the citizen identity number (公民身份号码) is checked (GB 11643-1999
  checksum, `BAD_ID_NUMBER`) and never stored in clear, only as a keyed hash
  (`rating.idnumber`), and masked in the quarantine.
* `assignments` — which manager is in charge of a project from when to when (项目经理任职);
  a project has one manager at a time, as it has one company, so periods may not overlap.
* `surveys` — satisfaction surveys of a project: organiser, respondents, rate and/or score.
"""

from __future__ import annotations

from rating.schema.contracts import (
    DATE,
    DECIMAL,
    INT,
    TEXT,
    Check,
    Contract,
    CrossCheck,
    NoOverlap,
    Schema,
    column,
    enum,
    id_number_check,
    not_fraction_check,
    uscc_check,
)
from rating.schema.vocabularies import ORGANISER_SYNONYMS, ORGANISERS

_CERTIFICATE_HEADERS = (
    "项目经理证书编号",
    "证书编号",
    "执业证书编号",
    "项目经理登记编号",
    "登记编号",
    "注册编号",
)

MANAGERS = Contract(
    kind="managers",
    title="物业项目经理 (project managers: the register; one row per manager)",
    key=("certificate_no",),
    date_column="registered_on",
    references={"employer_uscc": "companies"},
    schema=Schema(
        {
            "certificate_no": column(
                TEXT,
                _CERTIFICATE_HEADERS,
                "Certificate or registration number: the manager's key for life (a new "
                "employer is a corrected row with the same number).",
            ),
            "name": column(TEXT, ("姓名", "项目经理姓名", "项目经理"), "Name."),
            "employer_uscc": column(
                TEXT,
                ("聘用企业统一社会信用代码", "所在企业统一社会信用代码", "统一社会信用代码"),
                "Company employing the manager; must be a known company; empty between jobs.",
                required=False,
                checks=(uscc_check(),),
            ),
            "id_hash": column(
                TEXT,
                ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
                "Citizen identity number (GB 11643-1999 checksum), never stored in clear: this "
                "column keeps its HMAC-SHA256 under the key RATING_ID_KEY names, or nothing "
                "without a key; masked in the quarantine.",
                required=False,
                checks=(id_number_check(),),
                personal=True,
            ),
            "registered_on": column(
                DATE, ("登记日期", "注册日期", "发证日期"), "Date registered.", required=False
            ),
            "id_key": column(
                TEXT,
                ("身份证号密钥编号",),
                "Filled by the loader: the key_id (a public name, not the key) of the key that "
                "made `id_hash`, so that after a key rotation each hash names its key; empty "
                "when no hash is kept.",
                required=False,
                system=True,
            ),
        }
    ),
)

ASSIGNMENTS = Contract(
    kind="assignments",
    title="项目经理任职 (manager assignments to projects; one row per period)",
    key=("project_id", "start_on"),
    date_column="start_on",
    references={"project_id": "projects", "certificate_no": "managers"},
    cross_checks=(CrossCheck("end_on", "BAD_DATE_ORDER", "end_on < start_on"),),
    no_overlap=NoOverlap("project_id", "start_on", "end_on", "OVERLAPPING_ASSIGNMENT"),
    schema=Schema(
        {
            "project_id": column(TEXT, ("项目编号", "小区编号"), "Project; must be known."),
            "certificate_no": column(
                TEXT, _CERTIFICATE_HEADERS, "Manager in charge; must be a known manager."
            ),
            "start_on": column(
                DATE, ("任职开始日期", "任职日期", "到岗日期"), "First day in charge."
            ),
            "end_on": column(
                DATE,
                ("任职结束日期", "离任日期", "离岗日期"),
                "Last day in charge; empty while still in charge.",
                required=False,
                future_ok=True,
            ),
        }
    ),
)

SURVEYS = Contract(
    kind="surveys",
    title="满意度测评 (residents' satisfaction surveys; one row per survey of a project)",
    key=("survey_id",),
    date_column="surveyed_on",
    references={"project_id": "projects"},
    cross_checks=(
        CrossCheck("respondents", "OUT_OF_RANGE", "respondents > sample_size"),
        CrossCheck(
            "satisfaction_rate", "MISSING_VALUE", "satisfaction_rate IS NULL AND score IS NULL"
        ),
    ),
    schema=Schema(
        {
            "survey_id": column(TEXT, ("测评编号", "调查编号"), "Survey number."),
            "project_id": column(TEXT, ("项目编号", "小区编号"), "Project; must be known."),
            "surveyed_on": column(
                DATE, ("测评日期", "调查日期", "测评时间"), "Date the survey closed."
            ),
            "organiser": column(
                TEXT,
                ("组织方", "测评组织方", "组织单位类型"),
                "Who organised it.",
                checks=(enum(*ORGANISERS),),
                synonyms=ORGANISER_SYNONYMS,
            ),
            "organiser_name": column(
                TEXT, ("测评机构", "实施单位"), "Name of the body.", required=False
            ),
            "respondents": column(
                INT,
                ("有效问卷数", "有效样本数", "受访户数", "受访人数"),
                "Valid answers: what the rate is out of (≥ 1).",
                checks=(Check.ge(1),),
            ),
            "sample_size": column(
                INT,
                ("样本量", "抽样户数", "发放问卷数"),
                "Households sampled (≥ respondents).",
                required=False,
                checks=(Check.ge(1),),
            ),
            "satisfaction_rate": column(
                DECIMAL,
                ("满意率", "满意度"),
                "Share satisfied, in percent 0-100 (92.5, 92.5% or 92.5％); this or the score "
                "is required. A value between 0 and 1 (0.925: a fraction, or an Excel cell "
                "formatted as a percentage) is refused as RATE_AS_FRACTION: write 92.5 or 92.5%.",
                required=False,
                percent=True,
                checks=(Check.in_range(0, 100), not_fraction_check()),
            ),
            "score": column(
                DECIMAL,
                ("测评得分", "综合得分", "得分"),
                "Overall score 0-100.",
                required=False,
                checks=(Check.in_range(0, 100),),
            ),
            "item_scores": column(
                TEXT,
                ("分项得分",),
                "Per-item scores as written (e.g. 秩序维护:85;环境卫生:90), shown as evidence.",
                required=False,
                free_text=True,
            ),
        }
    ),
)

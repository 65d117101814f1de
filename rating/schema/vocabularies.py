"""Vocabularies: the values an enumerated column may hold, and the synonyms real exports use.

Shared by the contracts (which check them), the generator (which writes them) and the docs.
"""

from __future__ import annotations

CHANNELS = ("12345热线", "住建服务热线", "网上投诉", "信访", "其他")
MATCH_METHODS = ("given", "alias", "exact", "fuzzy", "review")
CHANNEL_SYNONYMS = {
    "12345": "12345热线",
    "12345工单": "12345热线",
    "市民热线": "12345热线",
    "住建热线": "住建服务热线",
    "房管热线": "住建服务热线",
    "网络": "网上投诉",
    "app": "网上投诉",
    "APP": "网上投诉",
    "来信来访": "信访",
    "市长信箱": "信访",
    "市长邮箱": "信访",
    "网上信访": "信访",
    "微信": "网上投诉",
    "微信公众号": "网上投诉",
    "小程序": "网上投诉",
}
ORDER_TYPES = ("投诉举报类", "求助类", "咨询类", "意见建议类", "其他类")
CATEGORIES = (
    "房屋维修",
    "邻里纠纷",
    "停车管理",
    "物业服务态度",
    "清洁卫生",
    "房屋违规使用",
    "物业收费",
    "业主大会/业委会",
    "消防管理",
    "群租管理",
    "物业安保",
    "旧住房改造",
    "房屋交易纠纷",
    "电梯管理",
    "其他",
)
CATEGORY_SYNONYMS = {
    "业委会": "业主大会/业委会",
    "群租问题": "群租管理",
    "服务态度": "物业服务态度",
    "物业服务态度/服务态度": "物业服务态度",
    "电梯故障": "电梯管理",
    "环境卫生": "清洁卫生",
}
FINDINGS = ("属实", "部分属实", "不属实", "未认定")
FINDING_SYNONYMS = {
    "投诉内容属实": "属实",
    "投诉内容部分属实": "部分属实",
    "投诉内容不属实": "不属实",
}
RESULTS = ("解决", "部分解决", "未解决", "不办理退单")
SATISFACTION = ("满意", "基本满意", "不满意", "未评价")
SATISFACTION_SYNONYMS = {
    "非常满意": "满意",
    "比较满意": "基本满意",
    "理解": "基本满意",
    "认可": "基本满意",
}
LEVELS = ("市", "区", "街道")
LEVEL_SYNONYMS = {
    "市级": "市",
    "区级": "区",
    "县区": "区",
    "街道级": "街道",
    "镇": "街道",
    "乡镇": "街道",
}
SEVERITIES = ("轻微", "一般", "严重")
RECTIFICATION = ("已整改", "未整改", "无需整改")
RECTIFICATION_SYNONYMS = {
    "完成": "已整改",
    "已完成": "已整改",
    "未完成": "未整改",
    "整改中": "未整改",
}
OBLIGATIONS = (
    "收费标准公示",
    "服务标准公示",
    "维修资金公示",
    "公共收益公示",
    "人员配置",
    "应急演练",
    "设施设备维护",
    "其他",
)
PERFORMANCE = ("已履行", "基本履行", "未履行")
EVALUATORS = ("街道办事处", "社区居委会", "业主委员会", "居民代表")
EVALUATOR_SYNONYMS = {"街道": "街道办事处", "居委会": "社区居委会", "业委会": "业主委员会"}
OPINION_RATINGS = ("优秀", "良好", "合格", "不合格")
INFO_KINDS = ("良好", "不良")
INFO_KIND_SYNONYMS = {"优良": "良好", "良好信息": "良好", "不良信息": "不良", "失信": "不良"}
AUTHORITY_LEVELS = ("部级", "省级", "市级", "区级", "街道")
EVENT_STATUSES = ("有效", "已撤销")
PROPERTY_TYPES = ("住宅", "保障性住房", "商业", "办公", "工业", "公共建筑", "混合", "其他")
PROPERTY_TYPE_SYNONYMS = {
    "普通住宅": "住宅",
    "商品住宅": "住宅",
    "商品房": "住宅",
    "住宅小区": "住宅",
    "公租房": "保障性住房",
    "廉租房": "保障性住房",
    "经济适用房": "保障性住房",
    "安置房": "保障性住房",
    "保障房": "保障性住房",
    "商铺": "商业",
    "商业综合体": "商业",
    "写字楼": "办公",
    "办公楼": "办公",
    "厂房": "工业",
    "产业园区": "工业",
    "学校": "公共建筑",
    "医院": "公共建筑",
    "商住": "混合",
    "商住混合": "混合",
}

# Behaviour codes (行为代码) of good and bad information: code → (信息类别, meaning, serious).
# G: good information (优良); B: bad information (不良); V: the veto items (一票否决) every
# scheme names. The shipped rule sets count B and G codes by 信息类别 and V codes by code;
# `rating rules show` lists which rules of a version count each code.
EVENT_CODES: dict[str, tuple[str, str, bool]] = {
    "G01": ("良好", "获评省级物业服务示范项目", False),
    "G02": ("良好", "获评市级物业服务优秀项目", False),
    "G03": ("良好", "受到市级以上表彰奖励", False),
    "G04": ("良好", "抢险救灾、疫情防控表现突出", False),
    "G05": ("良好", "参与社区治理成效明显", False),
    "B01": ("不良", "未按规定公示物业服务收费标准", False),
    "B02": ("不良", "擅自提高收费标准或增加收费项目", False),
    "B03": ("不良", "未按规定办理物业服务合同备案", False),
    "B04": ("不良", "未按规定建立物业管理档案", False),
    "B05": ("不良", "违规收取装修押金", False),
    "B06": ("不良", "占用消防通道未及时整改", False),
    "B07": ("不良", "生活垃圾未日产日清", False),
    "B08": ("不良", "电梯维保不到位引发困人事件", False),
    "B09": ("不良", "未按合同约定配置服务人员", False),
    "B10": ("不良", "拒不配合主管部门监督检查", False),
    "B11": ("不良", "发生安全责任事故造成人员受伤", True),
    "B12": ("不良", "违反物业管理规定受到行政处罚", True),
    "V01": ("不良", "挪用专项维修资金", True),
    "V02": ("不良", "挪用公共收益", True),
    "V03": ("不良", "拒不退出/拒不移交物业服务项目", True),
    "V04": ("不良", "发生重大安全责任事故", True),
    "V05": ("不良", "串通投标", True),
    "V06": ("不良", "信用评价弄虚作假", True),
    "V07": ("不良", "引发群体性上访", True),
}

# Words every company name shares (legal forms and the trade), longest first so that a
# replacement never leaves half a word: what is left is the brand (云港金鼎物业服务有限公司 →
# 云港金鼎). The hotline matcher (`rating.matching.normalize.company_core`) and the public
# search index (`rating.public`) both strip these.
COMPANY_WORDS = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "集团",
    "公司",
    "物业服务",
    "物业管理",
    "服务",
    "物业",
    "管理",
)

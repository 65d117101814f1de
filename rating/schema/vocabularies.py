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

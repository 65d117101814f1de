"""What a reviewer sees for each candidate: the evidence for and against, in the bureau's words.

Built in SQL from the comparison levels and vetoes of `m_scored` (one row per order and
candidate), so that the review queue (`rating match review list`, `GET /v1/bureau/match/review`)
shows why a candidate is likely or not — 街道一致：幸福, 期/区不符：工单5，登记2 — and the
reviewer decides in seconds instead of opening the register.
"""

from __future__ import annotations

FOR = """list_filter([
    CASE l_name WHEN 'exact' THEN '小区名称一致'
                WHEN 'no_suffix' THEN '名称主干一致（工单未写' || coalesce(c_suffix, '') || '）'
                WHEN 'misheard' THEN '名称只差一个同音字' WHEN 'similar' THEN '名称相近' END,
    CASE WHEN l_part = 'same' THEN '期/区一致：' || c_part END,
    CASE WHEN l_district = 'same' THEN '行政区一致：' || district_n END,
    CASE WHEN l_street = 'same' THEN '街道一致：' || street_n END,
    CASE l_address WHEN 'road_no' THEN '地址门牌一致：' || road || no || '号'
                   WHEN 'road' THEN '地址道路一致：' || road END,
    CASE l_company WHEN 'same' THEN '物业公司一致：' || company_name
                   WHEN 'similar' THEN '物业公司相近：' || company_name
                   WHEN 'former' THEN '工单所写物业公司曾服务本项目' END
], lambda x: x IS NOT NULL)"""

AGAINST = """list_filter([
    CASE WHEN list_contains(vetoes, 'oov') THEN '名称含本区登记名称中没有的字：' || o_oov END,
    CASE WHEN list_contains(vetoes, 'other') THEN '工单名称是另一个登记小区的名称' END,
    CASE WHEN l_name = 'suffix_differs'
         THEN '小区类别不符：工单' || coalesce(o_suffix, '无') || '，登记' || coalesce(c_suffix, '无') END,
    CASE WHEN l_name = 'other' THEN '名称不同' END,
    CASE WHEN l_name = 'one_char' THEN '名称差一个不同音的字' END,
    CASE WHEN l_part = 'differs' THEN '期/区不符：工单' || o_part || '，登记' || coalesce(c_part, '无') END,
    CASE WHEN l_part = 'order_lacks' THEN '工单未写期/区（登记' || c_part || '）' END,
    CASE WHEN list_contains(vetoes, 'building') THEN '楼栋不在登记范围内' END,
    CASE WHEN list_contains(vetoes, 'nowhere') THEN '工单未写可识别的区或街道，地址和物业公司也未印证' END,
    CASE WHEN l_district = 'differs' THEN '行政区不符：登记' || district_n END,
    CASE l_street WHEN 'differs' THEN '街道不符：登记' || street_n
                  WHEN 'other_district' THEN '工单街道属于别的区（登记' || street_n || '）' END,
    CASE WHEN l_address = 'differs' THEN '地址不符：登记' || road || no || '号' END,
    CASE WHEN l_company = 'differs' THEN '物业公司不符：登记' || coalesce(company_name, '无') END
], lambda x: x IS NOT NULL)"""


def candidates_sql() -> str:
    """One candidate as a struct: id, name, probability (`score`), weight, evidence for and against."""
    return f"""{{'project_id': project_id, 'name': project_name, 'score': round(probability, 4),
        'weight': weight, 'district': district_n, 'street': street_n, 'company': company_name,
        'for': {FOR}, 'against': {AGAINST}}}"""

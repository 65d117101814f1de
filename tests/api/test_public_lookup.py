"""Wording of the public lookup's grounds."""

from __future__ import annotations


def test_a_veto_ground_does_not_repeat_its_own_words() -> None:
    """yantai-2022@1.0.1 titles its veto rules 一票否决事项：…; the ground says it once."""
    from rating.public.veto import veto_item

    assert veto_item("一票否决事项：重大安全责任事故") == "重大安全责任事故"
    assert veto_item("一票否决事项（挪用维修资金、串通投标）") == "挪用维修资金、串通投标"
    assert veto_item("挪用专项维修资金") == "挪用专项维修资金"

"""A compound's address as residents type it: its road (…路/街/大道…) and house number, which the
public search (`rating.public.search`) matches both or not at all (光明路993号 is not
中山路993号)."""

from __future__ import annotations

import re
import unicodedata

ROAD_WORDS = ("路", "街", "大道", "道", "巷", "弄", "胡同")

_NUMBER = re.compile(r"(\d+)(?:[-之]\d+)?号")
_DIGITS = re.compile(r"\d+")
# Leading places of an address (云港市, 南湾区, 长江路街道 …): a name of two characters or more
# before its level, so that 市府路 or 新区路 stay roads.
_PLACES = re.compile(r"^(?:\D{2,}?(?:省|市|区|县|街道办事处|街道|镇|乡))+")


def road_and_number(
    address: str | None, district: str | None = None, street: str | None = None
) -> tuple[str | None, str | None]:
    """(road, house number) of an address — (光明路, 993) of 南湾区光明路993号 — with its own
    district and street and any leading places (市, 区, 街道 …) taken off the road; the number
    without leading zeros. (None, None) without a number; road None when under 2 characters."""
    text = _plain(address)
    found = _NUMBER.search(text) or _DIGITS.search(text)
    if found is None:
        return None, None
    road = text[: found.start()]
    for place in (_plain(district), _plain(street)):
        if place and road.startswith(place):
            road = road[len(place) :]
    road = _PLACES.sub("", road) if len(_PLACES.sub("", road)) >= 2 else road
    return (road if len(road) >= 2 else None), str(int(_DIGITS.findall(found.group(0))[0]))


def _plain(text: str | None) -> str:
    """Half width, upper case, no spaces (as `rating.matching.normalize.bare` writes queries)."""
    return "".join(unicodedata.normalize("NFKC", text or "").upper().split())

"""A CJK font for matplotlib, found through its font manager (no file paths in the code).

`scripts/setup-system.sh` (run by `make setup`) installs Debian's fonts-noto-cjk. Matplotlib
caches its font list, so a font installed after the cache was built is found by scanning the
system font folders again and registering the files whose names say CJK. Without any, the
report stops with FONT_CJK_MISSING instead of drawing empty boxes for every Chinese character.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from rating.errors import RatingError

# Families known to cover simplified Chinese, preferred first.
FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)
FILE_HINTS = ("cjk", "wqy", "sourcehan", "simhei", "msyh", "pingfang")
PROBE = "物业服务企业信用等级投诉"


class FontMissingError(RatingError):
    code = "FONT_CJK_MISSING"
    status = 500


def _known(manager: Any) -> list[str]:
    names = {f.name for f in manager.ttflist}
    return [f for f in FAMILIES if f in names]


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The first CJK family matplotlib can use, registering installed files if needed."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    found = _known(manager)
    if not found:
        for path in font_manager.findSystemFonts():
            if any(h in Path(path).name.lower() for h in FILE_HINTS):
                manager.addfont(path)
        found = _known(manager)
    if not found:
        raise FontMissingError(
            "no CJK font for charts: run scripts/setup-system.sh (or `make setup`) as root, "
            "or install fonts-noto-cjk"
        )
    return found[0]


def rc() -> dict[str, Any]:
    """Matplotlib settings for every chart of a report: Agg, the CJK font, plain style."""
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "font.size": 9,
    }


@contextmanager
def charting() -> Iterator[Any]:
    """A figure factory under the report's settings; Agg rendering, no pyplot global state."""
    import matplotlib
    from matplotlib.figure import Figure

    def figure(width: float, height: float) -> Figure:
        return Figure(figsize=(width, height), layout="constrained")

    settings: Any = rc()
    with matplotlib.rc_context(settings):
        yield figure


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (no timestamp or software tag: same chart, same bytes)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()

"""The public pages in a real headless Chromium (Debian's chromium + chromedriver): search by
compound, open it and its company, read the grade, why, and the listing; on phones (360 and
414 px wide) and a desktop (1280 px): nothing wider than the screen, screenshots compared with
stored references (tests/api/screens/, a few pixels of tolerance; RATING_UPDATE_SCREENSHOTS=1
rewrites them), and axe-core's WCAG 2 A/AA rules with no violation (tests/api/vendor/)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
HERE = Path(__file__).resolve().parent
SCREENS = HERE / "screens"
AXE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WIDTHS = (360, 414, 1280)
TOLERANCE = 60  # pixels that may differ (anti-aliasing), of a few hundred thousand


@contextmanager
def _serving(settings: Any) -> Iterator[str]:
    """The app on 127.0.0.1 in a thread of this process, stopped on leaving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings.with_(rate_limit=0)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(bureau_db: dict[str, Any]) -> Iterator[str]:
    with _serving(bureau_db["settings"]) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        if os.environ.get("RATING_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "chromium/chromedriver are missing: run scripts/setup-browser.sh (make test does)"
            )
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--font-render-hinting=none",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def test_search_a_compound_open_it_and_its_company(served: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _width(browser, 1280)
    wait = WebDriverWait(browser, 20)  # each click navigates: wait for the page it leads to
    browser.get(served + "/")
    browser.find_element(By.ID, "q").send_keys("金色公寓")
    browser.find_element(By.ID, "search").click()
    links = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#results a.compound"))
    assert links[0].text == "金色公寓"
    links[0].click()
    wait.until(lambda b: b.find_elements(By.ID, "company"))
    assert browser.find_element(By.ID, "company").text == "丙物业"
    browser.find_element(By.ID, "company").click()
    wait.until(lambda b: b.find_elements(By.ID, "grade"))
    assert browser.find_element(By.ID, "name").text == "丙物业"
    assert browser.find_element(By.ID, "grade").text == "C"
    assert browser.find_element(By.ID, "black").text == "黑名单"
    _open(browser, "listing", "reasons-section", "history-section")
    assert browser.find_element(By.ID, "ground").text.startswith("存在严重违法违规行为")
    assert browser.find_element(By.ID, "expiry").text == "2029年1月20日"
    reasons = browser.find_element(By.ID, "reasons").text
    assert "严重不良信用信息" in reasons and "B-SERIOUS" not in reasons
    history = browser.find_element(By.ID, "history-table").text
    assert "2025Q2" in history and "2025Q3" in history
    chart = browser.find_element(By.ID, "history")
    assert chart.size["width"] > 100 and len(chart.find_elements(By.TAG_NAME, "circle")) == 2


def test_a_proposal_at_phone_width(served: str, browser: Any, bureau_db: dict[str, Any]) -> None:
    """At 375 px, during 2025Q3's publicity: 丙's card shows no black-list badge in force, the
    proposal labelled 公示中（拟列入） with the publicity's end and how to object, all on screen."""
    from selenium.webdriver.common.by import By

    _width(browser, 375)
    browser.get(f"{served}/companies/{bureau_db['names']['丙物业']}?as_of=2026-01-05")
    assert browser.find_elements(By.ID, "black") == []
    tag = browser.find_element(By.ID, "proposed-black")
    assert tag.is_displayed() and tag.text == "黑名单 · 公示中（拟列入）"
    box = browser.find_element(By.ID, "proposal-black")
    assert "公示至2026年1月12日" in box.text and "异议" in box.text
    assert box.rect["x"] >= 0 and box.rect["x"] + box.rect["width"] <= 375
    browser.get(f"{served}/lists/black?as_of=2026-01-05")
    assert browser.find_element(By.ID, "empty").is_displayed()
    rows = browser.find_elements(By.CSS_SELECTOR, "#proposed-members tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["丁物业", "丙物业"]


def _open(browser: Any, *sections: str) -> None:
    """Open the card's folded sections (<details>) as a resident does: a tap on the heading."""
    from selenium.webdriver.common.by import By

    for section in sections:
        folded = browser.find_element(By.ID, section)
        if folded.get_attribute("open") is None:
            folded.find_element(By.TAG_NAME, "summary").click()
        assert folded.get_attribute("open") is not None, section


@pytest.mark.parametrize("width", (360, 414))
def test_a_card_on_a_phone_answers_first_and_folds_the_detail(
    served: str, browser: Any, bureau_db: dict[str, Any], width: int
) -> None:
    """On the first screen (800 px high): who, the grade, what it means and whether listed and
    until when; reasons, history and compounds folded under headings that open with a tap or
    the keyboard, without JavaScript."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _width(browser, width)
    browser.get(f"{served}/companies/{bureau_db['names']['丁物业']}")
    for element in ("name", "grade", "grade-reason", "lists-now"):
        box = browser.find_element(By.ID, element).rect
        assert box["y"] + box["height"] <= 800, (element, box)
    assert browser.find_element(By.ID, "listed-until").text == "最迟于2029年1月20日移出"
    for section in ("listing", "reasons-section", "history-section", "projects-section"):
        folded = browser.find_element(By.ID, section)
        assert folded.get_attribute("open") is None, section
        summary = folded.find_element(By.TAG_NAME, "summary")
        assert summary.rect["height"] >= 44, section  # a finger's target
    assert not browser.find_element(By.ID, "reasons").is_displayed()
    _open(browser, "reasons-section")
    assert browser.find_element(By.ID, "reasons").is_displayed()
    summary = browser.find_element(By.CSS_SELECTOR, "#history-section summary")
    summary.send_keys(Keys.ENTER)  # the keyboard opens it too
    assert browser.find_element(By.ID, "history-table").is_displayed()
    cells = browser.find_elements(By.CSS_SELECTOR, "#history-table td[data-label='名单']")
    assert cells and all(c.text.strip() for c in cells)
    _open(browser, "listing", "projects-section")
    _looks_right(browser, "company-open", width)


LINES = """
return [...document.querySelectorAll(arguments[0])].map(td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  const box = td.getBoundingClientRect();
  const text = range.getBoundingClientRect();
  return [td.dataset.label, td.textContent.trim(), tops.size, box.left, box.right,
          text.left - box.left, text.right - text.left];
});"""


# Per card, the top of the value (not the label) of 最早可移出日期 and 最迟移出日期.
VALUE_TOPS = """
return [...document.querySelectorAll(arguments[0])].map(tr => ['最早可移出日期（信用修复）', '最迟移出日期']
  .map(label => {
    const range = document.createRange();
    range.selectNodeContents(tr.querySelector(`td[data-label='${label}']`));
    return Math.round(range.getBoundingClientRect().top);
  }));"""


@pytest.mark.parametrize("width", (360, 375, 414))
def test_the_black_list_reads_as_cards_on_a_phone(served: str, browser: Any, width: int) -> None:
    """Each entry of the black list is a card: the company on top, the dates and grade two to a
    row each on one line (2026年4月20日 never broken), the ground full width, nothing squeezed
    or wider than the screen."""
    _width(browser, width)
    browser.get(f"{served}/lists/black?period=2025Q3")
    short = ("列入时等级", "列入日期", "最早可移出日期（信用修复）", "最迟移出日期")
    cells = browser.execute_script(
        LINES, ", ".join(f"#members td[data-label='{x}']" for x in short)
    )
    assert len(cells) == 2 * 4, cells
    for label, text, lines, left, right, indent, _w in cells:
        assert lines == 1, (label, text, lines)
        assert left >= 0 and right <= width and right - left >= 140, (label, left, right)
        assert indent < 2, (label, indent)  # the label above its value, not squeezing it
    # the two dates of a row on one line, though 最早可移出日期（信用修复） wraps at 360 px
    tops = browser.execute_script(VALUE_TOPS, "#members tbody tr")
    assert tops and all(len(set(row)) == 1 for row in tops), tops
    wide = ", ".join(f"#members td[data-label='{x}']" for x in ("列入依据", "信用修复"))
    for label, text, _lines, left, right, indent, _w in browser.execute_script(LINES, wide):
        assert right - left >= width - 40 and indent < 2, (label, text, left, right, indent)
    if width == 375:
        _looks_right(browser, "black-list", width)


# The search field's example (placeholder) against the room inside the field, in px.
PLACEHOLDER_ROOM = """
const q = document.getElementById('q'), style = getComputedStyle(q);
const context = document.createElement('canvas').getContext('2d');
context.font = `${style.fontSize} ${style.fontFamily}`;
const room = q.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
return [context.measureText(q.placeholder).width, room];"""


@pytest.mark.parametrize("width", (360, 375))
def test_an_error_pages_search_example_is_not_cut_on_a_phone(
    served: str, browser: Any, width: int
) -> None:
    """The search offered on an error page shows its whole example (例如：阳光花园、…、金鼎物业)
    on a phone: the field takes a row of its own, the button below."""
    _width(browser, width)
    browser.get(f"{served}/companies/91370600000000000K")
    text, room = browser.execute_script(PLACEHOLDER_ROOM)
    assert text <= room, (text, room)


@pytest.mark.parametrize("width", (360, 375, 414))
def test_the_red_list_reads_as_cards_on_a_phone(served: str, browser: Any, width: int) -> None:
    """The red list says since when, until when and on what ground, as the black list does:
    each entry a card, the grade and dates two to a row on one line, the ground full width
    (2025Q2's entry: listed on 2025-10-15, until 2025Q3's publication on 2026-01-20)."""
    _width(browser, width)
    browser.get(f"{served}/lists/red?period=2025Q2")
    short = ("列入时等级", "列入日期", "有效至")
    cells = browser.execute_script(
        LINES, ", ".join(f"#members td[data-label='{x}']" for x in short)
    )
    assert [(label, text) for label, text, *_ in cells] == [
        ("列入时等级", "AAA（2025Q2）"),
        ("列入日期", "2025年10月15日"),
        ("有效至", "2026年1月20日"),
    ]
    for label, text, lines, left, right, indent, _w in cells:
        assert lines == 1, (label, text, lines)
        assert left >= 0 and right <= width and right - left >= 140, (label, left, right)
        assert indent < 2, (label, indent)
    (ground,) = browser.execute_script(LINES, "#members td[data-label='列入依据']")
    assert ground[1] == "信用优秀（AAA）且无不良信用信息"
    assert ground[4] - ground[3] >= width - 40 and ground[5] < 2, ground
    if width == 375:
        _looks_right(browser, "red-list", width)


PAGES = {
    "search": "/?q=%E9%98%B3%E5%85%89%E8%8A%B1%E5%9B%AD",  # 阳光花园: two, in two districts
    "company": "/companies/{丁物业}",
    "compound": "/compounds/P5",
    "black-list": "/lists/black?period=2025Q3",
    "red-list-in-force": "/lists/red",  # until the next period's publication, in words
    "grades": "/grades",
    "not-found": "/companies/91370600000000000K",
    "bad-uscc": "/companies/9137",
    "uscc-check-digit": "/companies/91370600000000000X",  # 400: the 18th character should be K
    "unknown-list": "/lists/purple",  # 404 naming the lists there are
    # 2025Q3 in publicity (2025-12-31 … 2026-01-12): nothing new in force, proposals apart
    "black-list-in-publicity": "/lists/black?as_of=2026-01-05",
    "company-in-publicity": "/companies/{丙物业}?as_of=2026-01-05",
    "unknown-ruleset": "/grades?ruleset=unknown",  # 404 naming it, linking to those there are
    "not-yet-shown": "/companies/{甲物业}?as_of=2025-01-01",  # before its first result
    "compound-before-service": "/compounds/P1?as_of=2019-12-01",  # its contract starts later
}


def _width(browser: Any, width: int) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _screenshot(browser: Any) -> bytes:
    import base64

    size = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        },
    )
    return base64.b64decode(shot["data"])


def _differing_pixels(a: bytes, b: bytes) -> int | None:
    """Pixels differing by more than 24 in a channel; None when the sizes differ."""
    import io

    from PIL import Image, ImageChops

    first, second = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    if first.size != second.size:
        return None
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 24 else 0)
    return int(diff.histogram()[255])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_at_phone_and_desktop_widths(
    served: str, browser: Any, bureau_db: dict[str, Any], name: str, width: int
) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: bureau_db["names"][m.group(1)], PAGES[name])
    _width(browser, width)
    browser.get(served + url)
    _looks_right(browser, name, width)


def _looks_right(browser: Any, name: str, width: int) -> None:
    """No wider than the screen, no WCAG 2 A/AA violation, and as its reference screenshot."""
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    found = browser.execute_async_script(
        AXE
        + """;
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
           .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
           .catch(e => done(['axe failed: ' + e]));"""
    )
    assert found == [], found
    _compare_screenshot(browser, f"{name}-{width}")


CHART_LABELS = """
const chart = document.getElementById('history').getBoundingClientRect();
return [...document.querySelectorAll('#history text')].map(t => {
  const r = t.getBoundingClientRect();
  return [t.textContent, r.left - chart.left, chart.right - r.right];
});"""


@pytest.mark.parametrize("width", (360, 375, 414))
def test_the_history_chart_keeps_its_labels_on_a_phone(
    served: str, browser: Any, bureau_db: dict[str, Any], width: int
) -> None:
    """Every label of the grade-history chart (grades, periods) lies inside the chart at phone
    widths, where the labels are drawn large: the last period's label is not cut off."""
    _width(browser, width)
    browser.get(f"{served}/companies/{bureau_db['names']['丁物业']}")
    _open(browser, "history-section")
    labels = browser.execute_script(CHART_LABELS)
    assert [t for t, _l, _r in labels][-2:] == ["2025Q2", "2025Q3"]
    assert [(t, round(a), round(b)) for t, a, b in labels if min(a, b) < -0.5] == []
    if width == 375:  # the company card at an iPhone's width, beside the 360/414 references
        _compare_screenshot(browser, "company-375")


def _compare_screenshot(browser: Any, name: str) -> None:
    """The page's screenshot against tests/api/screens/<name>.png (written when missing or
    with RATING_UPDATE_SCREENSHOTS=1; a differing one is kept as <name>.actual.png)."""
    # an error page's request id differs on every request: the same characters for the picture
    browser.execute_script(
        "document.querySelectorAll('.rid').forEach(e => e.textContent = '0123456789abcdef')"
    )
    image = _screenshot(browser)
    reference = SCREENS / f"{name}.png"
    if os.environ.get("RATING_UPDATE_SCREENSHOTS") == "1" or not reference.exists():
        SCREENS.mkdir(exist_ok=True)
        reference.write_bytes(image)
        if os.environ.get("RATING_UPDATE_SCREENSHOTS") != "1":
            pytest.fail(f"no reference screenshot {reference.name}: written now, commit it")
    differing = _differing_pixels(reference.read_bytes(), image)
    if differing is None or differing > TOLERANCE:
        (SCREENS / f"{name}.actual.png").write_bytes(image)
    assert differing is not None, f"{name} changed size (see {name}.actual.png)"
    assert differing <= TOLERANCE, f"{name}: {differing} pixels differ"


@pytest.fixture(scope="module")
def managers_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Shanghai's two companies (tests/test_managers.py) rated under shanghai-2023, which
    scores and publishes managers, and published on 2026-10-30."""
    from datetime import datetime

    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset
    from tests.factories import load, publish_after_publicity
    from tests.test_managers import _shanghai_bureau

    con, settings, _ = load(_shanghai_bureau(), tmp_path_factory.mktemp("managers-pages"))
    rs = load_ruleset(settings.rules_dir, "shanghai-2023@1.0.0")
    run_id = execute_run(con, settings, rs, Period.parse("2026Q3"), forced=True).run_id
    publish_after_publicity(con, settings, run_id, datetime(2026, 10, 30, 9))
    names = dict(con.execute("SELECT name, uscc FROM src_companies").fetchall())
    con.close()
    with _serving(settings) as url:
        yield {"url": url, **names}


@pytest.mark.parametrize("width", (375, 1280))
def test_a_card_shows_its_compounds_managers_masked(
    managers_served: dict[str, str], browser: Any, width: int
) -> None:
    """乙's card on a phone and a desktop: each compound's manager with their own grade, name
    and certificate number masked (张*, ****), the note saying so, all within the screen."""
    from selenium.webdriver.common.by import By

    _width(browser, width)
    browser.get(f"{managers_served['url']}/companies/{managers_served['乙物业']}")
    _open(browser, "projects-section")
    cells = browser.find_elements(By.CSS_SELECTOR, "#projects td.manager")
    texts = [c.text for c in cells]
    assert len(texts) == 2 and texts[0].startswith("李*") and "警示" in texts[0], texts
    assert texts[1].startswith("张*") and "正常" in texts[1] and "证书 ****" in texts[1], texts
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "李四" not in body and "张三" not in body and "M001" not in body
    note = browser.find_element(By.ID, "managers-note")
    assert "部分隐去" in note.text and note.is_displayed()
    for cell in cells:
        assert cell.rect["x"] >= 0 and cell.rect["x"] + cell.rect["width"] <= width
    _looks_right(browser, "company-managers", width)


def test_a_resident_looks_up_a_manager_from_a_card_on_a_phone(
    managers_served: dict[str, str], browser: Any
) -> None:
    """At 375 px: from 乙's card to the lookup, type the full certificate number, read the
    name and grade."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _width(browser, 375)
    wait = WebDriverWait(browser, 20)
    browser.get(f"{managers_served['url']}/companies/{managers_served['乙物业']}")
    _open(browser, "projects-section")
    browser.find_element(By.CSS_SELECTOR, "#managers-note a").click()
    wait.until(lambda b: b.find_elements(By.ID, "certificate_no"))
    browser.find_element(By.ID, "certificate_no").send_keys("M002")
    browser.find_element(By.ID, "lookup").click()
    wait.until(lambda b: b.find_elements(By.ID, "manager"))
    assert browser.find_element(By.ID, "manager-heading").text == "李四"
    assert browser.find_element(By.ID, "manager-grade").text == "警示"
    _looks_right(browser, "manager-lookup", 375)

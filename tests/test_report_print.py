"""The director's report printed by a real headless Chromium to A4 PDF.

A summary of at most four pages, then exactly one page per report card; nothing in the
printed part overflows its box; the appendix does not print.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rating.report import build
from tests.factories import settings_for
from tests.test_warning import rated_city

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SUMMARY_PAGES = 4

# Elements whose content is wider than their box, with the print stylesheet applied.
OVERFLOW = """
const boxes = document.querySelectorAll('main *, article *');
const out = [];
for (const el of boxes) {
  const style = getComputedStyle(el);
  if (style.display === 'none' || el.closest('.appendix')) continue;
  if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'visible' || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1) {
    out.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40));
  }
}
return out;
"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        if os.environ.get("RATING_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium/chromedriver are missing: run scripts/setup-browser.sh")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=794,1123"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _print(driver: Any, page: Path) -> tuple[int, list[str]]:
    """(pages of the A4 PDF, elements overflowing in print media)."""
    driver.get(page.as_uri())
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    overflowing = driver.execute_script(OVERFLOW)
    pdf = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {
            "paperWidth": 8.27,
            "paperHeight": 11.69,
            "preferCSSPageSize": True,
            "printBackground": True,
        },  # fmt: skip
    )
    data = base64.b64decode(pdf["data"])
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 0, "no page objects found in the PDF"
    return pages, overflowing


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rated_city(tmp_path_factory)


def _report(city: Path, out: Path, cards: int, language: str = "zh") -> Any:
    con = duckdb.connect(str(city), read_only=True)
    try:
        return build(con, settings_for(out), None, out, cards=cards, language=language)
    finally:
        con.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_summary_prints_on_a_few_pages_and_each_card_on_one(
    chromium: Any, city: Path, tmp_path: Path, language: str
) -> None:
    bare = _report(city, tmp_path / "bare", cards=0, language=language)
    summary_pages, overflowing = _print(chromium, bare.html)
    assert 1 <= summary_pages <= SUMMARY_PAGES
    assert not overflowing, overflowing
    full = _report(city, tmp_path / "full", cards=3, language=language)
    assert len(full.cards) == 3
    pages, overflowing = _print(chromium, full.html)
    assert pages == summary_pages + len(full.cards)  # one page per card, nothing spilling over
    assert not overflowing, overflowing


def test_the_appendix_is_on_screen_and_not_in_print(
    chromium: Any, city: Path, tmp_path: Path
) -> None:
    report = _report(city, tmp_path, cards=0)
    chromium.get(report.html.as_uri())
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    assert (
        chromium.execute_script(
            "return getComputedStyle(document.querySelector('.appendix')).display"
        )
        != "none"
    )
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert (
        chromium.execute_script(
            "return getComputedStyle(document.querySelector('.appendix')).display"
        )
        == "none"
    )

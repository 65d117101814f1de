"""The public pages in a real headless Chromium (Debian's chromium + chromedriver):
search by name, open a company, see its grade, reasons and history."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from api.app import create_app

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def served(bureau_db: dict[str, Any]) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(bureau_db["settings"]), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_search_open_a_company_and_read_its_card(served: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)  # each click navigates: wait for the page it leads to
    browser.get(served + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("丁物业")
    browser.find_element(By.ID, "search").click()
    links = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#results a.company"))
    assert [a.text for a in links] == ["丁物业"]
    links[0].click()
    wait.until(lambda b: b.find_elements(By.ID, "grade"))
    assert browser.find_element(By.ID, "name").text == "丁物业"
    assert browser.find_element(By.ID, "grade").text == "C"
    assert browser.find_element(By.ID, "black").text == "黑名单"
    reasons = browser.find_element(By.ID, "reasons").text
    assert "B-INFO" in reasons and "不良信用信息" in reasons
    history = browser.find_element(By.ID, "history-table").text
    assert "2025Q2" in history and "2025Q3" in history
    chart = browser.find_element(By.ID, "history")
    assert chart.size["width"] > 100 and len(chart.find_elements(By.TAG_NAME, "circle")) == 2

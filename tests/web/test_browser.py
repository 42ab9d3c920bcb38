"""The board in a real browser: headless Chromium (Debian's ``chromium``) driven by Selenium
through Debian's ``chromium-driver``, against the bot after the tour (docs/examples).

A visitor opens the board, filters, searches, opens a ticket and follows its Atom link,
without any JavaScript of ours. A moderator runs ``/dashboard``, opens the link from the
direct message, presses Sign in and reads the insights: a table, a chart, another date
range and a CSV download. Screenshots go to the test's temporary folder; with
``BOTSCHAFTER_REFRESH_SCREENSHOTS=1`` they also replace the ones in docs/images that
docs/web.md shows. Without the browser the test skips in one line, except in CI
(``BOTSCHAFTER_REQUIRE_BROWSER=1``, set by .ci/run, which installs it).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from bot.app import web
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter
from bot.app.web.sessions import COOKIE
from bot.clock import VirtualClock
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOUR = ROOT / "docs" / "examples" / "tour.script"
CONFIG = ROOT / "docs" / "examples" / "botschafter.toml"
SCREENSHOTS = ROOT / "docs" / "images"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_VARIABLE = "BOTSCHAFTER_REQUIRE_BROWSER"
# After the tour (#1 resolved, #2 assigned, #3 private): one more wish with a promise.
MORE = """
as Jonas
/ticket open "Invoices as PDF" details:"Our accountant needs PDFs." category:billing
as Amy
/ticket claim #4
/ticket update #4 Finance is looking into it. next:3d
"""
ATOM = "{http://www.w3.org/2005/Atom}"


def _browser_or_skip() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    reason = f"browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Served:
    """The tour's community with its web pages up: where the board is, and the script
    interpreter to act in the community (e.g. run /dashboard) while the browser looks."""

    board_url: str
    interpreter: Interpreter


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """The tour's community, replayed, with its board served on a free port."""
    settings = Settings(
        config_file=CONFIG,
        data_dir=tmp_path / "data",
        web_enabled=True,
        web_port=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    session = await LocalSession.open(
        settings, clock=VirtualClock(), random_source=random.Random(0)
    )
    interpreter = Interpreter(session)
    lines = TOUR.read_text(encoding="utf-8").splitlines() + MORE.splitlines()
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            await interpreter.execute(line)
    community = session.community.community
    server = await web.start(session.app.services, settings, served=[community.key])
    assert server is not None
    yield Served(server.board_url(community), interpreter)
    await server.stop()
    await session.close()


@pytest.fixture
def board_url(served: Served) -> str:
    return served.board_url


async def test_a_visitor_filters_searches_opens_a_ticket_and_its_feed(
    board_url: str, tmp_path: Path
) -> None:
    _browser_or_skip()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    await asyncio.to_thread(_visit, board_url, shots)
    _refresh_docs(shots)


async def test_a_moderator_signs_in_through_dashboard_and_views_insights(
    served: Served, tmp_path: Path
) -> None:
    _browser_or_skip()
    link = await _dashboard_link(served.interpreter, "Mo")
    assert link.startswith(served.board_url.split("/board/", 1)[0] + "/signin?token=")
    # A plain member gets no link at all (the route tests cover a forged member's link).
    assert await _dashboard_link(served.interpreter, "Ben") is None
    shots = tmp_path / "screenshots"
    shots.mkdir()
    await asyncio.to_thread(_sign_in_and_view_insights, link, shots)
    _refresh_docs(shots)


def _refresh_docs(shots: Path) -> None:
    if os.environ.get("BOTSCHAFTER_REFRESH_SCREENSHOTS") == "1":
        for shot in shots.glob("*.png"):
            shutil.copy(shot, SCREENSHOTS / shot.name)


async def _dashboard_link(interpreter: Interpreter, who: str) -> str | None:
    """Run /dashboard as `who`; the link in the direct message it brought, if any."""
    community = interpreter.community
    member = community.member(who)
    before = len(community.direct_messages(member))
    await interpreter.execute(f"as {who}")
    await interpreter.execute("/dashboard")
    messages = community.direct_messages(member)[before:]
    if not messages:
        return None
    [message] = messages
    found = re.search(r"http://127\.0\.0\.1:\d+/signin\?token=[\w.\-]+", message.text)
    assert found, message.text
    return found.group(0)


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)  # Debian's browser: Selenium Manager stays idle
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--lang=en-US"):
        options.add_argument(argument)
    options.add_argument("--disable-dev-shm-usage")
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def _visit(board_url: str, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = _browser()
    try:
        driver.set_window_size(1200, 860)
        driver.get(board_url)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Tickets of Botschafter Demo"
        titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tbody th a")]
        assert titles == ["Offline mode for the app", "Invoices as PDF"]  # open ones
        driver.save_screenshot(str(shots / "web-board.png"))

        Select(driver.find_element(By.ID, "show")).select_by_value("all")
        Select(driver.find_element(By.ID, "category")).select_by_value("app")
        _navigates(driver, driver.find_element(By.CSS_SELECTOR, "form.filters button").click)
        titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tbody th a")]
        assert sorted(titles) == ["Dark mode for the app", "Offline mode for the app"]
        assert "double charge" not in driver.page_source  # the tour's private ticket

        search = driver.find_element(By.ID, "q")
        search.clear()
        search.send_keys("dark")
        _navigates(driver, search.submit)
        titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tbody th a")]
        assert titles == ["Dark mode for the app"]
        assert "q=dark" in driver.current_url and "category=app" in driver.current_url

        _navigates(driver, driver.find_element(By.LINK_TEXT, "Dark mode for the app").click)
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert heading == "Ticket #1: Dark mode for the app"
        page = driver.find_element(By.TAG_NAME, "main").text
        assert "Dark mode ships in version 2.4 next week." in page
        assert "Amy posted an update" in page
        driver.save_screenshot(str(shots / "web-ticket.png"))

        feed = driver.find_element(By.LINK_TEXT, "Atom feed of this ticket")
        href = feed.get_attribute("href") or ""
        _navigates(driver, feed.click)
        assert driver.current_url == href and "Dark mode ships" in driver.page_source
        with urllib.request.urlopen(href, timeout=10) as answer:  # 127.0.0.1 only
            root = ET.fromstring(answer.read())
        assert root.findtext(f"{ATOM}title") == "Ticket #1: Dark mode for the app"

        driver.get(board_url)
        _navigates(driver, driver.find_element(By.LINK_TEXT, "Deutsch").click)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Tickets von Botschafter Demo"
        driver.save_screenshot(str(shots / "web-board-de.png"))
    finally:
        driver.quit()


def _sign_in_and_view_insights(link: str, shots: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser()
    try:
        driver.set_window_size(1200, 1100)
        driver.get(link)  # opening the link spends nothing: a chat preview does the same
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in to the insights"
        button = driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button")
        _navigates(driver, button.click)
        assert driver.current_url.endswith("/insights/local/demo")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Insights for Botschafter Demo"
        weekly = driver.find_element(By.ID, "tickets-weekly")
        assert weekly.find_element(By.CSS_SELECTOR, "table.figures caption").text == (
            "Tickets opened and resolved per week"
        )
        assert weekly.find_elements(By.CSS_SELECTOR, "table.figures tbody tr")

        # Another range, typed into the date fields (set directly: how a date field takes
        # keystrokes depends on the browser's locale), then Apply.
        for field, value in (("from", "2025-12-29"), ("to", "2026-01-11")):
            driver.execute_script(
                "arguments[0].value = arguments[1]", driver.find_element(By.ID, field), value
            )
        _navigates(driver, driver.find_element(By.CSS_SELECTOR, "form.range button").click)
        assert "from=2025-12-29" in driver.current_url and "to=2026-01-11" in driver.current_url
        assert driver.find_element(By.ID, "from").get_attribute("value") == "2025-12-29"
        weekly = driver.find_element(By.ID, "tickets-weekly")
        weeks = [
            row.find_element(By.TAG_NAME, "td").text
            for row in weekly.find_elements(By.CSS_SELECTOR, "table.figures tbody tr")
        ]
        assert weeks == ["2025-12-29", "2026-01-05"]

        chart = weekly.find_element(By.CSS_SELECTOR, "img.chart")
        assert "from=2025-12-29" in (chart.get_attribute("src") or "")
        WebDriverWait(driver, 15).until(
            lambda d: d.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", chart
            ),
            "the chart did not load",
        )

        download = weekly.find_element(By.CSS_SELECTOR, "p.download a")
        href = download.get_attribute("href") or ""
        assert "/insights/local/demo/tickets-weekly.csv?" in href and "to=2026-01-11" in href
        cookie = driver.get_cookie(COOKIE)
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        request = urllib.request.Request(href, headers={"Cookie": f"{COOKIE}={cookie['value']}"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # 127.0.0.1 only
            assert answer.headers.get_content_type() == "text/csv"
            rows = answer.read().decode("utf-8").splitlines()
        assert rows[0].startswith("Week of,") and [r.split(",")[0] for r in rows[1:]] == weeks
        with pytest.raises(urllib.error.HTTPError) as refused:  # the cookie is the key
            urllib.request.urlopen(href, timeout=10)
        assert refused.value.code == 403

        driver.execute_script("window.scrollTo(0, 0)")  # the header, the form, a chart
        driver.save_screenshot(str(shots / "web-insights.png"))
    finally:
        driver.quit()


def _navigates(driver: Any, act: Callable[[], None]) -> None:
    """Do what loads a new page, and wait until it has (a click returns before that)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))

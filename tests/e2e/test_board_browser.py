"""The waiting-room board in a real headless browser (Debian's chromium): a call shows up live, no reload."""

import asyncio
import shutil
import time
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient

from shared.clock import ManualClock
from tests.support.api import book, create_doctor
from tests.support.services import Running

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver not installed")


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    yield driver
    driver.quit()


def _text(driver: object, css: str) -> str:
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, css)  # type: ignore[attr-defined]
    return " ".join(element.text for element in elements)


def _wait_for(driver: object, css: str, expected: str, timeout: float) -> float:
    """Seconds until the element's text contains ``expected``; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if expected in _text(driver, css):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{css!r} never showed {expected!r}; it shows {_text(driver, css)!r}")


@pytest.mark.timeout(60)
async def test_the_board_shows_a_newly_called_token_within_two_seconds_without_reload(
    api: TestClient, allocator: Running, clock: ManualClock, browser: object
) -> None:
    doctor = await create_doctor(api, capacity=4, reserved=0, room="7")
    first, second = [(await book(api, doctor["id"], name))["token"] for name in ("Asha Verma", "Ravi Kumar")]
    clock.set(clock.now().replace(hour=9, minute=1))

    await asyncio.to_thread(browser.get, str(api.make_url(f"/board?doctorIds={doctor['id']}")))  # type: ignore[attr-defined]
    await asyncio.to_thread(_wait_for, browser, ".next", first["shortNumber"], 15)
    await asyncio.sleep(0.5)  # the page has opened its live feed once the first state is drawn

    response = await api.post(f"/api/doctors/{doctor['id']}/call-next", json={})
    assert response.status == 200, await response.text()
    shown_after = await asyncio.to_thread(_wait_for, browser, ".serving", first["shortNumber"], 2.0)

    assert shown_after <= 2.0
    page = await asyncio.to_thread(lambda: browser.page_source)  # type: ignore[attr-defined]
    assert "Asha" not in page and "Ravi" not in page
    assert second["shortNumber"] in _text(browser, ".next")

"""The waiting-room board in a real headless browser (Debian's chromium): a call shows up live, no reload; a
hall of eight doctors on TVs in two time zones, a delay, a lost connection."""

import asyncio
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from tests.conftest import ADMIN_HEADERS
from tests.support.api import ApiClient, book, create_doctor
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
        "--window-size=1920,1080",
        "--lang=en-US",
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
    """The text of every element matching ``css``, read in one script (the page redraws them as it likes)."""
    script = "return [...document.querySelectorAll(arguments[0])].map((element) => element.innerText).join(' ');"
    return str(driver.execute_script(script, css))  # type: ignore[attr-defined]


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
    api: ApiClient, allocator: Running, clock: ManualClock, browser: object
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


SHOTS = Path(os.environ.get("OPD_BOARD_SCREENSHOTS", "/tmp"))  # where the hall's screenshots go, to look at


@pytest.fixture
async def hall(gateway_settings: GatewaySettings, clock: ManualClock) -> AsyncIterator[ApiClient]:
    """The gateway as a hall's TV reaches it: the hospital's name, six doctors a page, pages every 3 seconds."""
    settings = gateway_settings.model_copy(
        update={"hospital_name": "City Hospital OPD", "board_page_size": 6, "board_page_seconds": 3.0}
    )
    client = TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS)
    await client.start_server()
    yield client
    await client.close()


def _in_zone(driver: object, zone: str) -> None:
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})  # type: ignore[attr-defined]


def _cards(driver: object) -> dict[str, str]:
    """The doctor cards on screen now: doctor name -> the card's text (lower case), read in one go."""
    script = """return [...document.querySelectorAll('main .card')].filter((card) => !card.hidden)
        .map((card) => [card.querySelector('.doctor').textContent, card.innerText.toLowerCase()]);"""
    return dict(driver.execute_script(script))  # type: ignore[attr-defined]


def _all_doctors_within(driver: object, seconds: float) -> dict[str, str]:
    seen: dict[str, str] = {}
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        seen.update(_cards(driver))
        time.sleep(0.2)
    return seen


@pytest.mark.timeout(120)
async def test_a_hall_of_eight_doctors_on_tvs_in_two_time_zones_with_a_delay_and_a_lost_connection(
    hall: ApiClient, allocator: Running, clock: ManualClock, browser: object
) -> None:
    clock.set(clock.now().replace(hour=8, minute=50))
    doctors = [
        await create_doctor(hall, name=f"Dr. {name}", room=str(101 + n), reserved=0)
        for n, name in enumerate(["Anand", "Bose", "Chawla", "Dutta", "Eapen", "Fernandes", "Gupta", "Hegde"])
    ]
    for doctor in doctors:
        for patient in ("Asha Verma", "Ravi Kumar"):
            await book(hall, doctor["id"], f"{patient} {doctor['room']}", timeSlot="09:00-10:00")
    late = doctors[0]
    response = await hall.post(f"/api/doctors/{late['id']}/delay", json={"minutes": 20, "reason": "ward round"})
    assert response.status == 200, await response.text()
    url = str(hall.make_url("/board?specialization=Cardiology"))

    for zone in ("UTC", "America/New_York"):  # the TV's own zone must not matter
        await asyncio.to_thread(_in_zone, browser, zone)
        await asyncio.to_thread(browser.get, url)  # type: ignore[attr-defined]
        await asyncio.to_thread(_wait_for, browser, ".eta", "9:12", 15)
        offset = await asyncio.to_thread(browser.execute_script, "return new Date().getTimezoneOffset()")  # type: ignore[attr-defined]
        assert offset != -330, "the browser runs in another zone than the hospital's"
        shown = await asyncio.to_thread(_all_doctors_within, browser, 7.0)
        assert set(shown) == {d["name"] for d in doctors}, "every doctor within one rotation"
        assert len(await asyncio.to_thread(_cards, browser)) == 4  # eight doctors: two pages of four
        delayed = shown[late["name"]]
        assert "running late" in delayed and "देर" in delayed  # both languages
        # The new times, in the hospital's zone; a patient ahead not yet here counts 0.8 of a consultation (D43).
        assert "9:20 am" in delayed and "9:32 am" in delayed
        on_time = shown[doctors[1]["name"]]
        assert "9:00 am" in on_time and "9:12 am" in on_time and "running late" not in on_time
        assert f"{doctors[1]['code']}-t001".lower() in on_time  # a number no other doctor's queue has
        assert "asha" not in on_time and "ravi" not in on_time
        fonts = "return [...document.fonts].filter((f) => f.family.includes('OPD Devanagari')).map((f) => f.status);"
        loaded = await asyncio.to_thread(browser.execute_script, fonts)  # type: ignore[attr-defined]
        assert "loaded" in loaded, "the Hindi labels have a Devanagari font, from the gateway if the TV has none"
        await asyncio.to_thread(browser.save_screenshot, str(SHOTS / f"board-{zone.replace('/', '-')}.png"))  # type: ignore[attr-defined]

    await hall.server.close()  # the gateway goes away: the TV must say its data is old
    await asyncio.to_thread(_wait_for, browser, "#state", "Reconnecting", 15)
    assert "Last updated" in await asyncio.to_thread(_text, browser, "#state")
    hindi = await asyncio.to_thread(_text, browser, '#state span[lang="hi"]:last-child')
    assert "जानकारी" in hindi and re.search(r"\d:\d\d", hindi) and not re.search("[A-Za-z]", hindi), hindi  # D104
    await asyncio.to_thread(browser.save_screenshot, str(SHOTS / "board-reconnecting.png"))  # type: ignore[attr-defined]

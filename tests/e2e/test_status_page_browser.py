"""A patient's status page in the headless browser: it follows the doctor's calls live, in the patient's
language, and a wrong code gets the plain page."""

import asyncio

import pytest

from shared.clock import ManualClock
from tests.e2e.test_board_browser import CHROMEDRIVER, CHROMIUM, SHOTS, _text, _wait_for, browser
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver not installed")
__all__ = ["browser"]  # the fixture


@pytest.mark.timeout(90)
async def test_the_page_updates_as_the_doctor_calls_and_when_the_patient_is_called(
    api: ApiClient, allocator: Running, clock: ManualClock, browser: object
) -> None:
    doctor = await create_doctor(api, capacity=4, reserved=0, room="101")
    for name in ("Asha Verma", "Ravi Kumar"):
        await book(api, doctor["id"], name)
    mine = await book(api, doctor["id"], "Sita Devi", phone="+919800000003")
    clock.set(clock.now().replace(hour=9, minute=1))

    await asyncio.to_thread(browser.get, str(api.make_url(mine["statusPage"])))  # type: ignore[attr-defined]
    await asyncio.to_thread(_wait_for, browser, "#v-before", "2", 10)
    assert "Sita" not in _text(browser, "body") and "Your token is confirmed" in _text(browser, "#headline")
    await asyncio.sleep(0.5)  # the page has opened the doctor's live feed

    for before in ("1", "0"):
        assert (await api.post(f"/api/doctors/{doctor['id']}/call-next", json={})).status == 200
        await asyncio.to_thread(_wait_for, browser, "#v-before", before, 10)  # live: no reload, no 30 s poll
    assert (await api.post(f"/api/doctors/{doctor['id']}/call-next", json={})).status == 200
    await asyncio.to_thread(_wait_for, browser, "#headline", "please go to room 101 now", 10)
    await asyncio.to_thread(browser.save_screenshot, str(SHOTS / "status-called.png"))  # type: ignore[attr-defined]


@pytest.mark.timeout(60)
async def test_a_hindi_speakers_page_and_a_wrong_code(api: ApiClient, allocator: Running, browser: object) -> None:
    doctor = await create_doctor(api, room="101")
    booked = await book(api, doctor["id"], "Sita Devi", language="hi")
    await asyncio.to_thread(browser.get, str(api.make_url(booked["statusPage"])))  # type: ignore[attr-defined]
    await asyncio.to_thread(_wait_for, browser, "#headline", "आपका टोकन पक्का है", 10)
    assert "आपसे पहले मरीज़" in _text(browser, "dl")
    assert await asyncio.to_thread(_drawn_without_the_font, browser) == []

    wrong = booked["statusPage"][:-4] + ("AAAA" if not booked["statusPage"].endswith("AAAA") else "BBBB")
    await asyncio.to_thread(browser.get, str(api.make_url(wrong)))  # type: ignore[attr-defined]
    shown = _text(browser, "body")
    assert "This link is not valid or has expired" in shown and "यह लिंक सही नहीं है" in shown
    assert "Sita" not in shown and "101" not in shown


# Each label and value that is one Devanagari word (a space is drawn in another font), with its laid-out width and
# its width in the pages' Devanagari font, measured on a canvas. They differ where the browser drew the word without
# that font: as empty boxes.
_WIDTHS = """
const canvas = document.createElement("canvas").getContext("2d");
return [...document.querySelectorAll("dt, dd")].filter((e) => /^[\u0900-\u097f]+$/.test(e.textContent)).map((e) => {
  const style = getComputedStyle(e), range = document.createRange();
  range.selectNodeContents(e);
  canvas.font = `${style.fontWeight} ${style.fontSize} "OPD Devanagari"`;
  return [e.textContent, range.getBoundingClientRect().width, canvas.measureText(e.textContent).width];
});
"""


def _drawn_without_the_font(driver: object) -> list[str]:
    """The Devanagari texts of the page not drawn in its Devanagari font (a phone without one shows boxes)."""
    driver.execute_script("return document.fonts.ready.then(() => true);")  # type: ignore[attr-defined]
    widths = driver.execute_script(_WIDTHS)  # type: ignore[attr-defined]
    assert len(widths) >= 4, widths  # the labels are there to check
    return [text for text, laid_out, in_the_font in widths if abs(laid_out - in_the_font) > 2]


def _hidden(driver: object, css: str) -> bool:
    return bool(driver.execute_script("return document.querySelector(arguments[0]).hidden;", css))  # type: ignore[attr-defined]


def _click(driver: object, css: str) -> None:
    driver.execute_script("document.querySelector(arguments[0]).click();", css)  # type: ignore[attr-defined]


@pytest.mark.timeout(60)
async def test_running_late_shows_the_new_time_and_cancel_asks_first(
    api: ApiClient, allocator: Running, browser: object
) -> None:
    doctor = await create_doctor(api, reserved=0, room="101")
    mine = await book(api, doctor["id"], "Ravi Kumar")
    for name in ("Asha Verma", "Sita Devi"):
        await book(api, doctor["id"], name)
    await asyncio.to_thread(browser.get, str(api.make_url(mine["statusPage"])))  # type: ignore[attr-defined]
    await asyncio.to_thread(_wait_for, browser, "#v-before", "0", 10)
    eta = _text(browser, "#v-eta")

    _click(browser, "#late")
    await asyncio.to_thread(_wait_for, browser, "#notice", "Your new expected time is shown below", 10)
    await asyncio.to_thread(_wait_for, browser, "#v-before", "2", 10)
    assert _text(browser, "#v-eta") != eta and _hidden(browser, "#late")  # the button is gone: once only

    _click(browser, "#cancel")
    await asyncio.to_thread(_wait_for, browser, "#confirm", "This cannot be undone", 5)
    _click(browser, "#no")
    assert _hidden(browser, "#confirm") and not _hidden(browser, "#cancel")
    _click(browser, "#cancel")
    _click(browser, "#yes")
    await asyncio.to_thread(_wait_for, browser, "#headline", "This token is cancelled.", 10)
    token = await (await api.get(f"/api/tokens/{mine['token']['id']}")).json()
    assert token["token"]["status"] == "cancelled"

"""The API documentation page in the headless browser: Swagger UI from the gateway's own files, with examples."""

import asyncio
import time

import pytest

from tests.e2e.test_board_browser import CHROMEDRIVER, CHROMIUM, SHOTS, _text, browser
from tests.support.api import ApiClient

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver not installed")
__all__ = ["browser"]  # the fixture


def _count(driver: object, css: str, at_least: int, timeout: float) -> int:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        found = int(driver.execute_script("return document.querySelectorAll(arguments[0]).length", css))  # type: ignore[attr-defined]
        if found >= at_least:
            return found
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} {css!r}")


def _open_booking(driver: object) -> None:
    driver.execute_script(  # type: ignore[attr-defined]
        "document.querySelector('#operations-tokens-book_token .opblock-summary-control').click()"
    )


@pytest.mark.timeout(60)
async def test_the_docs_page_renders_every_operation_with_its_examples(api: ApiClient, browser: object) -> None:
    await asyncio.to_thread(browser.get, str(api.make_url("/api/docs")))  # type: ignore[attr-defined]
    assert await asyncio.to_thread(_count, browser, ".opblock", 28, 20) >= 28
    await asyncio.to_thread(_open_booking, browser)
    await asyncio.to_thread(_count, browser, "#operations-tokens-book_token .body-param__example", 1, 10)

    shown = await asyncio.to_thread(_text, browser, "#operations-tokens-book_token")
    assert "Asha Verma" in shown and "D1-20261203-T007" in shown  # the request's and the answer's examples
    assert "Who: the booking role (or higher)" in shown and "``" not in shown  # Markdown, rendered
    await asyncio.to_thread(browser.save_screenshot, str(SHOTS / "api-docs.png"))  # type: ignore[attr-defined]

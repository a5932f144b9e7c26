"""The caseworker page in a real headless Chromium (Playwright for Python, Debian's chromium)
against a real uvicorn: type a note, see the suggestion, correct a label, and find the
correction in the database. Saves a screenshot to docs/screenshots/caseworker_page.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from service.db import Feedback
from tests.service.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "caseworker_page.png"
NOTE = (
    "Cust sleeping rough, no money for food, has not eaten for days. "
    "Chasing her UC advance, no gas or electric."
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (run scripts/install_browser.sh)",
    ),
]


@pytest.fixture
def page(live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1100, "height": 1400}, reduced_motion="reduce"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def feedback_rows(live_server: LiveServer, user: str) -> list[Feedback]:
    settings = live_server.app.dependency_overrides
    from service.deps import get_settings

    url = settings[get_settings]().database_url
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            stmt = select(Feedback).where(Feedback.user_ref == user).order_by(Feedback.id)
            return list(session.scalars(stmt))
    finally:
        engine.dispose()


def test_caseworker_page(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    expect(page.locator("#status")).to_contain_text("Ready")
    expect(page.locator("#model-name")).to_contain_text("tiny-service")

    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
              .filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)"""
    )
    assert unlabelled == []

    page.get_by_label("Your reference").fill("cw-browser")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_role("textbox", name="Contact note").press_sequentially(NOTE, delay=5)

    expect(page.locator("#results")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Suggestions updated")
    reason = page.locator('fieldset.head[data-head="contact_reason"]')
    expect(reason.locator(".label-value")).not_to_be_empty()
    urgent = page.locator("#urgent")
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text("urgent")
    expect(page.locator("#flags .flag.alert")).to_contain_text("vulnerability")
    expect(page.locator('#derived dd[data-derived="routing"]')).not_to_be_empty()
    assert page.locator("#evidence mark").count() > 0
    assert page.locator("#evidence").inner_text() == NOTE

    shown = reason.get_attribute("data-label")
    options = reason.locator("select option").evaluate_all("os => os.map(o => o.value)")
    corrected = next(label for label in ("payment_query", "other") if label != shown)
    assert corrected in options
    reason.get_by_label("Correct to").select_option(corrected)
    reason.get_by_role("button", name="Save correction").click()
    expect(reason.locator(".done")).to_contain_text(
        f"Saved: contact reason corrected to {corrected.replace('_', ' ')}"
    )

    feedback_card = page.locator('fieldset.head[data-head="feedback_type"]')
    feedback_card.get_by_role("button", name="Accept").focus()
    page.keyboard.press("Enter")  # keyboard use
    expect(feedback_card.locator(".done")).to_contain_text("accepted")

    page.screenshot(path=str(tmp_path / "caseworker_page.png"), full_page=True)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "caseworker_page.png", SCREENSHOT)

    rows = feedback_rows(live_server, "cw-browser")
    assert len(rows) == 2
    correction, acceptance = rows
    assert correction.suggestion_id == acceptance.suggestion_id
    assert correction.chosen["heads"]["contact_reason"] == corrected
    assert correction.shown["heads"]["contact_reason"] == shown
    assert correction.corrected == ["contact_reason"]
    assert correction.channel == "phone" and correction.text == NOTE
    assert acceptance.chosen["heads"]["contact_reason"] == corrected  # choices accumulate
    assert acceptance.chosen["heads"]["feedback_type"] == acceptance.shown["heads"]["feedback_type"]


def test_page_asks_for_a_key_when_auth_is_on(model_dir: Path, tmp_path: Path) -> None:
    import hashlib

    from playwright.sync_api import expect, sync_playwright

    from service.settings import Settings
    from tests.service.conftest import app_with

    key = "browser-key"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        model_dir=model_dir,
        database_url=f"sqlite:///{tmp_path / 'f.db'}",
        api_keys_sha256=[hashlib.sha256(key.encode()).hexdigest()],
    )
    with LiveServer(app_with(settings)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.goto(server.url + "/")
        expect(page.locator("#status")).to_contain_text("needs an API key")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Use this key").click()
        expect(page.locator("#status")).to_contain_text("Ready")
        page.get_by_role("textbox", name="Contact note").fill("I want to start a new claim for UC")
        expect(page.locator("#results")).to_be_visible()
        assert page.evaluate("sessionStorage.getItem('nlp-contact.api-key')") == key
        browser.close()

"""/docs in Chromium (issue 8 item 11): Swagger UI loads from this server under the CSP, its
Authorize button logs in with the OAuth2 password flow, and a call then carries the token."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from gendan.demo import DEMO_PASSWORD
from tests.browser.conftest import new_page


def test_authorize_in_docs_with_the_password_flow_then_call_the_api(
    browser: Browser, server: str, artifacts: Path
) -> None:
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.goto(f"{server}/docs")

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    password_flow = dialog.locator(".auth-container").filter(has_text="OAuth2PasswordBearer")
    password_flow.locator("input#oauth_username").fill("clerk")
    password_flow.locator("input#oauth_password").fill(DEMO_PASSWORD)
    password_flow.locator("button", has_text="Authorize").click()
    expect(password_flow.locator("button", has_text="Logout")).to_be_visible()
    page.screenshot(path=str(artifacts / "api-docs-authorized.png"))
    dialog.locator("button.btn-done").first.click()

    operation = page.locator("#operations-api-my_tasks_api_tasks_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    expect(status).to_have_text("200")
    assert "Bearer " in operation.locator(".curl-command").inner_text()
    assert not [p for p in problems if "Content Security Policy" in p or "failed" in p], problems

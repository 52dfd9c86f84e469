"""Swagger UI in a real Chromium, against Keel served over HTTP.

The docs page is the first thing a newcomer opens. Unit tests see its HTML and headers, but only a
browser shows whether the strict CSP still lets Swagger UI render every operation from local files,
ask no other host for anything, and run "Try it out" with a token from its own Authorize dialog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.served import ServedKeel
from tests.e2e.stack import ROOT, call
from tests.support.accounts import DEFAULT_PASSWORD, unique_email
from tests.support.tools import require_program

INSTALL = "apt-get install chromium chromium-driver"
METHODS = ("get", "post", "put", "patch", "delete")
SCREENSHOT = ROOT / "build" / "screenshots" / "swagger-ui.png"
WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def browser(served: ServedKeel) -> Iterator[Chrome]:
    """Headless Chromium; it quits before the served Keel stops, so no connection of its holds that up."""
    chromium = require_program("chromium", install=INSTALL)
    chromedriver = require_program("chromedriver", install=INSTALL)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(argument)
    # Every request the page makes (performance) and its console (browser), read back below.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # A driver path given to the service keeps Selenium Manager from looking for (or downloading) one.
    driver = Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Chrome) -> WebDriverWait[Chrome]:
    return WebDriverWait(driver, WAIT_SECONDS)


def browser_log(driver: Chrome, kind: str) -> list[dict[str, Any]]:
    """Chrome's log of this kind ("performance", "browser") since it was last read."""
    entries: list[dict[str, Any]] = driver.get_log(kind)  # type: ignore[no-untyped-call]  # Selenium's own
    return entries


def open_docs(driver: Chrome, served: ServedKeel) -> None:
    """Load /docs afresh, with the request and console logs of anything earlier drained."""
    browser_log(driver, "performance")
    browser_log(driver, "browser")
    driver.get(f"{served.base_url}/docs")
    wait(driver).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock")),
        "Swagger UI rendered no operation",
    )


def documented_operations(served: ServedKeel) -> list[tuple[str, str]]:
    reply = call(served.port, "GET", "/openapi.json")
    assert reply.status == 200, reply.body[:500]
    document: dict[str, Any] = reply.json()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    )


def rendered_operations(driver: Chrome) -> list[tuple[str, str]]:
    operations = []
    for block in driver.find_elements(By.CSS_SELECTOR, ".opblock"):
        method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip()
        path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        operations.append((method, path or ""))
    return sorted(operations)


def requested_urls(driver: Chrome) -> list[str]:
    """The URL of every request the page started since the performance log was last read."""
    urls = []
    for entry in browser_log(driver, "performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def foreign_requests(urls: list[str], origin: str) -> list[str]:
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in ("data", "blob")
        and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin
    ]


def expand(driver: Chrome, operation_id: str) -> WebElement:
    """Open an operation's block and switch it to "Try it out"; return the block."""
    block = driver.find_element(By.ID, operation_id)
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait(driver).until(
        lambda _: block.find_element(By.CSS_SELECTOR, ".try-out__btn"), f"{operation_id} did not open"
    ).click()
    return block


def execute(driver: Chrome, block: WebElement) -> tuple[str, str]:
    """Press Execute and return the status and body Swagger UI renders for the live response."""
    wait(driver).until(lambda _: block.find_element(By.CSS_SELECTOR, ".btn.execute")).click()
    response = wait(driver).until(
        lambda _: block.find_element(By.CSS_SELECTOR, ".live-responses-table .response"),
        "no response was rendered",
    )
    status = response.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip()
    body = response.find_element(By.CSS_SELECTOR, ".response-col_description .highlight-code pre")
    return status, body.get_attribute("textContent") or ""


def test_docs_render_every_operation_of_the_served_document(browser: Chrome, served: ServedKeel) -> None:
    expected = documented_operations(served)
    open_docs(browser, served)

    rendered = rendered_operations(browser)

    assert len(expected) > 20, expected  # the document is Keel's, not an empty stand-in
    assert len(rendered) == len(expected)
    assert rendered == expected


def test_docs_request_nothing_from_another_host(browser: Chrome, served: ServedKeel) -> None:
    policy = call(served.port, "GET", "/docs").headers["content-security-policy"]
    open_docs(browser, served)

    urls = requested_urls(browser)
    console_errors = [
        entry["message"] for entry in browser_log(browser, "browser") if entry["level"] == "SEVERE"
    ]

    paths = {urlsplit(url).path for url in urls}
    assert {"/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"} <= paths, urls
    assert foreign_requests(urls, served.base_url) == []
    # The page ran under the strict policy; anything it refused would be logged here as SEVERE
    # ("Refused to load ... because it violates the following Content Security Policy directive").
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert console_errors == []


def test_try_it_out_logs_in_and_reads_me_with_the_authorized_token(
    browser: Chrome, served: ServedKeel
) -> None:
    email = unique_email("swagger")
    registered = call(
        served.port,
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": DEFAULT_PASSWORD, "name": "Swagger Tester"},
    )
    assert registered.status == 201, registered.body
    open_docs(browser, served)

    login = expand(browser, "operations-auth-login")
    body = wait(browser).until(lambda _: login.find_element(By.CSS_SELECTOR, "textarea.body-param__text"))
    body.clear()
    body.send_keys(json.dumps({"email": email, "password": DEFAULT_PASSWORD}))
    status, text = execute(browser, login)
    assert status == "200", text
    access_token = json.loads(text)["access_token"]

    browser.find_element(By.CSS_SELECTOR, ".scheme-container .btn.authorize").click()
    dialog = wait(browser).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux"))
    )
    bearer = dialog.find_element(
        By.XPATH, ".//div[contains(@class, 'auth-container')][.//h4/code[normalize-space()='bearerAuth']]"
    )
    bearer.find_element(By.CSS_SELECTOR, "input#auth-bearer-value").send_keys(access_token)
    bearer.find_element(By.CSS_SELECTOR, "button.authorize").click()
    wait(browser).until(
        lambda _: bearer.find_elements(By.XPATH, ".//h6[normalize-space()='Authorized']"),
        "the bearer token was not accepted by the dialog",
    )
    dialog.find_element(By.CSS_SELECTOR, ".close-modal").click()
    wait(browser).until(expected_conditions.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))

    me = expand(browser, "operations-users-getMe")
    status, text = execute(browser, me)

    assert status == "200", text
    assert json.loads(text)["email"] == email
    # Both calls went to the served Keel itself, and nothing else the page did left it either.
    urls = requested_urls(browser)
    assert f"{served.base_url}/api/v1/auth/login" in urls
    assert f"{served.base_url}/api/v1/users/me" in urls
    assert foreign_requests(urls, served.base_url) == []
    browser.execute_script("arguments[0].scrollIntoView();", me)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT)), f"no screenshot written to {SCREENSHOT}"

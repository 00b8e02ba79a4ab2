"""The saga console in a real headless browser (Debian's Chromium through chromedriver):
sign in, watch checkouts as timelines. Screenshots go to .data/artifacts/console/."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunningApp
from tests.e2e.api import admin_credentials, new_customer
from tests.e2e.checkout import place
from tests.e2e.test_catalog import new_item

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = PROJECT_ROOT / ".data" / "artifacts" / "console"
WAIT_SECONDS = 45


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    # Selenium Manager must never try the network for a driver or a browser.
    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console(browser: WebDriver, orders: RunningApp) -> Iterator[WebDriver]:
    """A fresh, signed-out console for each test."""
    browser.get(f"{orders.url}/console#/orders")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    yield browser


def wait_for(driver: WebDriver, what: str, condition: Callable[[WebDriver], Any]) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS).until(condition, message=f"waiting for {what}")


def classes(element: WebElement) -> str:
    return element.get_attribute("class") or ""


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def sign_in(driver: WebDriver, email: str, password: str) -> None:
    wait_for(driver, "the sign-in form", lambda d: d.find_element(By.ID, "email").is_displayed())
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    wait_for(
        driver, "the orders view", lambda d: d.find_element(By.ID, "orders-view").is_displayed()
    )


def saga_state(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "saga-state").text)


def steps(driver: WebDriver) -> list[WebElement]:
    return list(driver.find_elements(By.CSS_SELECTOR, "#timeline li"))


def step_names(driver: WebDriver) -> list[str]:
    return [step.find_element(By.CLASS_NAME, "step-name").text for step in steps(driver)]


def test_an_admin_starts_a_test_checkout_and_sees_it_confirm(
    console: WebDriver, orders: RunningApp
) -> None:
    sign_in(console, *admin_credentials(orders))
    assert "admin" in console.find_element(By.ID, "who").text
    console.find_element(By.ID, "demo-item").click()
    wait_for(
        console,
        "the demo item",
        lambda d: "demo-" in (d.find_element(By.ID, "test-sku").get_attribute("value") or ""),
    )
    Select(console.find_element(By.ID, "test-token")).select_by_value("tok_ok")
    console.find_element(By.CSS_SELECTOR, "#test-checkout-form button[type=submit]").click()

    wait_for(console, "the saga to confirm", lambda d: "order confirmed" in saga_state(d))
    path = screenshot(console, "confirmed")

    assert step_names(console) == [
        "✓ reserve stock",
        "✓ charge payment",
        "✓ commit stock",
        "✓ confirm order",
        "✓ notify customer",
    ]
    assert all("done" in classes(step) for step in steps(console))
    assert "retried up to 3 attempts" in steps(console)[0].text
    assert path.stat().st_size > 0


def test_a_customer_sees_a_declined_checkout_with_its_compensations(
    console: WebDriver, orders: RunningApp, orders_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]
    with new_customer(orders) as customer:
        order_id = place(customer, [(sku, 1)], token="tok_decline")
        email, password = customer.auth.email, customer.auth.password  # type: ignore[union-attr]
    sign_in(console, email, password)
    who = console.find_element(By.ID, "who")
    wait_for(console, "the customer's name", lambda _d: "customer" in who.text)
    assert "admin" not in who.text
    assert not console.find_element(By.ID, "test-checkout").is_displayed()
    wait_for(console, "the order in the list", lambda d: d.find_elements(By.LINK_TEXT, order_id))
    rows = console.find_elements(By.CSS_SELECTOR, "#orders-table tbody tr")
    assert len(rows) == 1  # only their own

    console.find_element(By.LINK_TEXT, order_id).click()
    wait_for(console, "the saga to end", lambda d: "order cancelled" in saga_state(d))
    screenshot(console, "declined")

    names = step_names(console)
    assert names[:2] == ["✓ reserve stock", "✗ charge payment"]
    assert "✓ compensation: release stock" in names
    charge = steps(console)[1]
    assert "failed" in classes(charge) and "declined" in charge.text
    compensations = console.find_elements(By.CSS_SELECTOR, "#timeline li.kind-compensation")
    assert compensations and "payment declined" in saga_state(console)


def test_the_timeline_refreshes_live_while_a_payment_waits(
    console: WebDriver, orders: RunningApp, orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=2)["sku"]
    order_id = place(orders_api, [(sku, 1)], token="tok_action")
    sign_in(console, *admin_credentials(orders))
    console.get(f"{orders.url}/console#/orders/{order_id}")

    def waiting_for_customer(driver: WebDriver) -> bool:
        current = driver.find_elements(By.CSS_SELECTOR, "#timeline li[aria-current=step]")
        return bool(current) and "await payment confirmation" in current[0].text

    wait_for(console, "the saga to wait for the customer", waiting_for_customer)
    assert "Saga running" in saga_state(console)
    screenshot(console, "waiting")

    confirmed = payments_api.post(f"/charges/ch_{order_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text

    # No reload: the page's polling picks the change up.
    wait_for(
        console, "the page to show the confirmation", lambda d: "order confirmed" in saga_state(d)
    )
    screenshot(console, "confirmed-after-waiting")
    assert "✓ await payment confirmation" in step_names(console)
    assert not console.find_elements(By.CSS_SELECTOR, "#timeline li[aria-current=step]")


def test_the_console_is_served_under_a_strict_policy(orders: RunningApp) -> None:
    page = httpx.get(f"{orders.url}/console")
    script = httpx.get(f"{orders.url}/console/assets/console.js")

    assert page.status_code == script.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert "<script>" not in page.text and "style=" not in page.text

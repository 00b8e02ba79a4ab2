"""The saga console in a real headless browser (Debian's Chromium through chromedriver):
sign in, watch checkouts as timelines. Screenshots go to .data/artifacts/console/."""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunningApp, Stack
from tests import controls
from tests.support.api import admin_credentials, new_customer
from tests.support.catalog import new_item
from tests.support.checkout import finished_saga, place
from workflows.checkout import RESERVE_RETRY

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = PROJECT_ROOT / ".data" / "artifacts" / "console"
WAIT_SECONDS = 45


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    # Selenium Manager must never try the network for a driver or a browser.
    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1000"):
        options.add_argument(argument)
    # The page's console messages, where Chromium reports what the CSP refused.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console(browser: webdriver.Chrome, orders: RunningApp) -> Iterator[webdriver.Chrome]:
    """A fresh, signed-out console for each test; afterwards, nothing refused by the CSP."""
    browser.get(f"{orders.url}/console#/orders")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    yield browser
    refused = [
        entry["message"]
        for entry in browser.get_log("browser")  # type: ignore[no-untyped-call]
        if "Content Security Policy" in entry["message"]
    ]
    assert refused == [], "the page did something its CSP forbids"


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
    wait_for(driver, "the signed-in user", lambda d: bool(d.find_element(By.ID, "who").text))


def saga_state(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "saga-state").text)


def steps(driver: WebDriver) -> list[WebElement]:
    return list(driver.find_elements(By.CSS_SELECTOR, "#timeline li"))


def step_names(driver: WebDriver) -> list[str]:
    return [step.find_element(By.CLASS_NAME, "step-name").text for step in steps(driver)]


def offline(driver: webdriver.Chrome, cut_off: bool) -> None:
    """Cuts the page off the network, or reconnects it (DevTools network emulation)."""
    driver.execute_cdp_cmd("Network.enable", {})
    conditions = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {**conditions, "offline": cut_off})


def waiting_for_customer(driver: WebDriver) -> bool:
    current = driver.find_elements(By.CSS_SELECTOR, "#timeline li[aria-current=step]")
    return bool(current) and "await payment confirmation" in current[0].text


def watch_a_waiting_saga(
    console: WebDriver, orders: RunningApp, orders_api: httpx.Client, name: str
) -> str:
    """An admin's console on a `tok_action` saga that waits for the customer."""
    sku = new_item(orders_api, stock=2)["sku"]
    order_id = place(orders_api, [(sku, 1)], token="tok_action")
    sign_in(console, *admin_credentials(orders))
    console.get(f"{orders.url}/console#/orders/{order_id}")
    wait_for(console, "the saga to wait for the customer", waiting_for_customer)
    screenshot(console, name)
    # Gone if the page reloads: only its own polling may bring a change.
    console.execute_script("window.notReloaded = true")
    return order_id


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
        "✓ confirm order",
    ]
    assert all("done" in classes(step) for step in steps(console))
    bound = RESERVE_RETRY.max_number_of_attempts
    assert f"retried up to {bound} attempts" in steps(console)[0].text
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
    order_id = watch_a_waiting_saga(console, orders, orders_api, "waiting")
    assert "Saga running" in saga_state(console)

    confirmed = payments_api.post(f"/charges/ch_{order_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text

    wait_for(
        console, "the page to show the confirmation", lambda d: "order confirmed" in saga_state(d)
    )
    assert console.execute_script("return window.notReloaded") is True
    screenshot(console, "confirmed-after-waiting")
    assert "✓ await payment confirmation" in step_names(console)
    assert not console.find_elements(By.CSS_SELECTOR, "#timeline li[aria-current=step]")


def test_the_timeline_keeps_refreshing_through_a_network_outage(
    console: webdriver.Chrome, orders: RunningApp, orders_api: httpx.Client
) -> None:
    order_id = watch_a_waiting_saga(console, orders, orders_api, "before-outage")

    offline(console, True)
    error = console.find_element(By.ID, "saga-error")
    wait_for(console, "the page to say it lost the server", lambda _d: "Trying again" in error.text)
    screenshot(console, "outage")
    # The saga ends meanwhile: nobody confirms, and its payment timer fires.
    assert finished_saga(orders_api, order_id)["runtime_status"] == "COMPLETED"
    offline(console, False)

    wait_for(console, "the page to show the end", lambda d: "order cancelled" in saga_state(d))
    assert console.execute_script("return window.notReloaded") is True
    assert error.text == ""
    assert "✗ await payment confirmation" in step_names(console)


def test_the_order_list_says_when_the_server_cannot_be_reached(
    console: webdriver.Chrome, orders: RunningApp
) -> None:
    sign_in(console, *admin_credentials(orders))
    error = console.find_element(By.ID, "page-error")
    assert error.text == ""

    offline(console, True)
    console.find_element(By.ID, "refresh-orders").click()
    wait_for(console, "the error", lambda _d: "cannot be reached" in error.text)
    offline(console, False)
    console.find_element(By.ID, "refresh-orders").click()

    wait_for(console, "the error to go", lambda _d: error.text == "")
    assert console.find_element(By.ID, "orders-view").is_displayed()


def test_an_expired_access_token_is_renewed_and_a_spent_session_signs_out(
    console: WebDriver, orders: RunningApp
) -> None:
    sign_in(console, *admin_credentials(orders))
    tokens = "return [sessionStorage.getItem(arguments[0]), sessionStorage.getItem(arguments[1])]"
    keys = ("saga-console-token", "saga-console-refresh")
    _, first_refresh = console.execute_script(tokens, *keys)

    console.execute_script("sessionStorage.setItem(arguments[0], 'expired')", keys[0])
    console.find_element(By.ID, "refresh-orders").click()
    wait_for(
        console,
        "a renewed pair",
        lambda d: d.execute_script(tokens, *keys)[1] != first_refresh,
    )
    access, _ = console.execute_script(tokens, *keys)
    assert access != "expired"
    assert console.find_element(By.ID, "orders-view").is_displayed()

    console.execute_script("sessionStorage.setItem(arguments[0], 'expired')", keys[0])
    # Not a spent one: presenting that again would revoke the admin's tokens everywhere.
    console.execute_script("sessionStorage.setItem(arguments[0], 'invalid')", keys[1])
    console.find_element(By.ID, "refresh-orders").click()
    wait_for(console, "the sign-in form", lambda d: d.find_element(By.ID, "email").is_displayed())
    assert "sign in again" in console.find_element(By.ID, "sign-in-error").text
    assert console.execute_script(tokens, *keys) == [None, None]


def test_the_console_works_from_the_keyboard_and_labels_every_control(
    console: WebDriver, orders: RunningApp, orders_api: httpx.Client
) -> None:
    order_id = place(orders_api, [(new_item(orders_api, stock=3)["sku"], 1)])
    wait_for(
        console,
        "the order in the admin's list",
        lambda _d: any(
            o["id"] == order_id for o in orders_api.get("/api/v1/orders").json()["items"]
        ),
    )
    unlabelled = console.execute_script(
        "return [...document.querySelectorAll('input, select')]"
        ".filter((control) => control.labels.length === 0).map((control) => control.id)"
    )
    assert unlabelled == []

    # The page puts the focus on the e-mail field; from there on, only keys.
    wait_for(
        console,
        "the focus on e-mail",
        lambda d: d.switch_to.active_element.get_attribute("id") == "email",
    )
    email, password = admin_credentials(orders)
    console.switch_to.active_element.send_keys(email, Keys.TAB)
    console.switch_to.active_element.send_keys(password, Keys.ENTER)
    wait_for(console, "the order link", lambda d: d.find_elements(By.LINK_TEXT, order_id))
    for _ in range(40):
        console.switch_to.active_element.send_keys(Keys.TAB)
        if console.switch_to.active_element.text == order_id:
            break
    assert console.switch_to.active_element.text == order_id, "Tab never reached the order"
    console.switch_to.active_element.send_keys(Keys.ENTER)

    wait_for(console, "the saga", lambda d: "order confirmed" in saga_state(d))
    assert console.find_element(By.ID, "saga-title").text == f"Order {order_id}"


def test_the_console_is_served_under_a_strict_policy(orders: RunningApp) -> None:
    page = httpx.get(f"{orders.url}/console")
    script = httpx.get(f"{orders.url}/console/assets/console.js")

    assert page.status_code == script.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy
    assert "unsafe" not in policy
    assert "<script>" not in page.text and "style=" not in page.text


def test_a_charge_retried_while_payments_is_down_shows_each_attempt(
    console: WebDriver, orders: RunningApp, orders_api: httpx.Client, stack: Stack
) -> None:
    sku = new_item(orders_api, stock=2)["sku"]
    controls.kill_app(stack, "payments")
    try:
        order_id = place(orders_api, [(sku, 1)])
        sign_in(console, *admin_credentials(orders))
        console.get(f"{orders.url}/console#/orders/{order_id}")

        def retrying(driver: WebDriver) -> WebElement | None:
            charge = [step for step in steps(driver) if "charge payment" in step.text]
            again = charge and re.search(r"attempt [2-7] of 7", charge[0].text)
            return charge[0] if again else None

        charge = wait_for(console, "a second attempt at the charge", retrying)
        assert "running" in classes(charge) and "retrying after: payments answered" in charge.text
        screenshot(console, "retrying")
    finally:
        controls.revive_app(stack, "payments")

    wait_for(console, "the saga to confirm", lambda d: "order confirmed" in saga_state(d))
    charge = steps(console)[1]
    assert "✓ charge payment" in charge.text and "attempt" in charge.text

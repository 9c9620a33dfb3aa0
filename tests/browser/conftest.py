"""Pages tested as a person uses them: Debian's Chromium driven through chromium-driver (selenium), at
1400 px, against a live DictaMesh on the test database, with every request outside 127.0.0.1 refused.

``DICTAMESH_SCREENSHOTS=docs/screenshots`` keeps a screenshot of each page (``make screenshots``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
WIDTH, HEIGHT = 1400, 1000
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "devtools")


class Browser:
    """A Chromium window and what it asked the network for."""

    def __init__(self, driver, base: str, shots: Path | None):
        self.driver, self.base, self.shots = driver, base, shots
        self.requested: list[str] = []

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str, *, text: str | None = None, timeout: float = 60):
        """The first element matching ``css`` (holding ``text``), waited for with a deadline."""
        from selenium.webdriver.support.ui import WebDriverWait

        def found(driver):
            for element in self.all(css):
                if text is None or text.lower() in element.text.lower():  # CSS may change the case
                    return element
            return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            found, f"no {css!r}{f' holding {text!r}' if text else ''} on {self.driver.current_url}"
        )

    def sign_in(self, username: str, password: str, next_path: str = "/") -> None:
        self.open(f"/accounts/login/?next={next_path}")
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.find("#login-form [type=submit], form [type=submit]").click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, 60, poll_frequency=0.1).until(
            lambda d: "/accounts/login/" not in d.current_url, f"{username} could not sign in"
        )

    def screenshot(self, name: str) -> None:
        if self.shots is None:
            return
        self.shots.mkdir(parents=True, exist_ok=True)
        height = self.driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
        self.driver.set_window_size(WIDTH, max(HEIGHT, int(height) + 140))
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))
        self.driver.set_window_size(WIDTH, HEIGHT)

    def outside_requests(self) -> list[str]:
        """Every URL the pages asked for outside this machine (read from Chromium's network log)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
        return [
            url for url in self.requested
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
        ]  # fmt: skip


@pytest.fixture
def browser(live_server):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Debian's chromium and chromium-driver for the browser tests (.ci/run installs them)"
            )
        pytest.skip("no chromium or chromium-driver here: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={WIDTH},{HEIGHT}",
        # nothing outside this machine: every other host name resolves to nothing, and no proxy is asked
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost", "--no-proxy-server",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-first-run", "--lang=en-GB",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    shots = os.environ.get("DICTAMESH_SCREENSHOTS")
    try:
        yield Browser(driver, live_server.url, Path(shots).resolve() if shots else None)
    finally:
        driver.quit()

"""The harness of the dashboard's browser tests (Tests/Browser/dashboard_browser.py):
Debian's headless Chromium through Selenium and Debian's /usr/bin/chromedriver,
the checks' one-line JSON reports, the providerd CLI, and the usage socket."""
import json
import os
import socket
import subprocess
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def report(check, ok, detail=""):
    print(json.dumps({"check": check, "ok": bool(ok), "detail": str(detail)[:2000]}), flush=True)


class Dashboard:
    """One headless Chromium on the dashboard at `base`."""

    def __init__(self, settings, width=1280, height=900):
        self.settings = settings
        self.base = settings["base"]
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-extensions", "--no-first-run", f"--window-size={width},{height}",
                         "--force-prefers-reduced-motion"):
            options.add_argument(argument)
        if settings.get("dark"):
            options.add_argument("--force-dark-mode")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        if width < 600:
            # A phone: the viewport is the width asked for (a desktop window has a
            # minimum width) and the page's viewport meta tag applies.
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        self.driver.set_page_load_timeout(30)
        self.console = []

    def close(self):
        self.drain_console()
        self.driver.quit()

    def drain_console(self):
        self.console += self.driver.get_log("browser")
        return self.console

    def open(self, path):
        self.driver.get(self.base + path)
        self.drain_console()

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css, timeout=10):
        return WebDriverWait(self.driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click_and_wait(self, css):
        """Clicks, then waits for the next page: the old one's <html> goes stale
        (waiting for an <h1> alone could find the old page's)."""
        old = self.find("html")
        self.find(css).click()

        def replaced(_):
            # Chromium reports a node of the old page either as stale or as "not in
            # the document", depending on how far the navigation has come.
            try:
                old.is_enabled()
                return False
            except WebDriverException:
                return self.driver.execute_script("return document.readyState") == "complete"
        WebDriverWait(self.driver, 15).until(replaced)
        self.wait_for("h1")
        self.drain_console()

    def login(self, token):
        self.open("/login")
        self.find("#token").send_keys(token)
        self.click_and_wait("form[action='/login'] button[type=submit]")

    def fill(self, css, value):
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def submit(self, form_css):
        self.click_and_wait(form_css + " button[type=submit]")

    def console_problems(self):
        """Console entries that are errors, or CSP violations at any level."""
        return [entry["message"] for entry in self.drain_console()
                if entry.get("level") == "SEVERE" or "Content Security Policy" in entry.get("message", "")
                or "Refused to" in entry.get("message", "")]


def providerd(settings, *arguments, stdin=None):
    environment = dict(os.environ)
    environment.update(settings["cli_environment"])
    return subprocess.run([settings["providerd"], *arguments], input=stdin, capture_output=True, text=True,
                          env=environment, timeout=60)


def eventually(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def ask_socket(path, request):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(path)
        client.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data)

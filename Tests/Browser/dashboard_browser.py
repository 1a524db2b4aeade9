"""providerd's dashboard in a real browser: Debian's headless Chromium, driven by
Selenium through Debian's /usr/bin/chromedriver (never a downloaded one).

Run by Tests/IntegrationTests/Dashboard/DashboardBrowserTests.swift, one scenario
per call: `python dashboard_browser.py SCENARIO`, with its settings as JSON on
stdin (tokens and keys never go on the command line). Each check prints one JSON
line, {"check": NAME, "ok": BOOL, "detail": TEXT}; the Swift test expects every
check it names to be there and ok. A detail never holds a token or a key. The
harness (the browser, the CLI, the socket) is browser_driver.py.
"""
import decimal
import hashlib
import json
import os
import sys
import time

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser_driver import Dashboard, ask_socket, eventually, providerd, report

PAGES = [("overview", "/"), ("usage", "/usage"), ("models", "/models"), ("providers", "/providers"),
         ("budgets", "/budgets"), ("recommendations", "/recommendations?service=rag_agent&days=90")]


def scenario_login(settings):
    page = Dashboard(settings)
    try:
        page.open("/usage")
        report("a page without a session sends the browser to the login form",
               page.driver.current_url.startswith(page.base + "/login"), page.driver.current_url)
        page.find("#token").send_keys("pdt_" + "0" * 40)
        page.click_and_wait("form[action='/login'] button[type=submit]")
        alert = page.finds("#login-error")
        report("a wrong token is refused with the message",
               alert and "not one of this dashboard's tokens" in alert[0].text
               and page.driver.current_url.startswith(page.base + "/login")
               and not page.driver.get_cookie("providerd_session"),
               alert[0].text if alert else page.driver.page_source[:500])
        page.fill("#token", settings["admin_token"])
        page.click_and_wait("form[action='/login'] button[type=submit]")
        report("the right token logs in and returns to the page asked for",
               page.find("h1").text == "Usage" and page.driver.get_cookie("providerd_session") is not None,
               page.find("h1").text)
        cookie = page.driver.get_cookie("providerd_session") or {}
        report("the session cookie is HttpOnly and SameSite=Strict",
               cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", cookie.get("sameSite"))
        page.click_and_wait("form.logout button[type=submit]")
        page.open("/")
        report("logging out ends the session", page.driver.current_url.startswith(page.base + "/login"), page.driver.current_url)
        # The throttle is a bucket of 10 failures refilled one per 6 s (LoginThrottle.Limits), so
        # how many attempts reach it depends on how fast this browser types: on a loaded CI
        # machine 12 took long enough to earn refills. Try until refused (a refill every 6 s
        # cannot keep up with one attempt every few seconds), and hold the burst as the floor.
        wrong, refused, text = 1, False, ""
        while not refused and wrong < 60:
            page.open("/login")
            page.find("#token").send_keys("pdt_wrong_%d" % wrong)
            page.click_and_wait("form[action='/login'] button[type=submit]")
            alert = page.finds("#login-error")
            text = alert[0].text if alert else ""
            refused = "Too many failed logins" in text
            if not refused:
                wrong += 1
        report("repeated wrong tokens are rate limited, with the wait in the message",
               refused and "try again in" in text, "%s (after %d wrong tokens)" % (text, wrong))
        report("the first ten wrong tokens are each checked, not refused", wrong >= 10, "refused after %d" % wrong)
        problems = page.console_problems()
        report("no console error or CSP violation", not problems, problems)
    finally:
        page.close()


def scenario_model(settings):
    page = Dashboard(settings)
    try:
        page.login(settings["admin_token"])
        page.open("/models?service=rag_agent")
        report("the Edit link's form is filled with the service's values",
               page.find("#service").get_attribute("value") == "rag_agent", page.find("#service").get_attribute("value"))
        page.fill("#model", "groq:llama-3.1-8b-instant")
        page.fill("#temperature", "0.25")
        page.submit("form#edit")
        notice = page.finds(".notice")
        report("the form is saved and says so", notice and "Saved rag_agent" in notice[0].text, notice[0].text if notice else "")

        def mapped():
            try:
                with open(settings["model_map"]) as handle:
                    entry = json.load(handle)["services"]["rag_agent"]
                return entry["model"] == "groq:llama-3.1-8b-instant" and abs(entry.get("temperature", 0) - 0.25) < 1e-9
            except (OSError, KeyError, ValueError):
                return False
        report("the running providerd run rewrites models.json", eventually(mapped), open(settings["model_map"]).read()[:800])
        row = [r.text for r in page.finds("tbody tr") if r.text.startswith("rag_agent")]
        report("the table shows the new model", row and "groq:llama-3.1-8b-instant" in row[0], row)

        # A temperature out of range: the CLI's rule, beside the field; nothing written.
        before_map = open(settings["model_map"]).read()
        before_rows = providerd(settings, "models", "list", "--json").stdout
        page.open("/models?service=rag_agent")
        page.fill("#model", "openai:gpt-4o")
        page.fill("#temperature", "7")
        page.submit("form#edit")
        error = page.finds("#temperature-error")
        field = page.find("#temperature")
        report("a bad temperature shows the field's error beside it",
               error and "temperature" not in error[0].text.split(":")[0] and len(error[0].text) > 5
               and field.get_attribute("aria-invalid") == "true" and field.get_attribute("aria-describedby") == "temperature-error",
               error[0].text if error else page.find("main").text[:500])
        report("the refused form keeps what was typed", page.find("#model").get_attribute("value") == "openai:gpt-4o"
               and field.get_attribute("value") == "7", page.find("#model").get_attribute("value"))
        time.sleep(3)
        report("nothing is written: model_config and models.json are unchanged",
               providerd(settings, "models", "list", "--json").stdout == before_rows
               and open(settings["model_map"]).read() == before_map, "")
        problems = page.console_problems()
        report("no console error or CSP violation", not problems, problems)
    finally:
        page.close()


def scenario_key(settings):
    secret = settings["provider_key"]
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    page = Dashboard(settings)
    try:
        page.login(settings["admin_token"])
        page.open("/providers")
        page.fill("#provider", "groq")
        page.find("#key").send_keys(secret)
        page.fill("#base_url", "not a url")
        page.submit("form[action='/providers']")
        error = page.finds("#base_url-error")
        report("a bad base URL is refused beside its field", bool(error), page.find("main").text[:400])
        report("the refused form does not send the key back",
               secret not in page.driver.page_source and page.find("#key").get_attribute("value") == "", "")
        page.find("#key").send_keys(secret)
        page.fill("#base_url", "")
        page.submit("form[action='/providers']")
        notice = page.finds(".notice")
        report("the notice names the stored key's fingerprint", notice and f"groq (fingerprint {fingerprint})" in notice[0].text,
               notice[0].text if notice else page.find("main").text[:300])
        row = [r.text for r in page.finds("tbody tr") if r.text.startswith("groq")]
        report("the key's fingerprint is listed", row and fingerprint in row[0], row)
        source = page.driver.page_source
        report("the key is never in the page or its source", secret not in source and secret not in page.find("body").text, "")
        page.open("/providers")
        report("nor after a reload", secret not in page.driver.page_source, "")

        def in_env_file():
            try:
                return f"GROQ_API_KEY={secret}" in open(settings["env_file"]).read()
            except OSError:
                return False
        report("the running providerd run writes the key into the env file", eventually(in_env_file), "")
        problems = page.console_problems()
        report("no console error or CSP violation", not problems, problems)
    finally:
        page.close()


def scenario_usage(settings):
    page = Dashboard(settings)
    try:
        page.login(settings["admin_token"])
        cli = json.loads(providerd(settings, "usage", "daily", "--days", "90", "--json").stdout)["days"]
        since, until = cli[0]["date"], cli[-1]["date"]
        for by in ("service", "model"):
            page.open(f"/usage?since={since}&until={until}&by={by}")
            page.wait_for("#usage-table")
            rows = page.finds("#usage-table tbody tr")
            table = [{"date": row.find_element(By.CSS_SELECTOR, "th").text,
                      "cost": row.find_element(By.CSS_SELECTOR, "td.total").get_attribute("data-v")} for row in rows]
            report(f"by {by}: the table's daily totals equal `providerd usage daily --json`, exactly",
                   table == cli, json.dumps({"page": table[:3], "cli": cli[:3], "rows": [len(table), len(cli)]}))
            parts_ok = True
            for row in rows:
                total = decimal.Decimal(row.find_element(By.CSS_SELECTOR, "td.total").get_attribute("data-v"))
                parts = [decimal.Decimal(cell.get_attribute("data-v")) for cell in row.find_elements(By.CSS_SELECTOR, "td[data-v]:not(.total)")]
                parts_ok = parts_ok and sum(parts) == total
            report(f"by {by}: each day's columns add up to its total", parts_ok, "")
            chart = page.driver.execute_script(
                "var c = Chart.getChart('usage-chart'); return c && {labels: c.data.labels,"
                " sets: c.data.datasets.map(function (d) { return {label: d.label, data: d.data}; })};")
            keys = [th.get_attribute("data-key") for th in page.finds("#usage-table thead th[data-key]")]
            chart_ok = chart is not None and chart["labels"] == [r["date"] for r in table] and [s["label"] for s in chart["sets"]] == keys
            if chart_ok:
                for index, row in enumerate(rows):
                    cells = [float(c.get_attribute("data-v")) for c in row.find_elements(By.CSS_SELECTOR, "td[data-v]:not(.total)")]
                    chart_ok = chart_ok and [s["data"][index] for s in chart["sets"]] == cells
            report(f"by {by}: the chart draws the table's numbers, stacked by {by}", chart_ok,
                   json.dumps(chart)[:400] if chart else "no chart")
        # The toggle: a click on the radio reloads the page grouped the other way.
        page.click_and_wait("input[name=by][value=service]")
        report("the toggle switches the grouping", page.find("#usage-table").get_attribute("data-group") == "service", "")
        page.open("/usage?since=2026-13-01")
        report("a bad date is refused with a message, and the default range is shown",
               page.finds(".alert") and "since" in page.find(".alert").text, page.find("main").text[:300])
        problems = page.console_problems()
        report("no console error or CSP violation", not problems, problems)
    finally:
        page.close()


def scenario_budget(settings):
    page = Dashboard(settings)
    try:
        page.login(settings["admin_token"])
        page.open("/budgets")
        page.fill("#name", "tiny")
        page.fill("#scope", "service:rag_agent")
        Select(page.find("#period")).select_by_value("day")
        page.fill("#limit_usd", "0.000001")
        page.fill("#thresholds", "0.5,1")
        Select(page.find("#action")).select_by_value("block")
        page.submit("form[action='/budgets']")
        notice = page.finds(".notice")
        report("the budget is saved", notice and "tiny" in notice[0].text, page.find("main").text[:300])
        pushed = providerd(settings, "usage", "push", "--service", "rag_agent", "--model", "openai:gpt-4o", "--input", "100000",
                           "--socket", settings["socket"])
        report("usage is pushed on the socket", pushed.returncode == 0, pushed.stderr[-300:])

        def blocked():
            reply = ask_socket(settings["socket"], {"op": "budget", "service_name": "rag_agent", "model_string": "openai:gpt-4o"})
            return reply.get("allowed") is False
        report("the budget set in the page blocks on the socket", eventually(blocked, 20), "")
        page.open("/budgets")
        row = [r.text for r in page.finds("tbody tr") if r.text.startswith("tiny")]
        report("the page shows it exceeded", row and "exceeded" in row[0], row)
        events = [r.text for r in page.finds("section tbody tr")]
        report("each threshold event is listed with its time",
               eventually(lambda: (page.open("/budgets") or True) and len([r for r in page.finds("section tbody tr") if "tiny" in r.text]) >= 2, 20),
               events)
        page.fill("#thresholds", "0.5,abc")
        page.fill("#name", "second")
        page.fill("#limit_usd", "5")
        page.submit("form[action='/budgets']")
        error = page.finds("#thresholds-error")
        report("a bad threshold is refused beside its field", bool(error), page.find("main").text[:300])
        problems = page.console_problems()
        report("no console error or CSP violation", not problems, problems)
    finally:
        page.close()


def scenario_screenshots(settings):
    """Every page at a laptop's and a phone's width, light and dark; the console of each."""
    out = settings["out"]
    os.makedirs(out, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        for dark in (False, True):
            page = Dashboard(dict(settings, dark=dark), width=width, height=height)
            suffix = f"{width}" + ("-dark" if dark else "")
            try:
                page.open("/login")
                page.driver.save_screenshot(os.path.join(out, f"login-{suffix}.png"))
                page.login(settings["admin_token"])
                for name, path in PAGES:
                    page.open(path)
                    page.wait_for("h1")
                    if name == "usage":
                        page.wait_for("#usage-chart")
                        time.sleep(0.3)
                    height_needed = page.driver.execute_script("return document.documentElement.scrollHeight")
                    page.driver.set_window_size(width, min(max(height, height_needed + 140), 6000))
                    page.driver.save_screenshot(os.path.join(out, f"{name}-{suffix}.png"))
                    page.driver.set_window_size(width, height)
                    overflow = page.driver.execute_script(
                        "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
                    report(f"{name} at {suffix}: no sideways scrolling of the whole page", not overflow, "")
                    problems = page.console_problems()
                    report(f"{name} at {suffix}: no console error or CSP violation", not problems, problems)
                    page.console = []
            finally:
                page.close()


if __name__ == "__main__":
    settings = json.load(sys.stdin)
    scenario = globals().get("scenario_" + sys.argv[1])
    if scenario is None:
        sys.exit(f"no scenario {sys.argv[1]}")
    try:
        scenario(settings)
    except TimeoutException as error:
        report("the scenario ran to its end", False, f"timed out waiting: {error.msg}")
    except Exception as error:  # a failure is a failed check, with what happened
        report("the scenario ran to its end", False, f"{type(error).__name__}: {error}")
    else:
        report("the scenario ran to its end", True)

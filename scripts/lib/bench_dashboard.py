"""scripts/bench-dashboard's measurements. Prints one table; see the script's header."""
import argparse, os, re, socket, subprocess, time, urllib.error, urllib.parse, urllib.request

import psycopg

from procstat import percentile, rss_kib

# (name, path, the SQL the endpoint's store runs, for the baseline)
ENDPOINTS = [
    ("session (floor)", "/api/v1/session", None),
    ("usage/summary 30 d", "/api/v1/usage/summary", "summary30"),
    ("usage/summary 365 d", "/api/v1/usage/summary?since={year_ago}", "summary365"),
    ("usage/summary 30 d, one service", "/api/v1/usage/summary?service=svc42", None),
    ("usage/daily 7 d", "/api/v1/usage/daily", None),
    ("usage/daily 90 d by service", "/api/v1/usage/daily?since={quarter_ago}&group_by=service", None),
    ("usage/daily 365 d by model", "/api/v1/usage/daily?since={year_ago}&group_by=model", None),
    ("usage/estimate", "/api/v1/usage/estimate", None),
    ("recommendations 30 d", "/api/v1/recommendations?service=svc7&days=30", None),
    ("recommendations 365 d", "/api/v1/recommendations?service=svc7&days=365", None),
    ("recommendations 365 d, top 20", "/api/v1/recommendations?service=svc7&days=365&top=20", None),
]

# The dashboard's pages, with a session cookie as a browser has.
PAGES = [
    ("page: login (floor)", "/login"),
    ("page: overview", "/"),
    ("page: usage 30 d by service", "/usage"),
    ("page: usage 90 d by service", "/usage?since={quarter_ago}&by=service"),
    ("page: usage 365 d by model", "/usage?since={year_ago}&by=model"),
    ("page: models", "/models"),
    ("page: providers", "/providers"),
    ("page: budgets", "/budgets"),
    ("page: recommendations 30 d", "/recommendations?service=svc7&days=30"),
    ("page: recommendations 365 d", "/recommendations?service=svc7&days=365"),
]

# wrk sets the credential from the environment, never from its argv.
WRK_SCRIPT = 'wrk.headers[os.getenv("BENCH_HEADER")] = os.getenv("BENCH_VALUE")\n'

# The baseline: the summary as one scan of model_usage (what UsageStore ran
# before the per-day rollups, and still runs on a database without them).
SUMMARY_SQL = """
SELECT GROUPING(service_name, model_string)::int AS g, COALESCE(service_name, model_string) AS key,
       COALESCE(SUM(request_count), 0)::bigint, COALESCE(SUM(total_tokens), 0)::bigint, COALESCE(SUM(estimated_cost), 0)::text
FROM model_usage
WHERE period_start >= %s::date AND period_start < %s::date + 1 AND (%s::text IS NULL OR service_name = %s::text)
GROUP BY GROUPING SETS ((service_name), (model_string), ())
ORDER BY g, SUM(estimated_cost) DESC, key
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, header, seconds, connections, script):
    """p50 and p99 in ms, and requests/s, from wrk --latency (a request over wrk's 10 s timeout fails the run).
    `header` is (name, value): the credential, handed to wrk's script through its environment."""
    run = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-s", script, url],
                         capture_output=True, text=True, env=dict(os.environ, BENCH_HEADER=header[0], BENCH_VALUE=header[1]))
    if run.returncode != 0:
        # Not CalledProcessError: its message would print the token in wrk's argv.
        raise SystemExit(f"{url}: wrk exited {run.returncode}: {run.stderr.strip()[:300]} (is the dashboard still running?)")
    out = run.stdout
    timeouts = re.search(r"timeout (\d+)", out)
    if timeouts and int(timeouts.group(1)) > 0:
        raise SystemExit(f"{url}: {timeouts.group(1)} requests over 10 s\n{out}")

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={header[0]: header[1]}), timeout=10)
        except urllib.error.HTTPError as error:
            out += f"\none answer: {error.code} {error.read()[:300]!r}"
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return ms("50"), ms("99"), rate


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def page_login(base, bearer):
    """The session cookie of a login through the page's form."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + "/login", data=urllib.parse.urlencode({"token": bearer}).encode(),
                                     headers={"Origin": base, "Sec-Fetch-Site": "same-origin"})
    try:
        opener.open(request, timeout=10)
        raise SystemExit("page login: no redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise SystemExit(f"page login: {answer.code}")
        return answer.headers["Set-Cookie"].split(";")[0]


def page_bytes(base, path, cookie):
    """What a first visit transfers: the page's HTML and every /static/ file it links, as a browser asks for
    them (Accept-Encoding: gzip; the dashboard gzips static files, never pages)."""
    def get(url):
        request = urllib.request.Request(base + url, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
        return urllib.request.urlopen(request, timeout=30).read()
    html = get(path)
    assets = sorted(set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)))
    return len(html), sum(len(get(asset.decode())) for asset in assets)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    env = dict(os.environ)
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([args.bin, "models", "set", "svc7", "openai:gpt-4o"], env=env, check=True, capture_output=True)
    # Keys and budgets, so that the pages show what an operator's do.
    env["ARCHON_ENCRYPTION_KEY"] = subprocess.run([args.bin, "keygen"], check=True, capture_output=True, text=True).stdout.strip()
    for provider in ("openai", "anthropic", "groq"):
        subprocess.run([args.bin, "keys", "set", provider], env=env, input=f"sk-bench-{provider}-0123456789", check=True, capture_output=True,
                       text=True)
    for name, scope, period, limit in (("monthly", "global", "month", "5000"), ("svc7-day", "service:svc7", "day", "1"),
                                       ("openai-week", "provider:openai", "week", "900")):
        subprocess.run([args.bin, "budgets", "set", name, "--scope", scope, "--period", period, "--limit", limit], env=env, check=True,
                       capture_output=True)
    with psycopg.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        conn.execute(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens,
                                     estimated_cost, input_tokens, output_tokens, unpriced_requests)
            SELECT 'svc' || s, CASE WHEN m < 10 THEN 'openai:gpt-4o-mini' || CASE WHEN m = 0 THEN '' ELSE '-' || m END
                                    ELSE 'anthropic:claude-3-5-haiku-latest' || CASE WHEN m = 10 THEN '' ELSE '-' || m END END,
                   d, d + interval '1 day', 10, 1000, (s * 20 + m) * 0.0001 + 0.01, 800, 200, CASE WHEN m = 19 THEN 10 ELSE 0 END
            FROM generate_series(0, 99) s, generate_series(0, 19) m,
                 generate_series(date_trunc('day', now()) - (%s - 1) * interval '1 day', date_trunc('day', now()), interval '1 day') d
            """, (args.days,))
        filled = time.perf_counter() - t
        # Steady state: a running dashboard or sidecar moves the deltas of every
        # write into the per-day rollups within seconds; a bulk fill leaves them all.
        t = time.perf_counter()
        while conn.execute("SELECT providerd_usage_compact()").fetchone()[0] > 0:
            pass
        compacted = time.perf_counter() - t
        for table in ("model_usage", "providerd_usage_by_service", "providerd_usage_by_model", "providerd_usage_delta"):
            conn.execute(f"VACUUM ANALYZE {table}")
        rows = conn.execute("SELECT count(*) FROM model_usage").fetchone()[0]
        print(f"model_usage: {rows:,} rows ({filled:.1f} s to fill, the trigger's deltas included; "
              f"{compacted:.1f} s to move them into the rollups)")

        today = conn.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]
        dates = {"year_ago": str(today.fromordinal(today.toordinal() - args.days + 1)),
                 "quarter_ago": str(today.fromordinal(today.toordinal() - 89)),
                 "month_ago": str(today.fromordinal(today.toordinal() - 29))}
        baselines = {}
        for key, since in [("summary30", dates["month_ago"]), ("summary365", dates["year_ago"])]:
            samples = []
            for _ in range(30):
                t = time.perf_counter()
                conn.execute(SUMMARY_SQL, (since, str(today), None, None)).fetchall()
                samples.append((time.perf_counter() - t) * 1000)
            baselines[key] = (percentile(samples, 50), percentile(samples, 99))

    token = subprocess.run([args.bin, "dashboard", "token", "--user", "bench"], check=True, capture_output=True, text=True).stdout.strip()
    token_file = os.path.join(args.work, "admin.tokens")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(token + "\n")
    port = free_port()
    denv = dict(env, PROVIDERD_DASHBOARD_TOKEN_FILE=token_file, PROVIDERD_DASHBOARD_LISTEN=f"127.0.0.1:{port}", PROVIDERD_LOG_LEVEL="warning")
    log = open(os.path.join(args.work, "dashboard.log"), "w")
    server = subprocess.Popen([args.bin, "dashboard"], env=denv, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    bearer = token.split(":")[-1]
    script = os.path.join(args.work, "credential.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(1)
        idle_rss, idle_anon = rss_kib(server.pid), rss_kib(server.pid, "RssAnon:")
        cookie = page_login(base, bearer)
        print(f"\npages: bytes a first visit transfers (HTML as is, static files gzipped; cached a year after that)")
        print(f"{'page':34} {'HTML KB':>8} {'static KB':>10} {'total KB':>9} {'<300 KB':>8}")
        for name, path in PAGES[1:]:
            html, static = page_bytes(base, path.format(**dates), cookie)
            total = (html + static) / 1024
            print(f"{name:34} {html / 1024:8.1f} {static / 1024:10.1f} {total:9.1f} {'yes' if total < 300 else 'NO':>9}", flush=True)
        worst = 0.0
        targets = [(name, path, baseline, ("Authorization", f"Bearer {bearer}")) for name, path, baseline in ENDPOINTS]
        targets += [(name, path, None, ("Cookie", cookie)) for name, path in PAGES]
        for connections in (1, 4):
            results = []
            for name, path, baseline, header in targets:
                p50, p99, rate = wrk(base + path.format(**dates), header, args.seconds, connections, script)
                results.append((name, p50, p99, rate, baseline))
                time.sleep(1)  # requests wrk left in flight finish before the next endpoint's run
            floor = results[0][1]
            print(f"\nwrk: {connections} keep-alive connection(s), {args.seconds} s per endpoint, loopback, 2 cores shared with PostgreSQL")
            print(f"{'endpoint':34} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'p50/floor':>10} {'scan p50 ms':>11} {'p99<50ms':>9}")
            for name, p50, p99, rate, baseline in results:
                sql = f"{baselines[baseline][0]:.2f}" if baseline else "-"
                worst = max(worst, p99)
                print(f"{name:34} {p50:8.2f} {p99:8.2f} {rate:8.0f} {p50 / floor:10.1f} {sql:>11} {'yes' if p99 < 50 else 'NO':>9}", flush=True)
        busy_rss = rss_kib(server.pid)
        print(f"\nworst p99: {worst:.2f} ms ({'within' if worst < 50 else 'OVER'} the 50 ms aim)")
        print(f"dashboard idle: VmRSS {idle_rss / 1024:.1f} MiB, RssAnon {idle_anon / 1024:.1f} MiB; after the load: VmRSS {busy_rss / 1024:.1f} MiB")
    finally:
        t = time.perf_counter()
        server.terminate()
        server.wait(timeout=30)
        print(f"SIGTERM to exit: {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

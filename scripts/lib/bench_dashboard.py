"""scripts/bench-dashboard's measurements. Prints one table; see the script's header."""
import argparse, os, re, socket, subprocess, time, urllib.error, urllib.request

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


def wrk(url, token, seconds, connections):
    """p50 and p99 in ms, and requests/s, from wrk --latency (a request over wrk's 10 s timeout fails the run)."""
    run = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                          "-H", f"Authorization: Bearer {token}", url],
                         capture_output=True, text=True)
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
            urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=10)
        except urllib.error.HTTPError as error:
            out += f"\none answer: {error.code} {error.read()[:300]!r}"
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return ms("50"), ms("99"), rate


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
    with psycopg.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        conn.execute(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens,
                                     estimated_cost, input_tokens, output_tokens)
            SELECT 'svc' || s, CASE WHEN m < 10 THEN 'openai:gpt-4o-mini' || CASE WHEN m = 0 THEN '' ELSE '-' || m END
                                    ELSE 'anthropic:claude-3-5-haiku-latest' || CASE WHEN m = 10 THEN '' ELSE '-' || m END END,
                   d, d + interval '1 day', 10, 1000, (s * 20 + m) * 0.0001 + 0.01, 800, 200
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
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(1)
        idle_rss, idle_anon = rss_kib(server.pid), rss_kib(server.pid, "RssAnon:")
        worst = 0.0
        for connections in (1, 4):
            results = []
            for name, path, baseline in ENDPOINTS:
                p50, p99, rate = wrk(base + path.format(**dates), bearer, args.seconds, connections)
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

"""scripts/bench-budgets' measurements. Prints one table; see the script's header."""
import argparse, json, os, statistics, subprocess, time

import psycopg

from procstat import percentile

SCOPES = [
    ("all-month", "global", "month"), ("all-day", "global", "day"), ("openai-week", "provider:openai", "week"),
    ("anthropic-month", "provider:anthropic", "month"), ("mini-day", "model:openai:gpt-4o-mini", "day"),
    ("svc7-month", "service:svc7", "month"), ("svc42-week", "service:svc42", "week"), ("svc99-day", "service:svc99", "day"),
    ("model3-month", "model:openai:model-3", "month"), ("svc1-month", "service:svc1", "month"),
]


def timed(conn, sql, params=(), runs=50):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        conn.execute(sql, params).fetchall()
        samples.append(time.perf_counter() - t)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    env = dict(os.environ)
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    with psycopg.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        conn.execute(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens,
                                     estimated_cost, input_tokens, output_tokens)
            SELECT 'svc' || s, CASE WHEN m < 10 THEN 'openai:model-' || m ELSE 'anthropic:model-' || m END,
                   d, d + interval '1 day', 10, 1000, (s * 20 + m) * 0.0001 + 0.01, 800, 200
            FROM generate_series(0, 99) s, generate_series(0, 19) m,
                 generate_series(date_trunc('day', now()) - (%s - 1) * interval '1 day', date_trunc('day', now()), interval '1 day') d
            """, (args.days,))
        conn.execute("VACUUM ANALYZE model_usage")
        rows = conn.execute("SELECT count(*) FROM model_usage").fetchone()[0]
        fill = time.perf_counter() - t
        # Ten budgets, each starting its ledger row from a year of rows (budgets set).
        starts = []
        for name, scope, period in SCOPES:
            t = time.perf_counter()
            subprocess.run([args.bin, "budgets", "set", name, "--scope", scope, "--period", period, "--limit", "100000"],
                           env=env, check=True, capture_output=True)
            starts.append(time.perf_counter() - t)
        start_sql = timed(conn, "SELECT * FROM providerd_budget_usage((SELECT id FROM budgets WHERE name = 'all-month'), "
                                "providerd_period_start('month', now()))", runs=10)

        # What every host reads each budgets.refresh_interval: BudgetStore.statuses.
        status_sql = """
            SELECT b.id, p.ps, COALESCE(s.spent_usd, (SELECT u.spent_usd FROM providerd_budget_usage(b.id, p.ps) u))
            FROM budgets b CROSS JOIN LATERAL (SELECT providerd_period_start(b.period, now()) AS ps) p
            LEFT JOIN providerd_budget_spend s ON s.budget_id = b.id AND s.period_start = p.ps
        """
        ledger_read = timed(conn, status_sql, runs=200)
        # The baseline the ledger replaces: each budget's spend summed from model_usage on every read.
        baseline_read = timed(conn, """
            SELECT b.id, (SELECT spent_usd FROM providerd_budget_usage(b.id, providerd_period_start(b.period, now())))
            FROM budgets b
        """, runs=20)

        # A flush's ledger step: one segment of 50 (service, model) rows, in its transaction.
        services = [f"svc{n}" for n in range(50)]
        models = ["openai:gpt-4o-mini" if n % 2 else "anthropic:model-12" for n in range(50)]
        add_samples = []
        for _ in range(100):
            with conn.transaction():
                t = time.perf_counter()
                conn.execute("SELECT * FROM providerd_budget_add(%s::text[], %s::text[], %s::timestamptz[], %s::numeric[], %s::bigint[])",
                             (services, models, [time.strftime("%Y-%m-%d")] * 50, [0.001] * 50, [0] * 50)).fetchall()
                add_samples.append(time.perf_counter() - t)
        status_cli = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([args.bin, "budgets", "status", "--json"], env=env, check=True, capture_output=True)
            status_cli.append(time.perf_counter() - t)

    ms = lambda v: v * 1000
    print()
    print(f"{'measure':52} {'value':>14}")
    print(f"{'model_usage rows (100 services x 20 models x days)':52} {rows:>14}   (filled in {fill:.1f} s)")
    print(f"{'budget status read, 10 budgets, ledger (p50)':52} {ms(statistics.median(ledger_read)):>11.3f} ms")
    print(f"{'budget status read, 10 budgets, ledger (p99)':52} {ms(percentile(ledger_read, 99)):>11.3f} ms")
    print(f"{'baseline: sums over model_usage (p50)':52} {ms(statistics.median(baseline_read)):>11.3f} ms")
    print(f"{'baseline / ledger':52} {statistics.median(baseline_read) / statistics.median(ledger_read):>13.0f}x")
    print(f"{'flush ledger step, 50 rows x their budgets (p50)':52} {ms(statistics.median(add_samples)):>11.3f} ms")
    print(f"{'flush ledger step (p99)':52} {ms(percentile(add_samples, 99)):>11.3f} ms")
    print(f"{'ledger row start, global month (p50)':52} {ms(statistics.median(start_sql)):>11.3f} ms")
    print(f"{'budgets set, whole command (slowest of 10)':52} {ms(max(starts)):>11.1f} ms")
    print(f"{'budgets status --json, whole command (p50)':52} {ms(statistics.median(status_cli)):>11.1f} ms")


if __name__ == "__main__":
    main()

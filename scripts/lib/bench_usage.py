"""scripts/bench-usage's measurements. Prints one table; see the script's header."""
import argparse, multiprocessing, os, socket, statistics, subprocess, sys, threading, time
from datetime import datetime, timezone

import psycopg
from cryptography.fernet import Fernet

from procstat import cpu_seconds, percentile, rss_kib


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--seed-records", type=int, default=5_000)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    sock = f"{args.work}/run/usage.sock"
    env = dict(os.environ, ARCHON_ENCRYPTION_KEY=Fernet.generate_key().decode(),
               PROVIDERD_ENV_FILE=f"{args.work}/run/providers.env", PROVIDERD_MODEL_MAP=f"{args.work}/run/models.json",
               PROVIDERD_STATE_DIR=f"{args.work}/state", PROVIDERD_SOCKET=sock, PROVIDERD_LOG_LEVEL="warning")
    os.makedirs(f"{args.work}/run", exist_ok=True)
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)

    # The seed's path: one increment_usage() per record, autocommit.
    day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        for n in range(args.seed_records):
            conn.execute("SELECT increment_usage(%s, %s, %s::int, %s::numeric, %s)",
                         ("seed", "openai:gpt-4o-mini", 100 + n % 50, 0.0001, day))
        seed_rate = args.seed_records / (time.perf_counter() - t0)

    daemon = subprocess.Popen([args.bin, "run"], env=env, stderr=open(f"{args.work}/daemon.log", "a"))
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.5)

    def load(prefix, records):
        """Four client processes (agents are separate processes; threads would share
        one GIL), one connection each, payload prepared before timing. Each keeps at
        most 8 chunks of 1,000 records in flight and checks every reply: a chunk's
        replies are compared in one piece against 1,000 `{"ok":true}` lines.
        Returns (acknowledged, records/s, latencies, peak RSS KiB, CPU s, elapsed s)."""
        per = records // 4
        chunk = 1000
        ok_line = b'{"ok":true}\n'
        ctx = multiprocessing.get_context("fork")
        go = ctx.Event()
        results = ctx.Queue()

        def client(c):
            chunks = []
            for start in range(0, per, chunk):
                lines = "".join(
                    f'{{"service_name":"svc{c}","model_string":"openai:gpt-4o-mini","input_tokens":{100 + n % 50},'
                    f'"output_tokens":20,"id":"{prefix}{c}-{n}"}}\n' for n in range(start, min(start + chunk, per)))
                chunks.append(lines.encode())
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            sent_at, latencies, oks = [], [], [0]
            received = threading.Semaphore(8)

            def reader():
                pending = b""
                for i, data in enumerate(chunks):
                    want = data.count(b"\n")
                    expected = ok_line * want
                    while pending.count(b"\n") < want:
                        more = s.recv(1 << 20)
                        if not more:
                            return
                        pending += more
                    cut = 0
                    for _ in range(want):
                        cut = pending.index(b"\n", cut) + 1
                    block, pending = pending[:cut], pending[cut:]
                    latencies.append(time.perf_counter() - sent_at[i])
                    oks[0] += want if block == expected else block.count(ok_line)
                    received.release()

            r = threading.Thread(target=reader)
            r.start()
            go.wait()
            for data in chunks:
                received.acquire()
                sent_at.append(time.perf_counter())
                s.sendall(data)
            r.join()
            s.close()
            results.put((oks[0], latencies, time.perf_counter()))

        clients = [ctx.Process(target=client, args=(c,)) for c in range(4)]
        for p in clients:
            p.start()
        time.sleep(1.0)  # payloads built, connections open

        peak_rss = [0]
        done = threading.Event()

        def sample_rss():
            while not done.is_set():
                peak_rss[0] = max(peak_rss[0], rss_kib(daemon.pid))
                time.sleep(0.05)

        threading.Thread(target=sample_rss, daemon=True).start()
        cpu0 = cpu_seconds(daemon.pid)
        t0 = time.perf_counter()
        go.set()
        finished = [results.get() for _ in clients]
        for p in clients:
            p.join()
        elapsed = max(end for _, _, end in finished) - t0
        cpu_used = cpu_seconds(daemon.pid) - cpu0
        if daemon.poll() is not None:
            with open(f"{args.work}/daemon.log") as log:
                sys.exit(f"providerd exited ({daemon.returncode}) during the load:\n{log.read()[-3000:]}")
        done.set()
        acked = sum(ok for ok, _, _ in finished)
        # Every record of a chunk waited as long as the chunk's last reply.
        latencies = [l for _, part, _ in finished for l in part for _ in range(chunk)]
        return acked, acked / elapsed, latencies, peak_rss[0], cpu_used, elapsed, t0

    acked, rate, all_latencies, peak, cpu_used, elapsed, t0 = load("b", args.records)
    peak_rss = [peak]

    # Everything reaches model_usage.
    deadline = time.time() + 120
    total = 0
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < deadline:
            total = conn.execute("SELECT COALESCE(SUM(request_count), 0) FROM model_usage WHERE service_name LIKE 'svc%'").fetchone()[0]
            if total >= acked:
                break
            time.sleep(0.2)
    flushed_after = time.perf_counter() - t0

    # Ten active budgets (every record falls under several): the same load again,
    # alternating with the budgets disabled (ABBA, four of each), so order and
    # spool growth weigh on both sides alike. Limits are high: nothing is refused.
    def cli(*arguments):
        subprocess.run([args.bin, *arguments], env=env, check=True, capture_output=True)

    scopes = ["global", "provider:openai", "model:openai:gpt-4o-mini"] + [f"service:svc{c}" for c in range(4)] + \
        ["service:svc0", "service:svc1", "global"]
    periods = ["day", "week", "month"]

    def budgets(enabled):
        for n, scope in enumerate(scopes):
            cli("budgets", "set", f"bench{n}", "--scope", scope, "--period", periods[n % 3], "--limit", "1000000",
                "--action", "block" if n % 2 else "alert", *([] if enabled else ["--disable"]))
        time.sleep(2.5)  # the refresher reads them (each second)

    paired = {False: [], True: []}
    for round_ in range(4):
        for enabled in ((True, False) if round_ % 2 == 0 else (False, True)):
            budgets(enabled)
            _, phase_rate, _, _, _, _, _ = load(f"r{round_}{int(enabled)}", args.records // 4)
            paired[enabled].append(phase_rate)
    budgets(True)

    # The budget op as an agent asks it before each model request: one at a time,
    # on one connection, ten budgets, this host's unflushed records included.
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.connect(sock)
    question = b'{"op":"budget","service_name":"svc1","model_string":"openai:gpt-4o-mini"}\n'
    op_latencies = []
    reader = probe.makefile("rb")
    for n in range(20_000):
        t = time.perf_counter()
        probe.sendall(question)
        line = reader.readline()
        op_latencies.append(time.perf_counter() - t)
        if n == 0 and b'"allowed":true' not in line:
            sys.exit(f"unexpected budget answer: {line[:300]!r}")
    probe.close()
    time.sleep(5)
    idle_rss = rss_kib(daemon.pid)
    idle_anon = rss_kib(daemon.pid, "RssAnon:")
    daemon.terminate()
    daemon.wait()

    # A restart with every id of the load in the window: time from exec to the
    # first answered ping, and private memory once it is up.
    t_start = time.perf_counter()
    again = subprocess.Popen([args.bin, "run"], env=env, stderr=open(f"{args.work}/daemon.log", "a"))
    start_to_socket = None
    while time.perf_counter() - t_start < 120:
        try:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe.connect(sock)
            probe.sendall(b'{"op":"ping"}\n')
            if probe.recv(100).startswith(b'{"ok":true'):
                start_to_socket = time.perf_counter() - t_start
                probe.close()
                break
        except OSError:
            time.sleep(0.005)
    time.sleep(2)
    restart_anon = rss_kib(again.pid, "RssAnon:")
    again.terminate()
    again.wait()
    table = f"{args.work}/state/ids.table"
    table_mb = os.path.getsize(table) / (1 << 20) if os.path.exists(table) else 0

    print()
    print(f"{'measure':46} {'value':>16}")
    print(f"{'seed path: increment_usage() per record':46} {seed_rate:>12.0f} r/s   ({args.seed_records} records)")
    print(f"{'providerd: durable acks, 4 pipelined conns':46} {rate:>12.0f} r/s   ({acked} of {args.records} acknowledged)")
    print(f"{'ratio (target >= 150x, < 50x not done)':46} {rate / seed_rate:>15.1f}x")
    print(f"{'providerd CPU per 1,000 records (both cores)':46} {cpu_used / acked * 1e6:>13.1f} ms   ({cpu_used:.2f} s CPU in {elapsed:.2f} s)")
    print(f"{'ack latency p50':46} {percentile(all_latencies, 50) * 1000:>13.2f} ms")
    print(f"{'ack latency p99':46} {percentile(all_latencies, 99) * 1000:>13.2f} ms")
    print(f"{'RSS under load (peak)':46} {peak_rss[0] / 1024:>13.1f} MB")
    print(f"{'RSS idle, listener running':46} {idle_rss / 1024:>13.1f} MB   (private: {idle_anon / 1024:.1f} MB)")
    print(f"{'all in model_usage after':46} {flushed_after:>14.1f} s   ({total} requests)")
    print(f"{'restart: exec to first answered ping':46} {(start_to_socket or float('nan')) * 1000:>13.1f} ms   ({acked} ids in the window)")
    print(f"{'restart: private memory once up':46} {restart_anon / 1024:>13.1f} MB   (id table file {table_mb:.0f} MB)")
    with_budgets, without = statistics.median(paired[True]), statistics.median(paired[False])
    print(f"{'durable acks, 10 active budgets (median of 4)':46} {with_budgets:>12.0f} r/s   ({', '.join(f'{r:.0f}' for r in paired[True])})")
    print(f"{'durable acks, budgets disabled (median of 4)':46} {without:>12.0f} r/s   ({', '.join(f'{r:.0f}' for r in paired[False])})")
    print(f"{'with budgets / without (target >= 0.90)':46} {with_budgets / without:>15.2f}x")
    print(f"{'budget op latency p50 (10 budgets)':46} {percentile(op_latencies, 50) * 1000:>13.3f} ms")
    print(f"{'budget op latency p99 (target < 1 ms)':46} {percentile(op_latencies, 99) * 1000:>13.3f} ms")


if __name__ == "__main__":
    main()

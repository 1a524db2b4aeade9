"""scripts/bench-config's measurements. Prints one table; see the script's header."""
import argparse, os, socket, statistics, subprocess, sys, threading, time

import psycopg
from cryptography.fernet import Fernet

from procstat import percentile, rss_kib


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--server-log", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--updates", type=int, default=120)
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    key = Fernet.generate_key().decode()
    fernet = Fernet(key.encode())
    env = dict(os.environ, ARCHON_ENCRYPTION_KEY=key,
               PROVIDERD_ENV_FILE=f"{args.work}/run/providers.env",
               PROVIDERD_MODEL_MAP=f"{args.work}/run/models.json",
               PROVIDERD_STATE_DIR=f"{args.work}/state", PROVIDERD_POLL_INTERVAL="60",
               PROVIDERD_SOCKET=f"{args.work}/run/usage.sock",
               NOTIFY_SOCKET=f"{args.work}/notify.sock", PROVIDERD_LOG_LEVEL="warning")
    os.makedirs(f"{args.work}/run", exist_ok=True)
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([args.bin, "keys", "set", "openai"], env=env, input=b"sk-bench-0", check=True, capture_output=True)

    # Drain NOTIFY_SOCKET as systemd would: an unread datagram queue would block
    # the daemon's sd_notify. READY=1 arrivals are timed from here.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(env["NOTIFY_SOCKET"])
    ready_event = threading.Event()

    def drain():
        while True:
            if "READY=1" in notify.recv(65536).decode():
                ready_event.set()

    threading.Thread(target=drain, daemon=True).start()

    def wait_ready():
        if not ready_event.wait(60):
            sys.exit("no READY=1 within 60 s")
        ready_event.clear()

    # Baseline for start: a client connecting and running one query.
    psql_times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(["psql", url, "-Atqc", "SELECT 1"], check=True, capture_output=True)
        psql_times.append(time.perf_counter() - t0)

    # Start to READY=1.
    ready_times = []
    daemon = None
    for attempt in range(5):
        ready_event.clear()
        t0 = time.perf_counter()
        daemon = subprocess.Popen([args.bin, "run"], env=env, stderr=open(f"{args.work}/daemon.log", "a"))
        wait_ready()
        ready_times.append(time.perf_counter() - t0)
        if attempt < 4:
            daemon.terminate()
            daemon.wait()

    # Key updates: commit, then time until the env file holds the new value;
    # a psycopg LISTEN client measures the same commits as the floor.
    listener = psycopg.connect(url, autocommit=True)
    listener.execute("LISTEN providerd_config")
    writer = psycopg.connect(url, autocommit=True)
    env_path = env["PROVIDERD_ENV_FILE"]

    def key_updates(count):
        latencies, floors = [], []
        for i in range(1, count + 1):
            secret = f"sk-bench-{time.time_ns()}"
            token = fernet.encrypt(secret.encode()).decode()
            expected = f"OPENAI_API_KEY={secret}\n".encode()
            listener.execute("SELECT 1")  # drain anything pending
            for _ in listener.notifies(timeout=0):
                pass
            t0 = time.perf_counter()
            writer.execute("UPDATE api_keys SET encrypted_key = %s, updated_at = now() WHERE provider = 'openai'", (token,))
            seen_floor = None
            seen_file = None
            while seen_file is None or seen_floor is None:
                if seen_floor is None:
                    for _ in listener.notifies(timeout=0.0002, stop_after=1):
                        seen_floor = time.perf_counter() - t0
                if seen_file is None:
                    try:
                        with open(env_path, "rb") as handle:
                            if expected in handle.read():
                                seen_file = time.perf_counter() - t0
                    except FileNotFoundError:
                        pass
                if time.perf_counter() - t0 > 30:
                    sys.exit(f"update {i}: env file {'updated' if seen_file else 'not updated'}, "
                             f"LISTEN client {'notified' if seen_floor else 'not notified'} within 30 s")
            latencies.append(seen_file)
            floors.append(seen_floor)
            time.sleep(0.03)
        return latencies, floors

    latencies, floors = key_updates(args.updates)

    # Idle RSS after a minute (10 s with --quick), against an idle psql session.
    idle = 10 if args.quick else 60
    psql_idle = subprocess.Popen(["psql", url, "-Atq"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    time.sleep(idle)
    daemon_rss = rss_kib(daemon.pid)
    daemon_anon = rss_kib(daemon.pid, "RssAnon:")
    psql_rss = rss_kib(psql_idle.pid)
    psql_anon = rss_kib(psql_idle.pid, "RssAnon:")
    psql_idle.stdin.close()
    psql_idle.wait()
    daemon.terminate()
    daemon.wait()

    # Statements per idle poll: a 0.5 s poll for 10 s, counted in the server log.
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("ALTER SYSTEM SET log_line_prefix = '%a|'")
        admin.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    poll_env = dict(env, PROVIDERD_POLL_INTERVAL="0.5")
    ready_event.clear()
    daemon = subprocess.Popen([args.bin, "run"], env=poll_env, stderr=open(f"{args.work}/daemon.log", "a"))
    wait_ready()
    time.sleep(1)
    start_offset = os.path.getsize(args.server_log)
    window = 10
    time.sleep(window)
    with open(args.server_log, "rb") as handle:
        handle.seek(start_offset)
        lines = handle.read().decode(errors="replace").splitlines()
    daemon.terminate()
    daemon.wait()
    # Simple protocol logs "statement:", PQexecParams "execute <unnamed>:".
    statements = [line for line in lines if line.startswith("providerd|") and ("statement:" in line or "execute" in line)]
    polls = window / 0.5
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM RESET log_statement")
        admin.execute("SELECT pg_reload_conf()")

    # Decrypt and render 1,000 keys: `providerd render` (a whole process: connect,
    # read, decrypt, render, write) against Python's cryptography decrypting the same
    # 1,000 tokens in-process.
    tokens = [(f"bench{i:04d}", fernet.encrypt(f"sk-bulk-{i}".encode()).decode()) for i in range(1000)]
    with psycopg.connect(url, autocommit=True) as admin:
        with admin.cursor() as cursor:
            cursor.executemany("INSERT INTO api_keys (provider, encrypted_key) VALUES (%s, %s)", tokens)
    render_env = dict(env, PROVIDERD_STATE_DIR=f"{args.work}/state-render",
                      PROVIDERD_ENV_FILE=f"{args.work}/run/bulk.env", PROVIDERD_MODEL_MAP=f"{args.work}/run/bulk.json")
    render_env.pop("NOTIFY_SOCKET")
    render_times, python_times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([args.bin, "render"], env=render_env, check=True, capture_output=True)
        render_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _, token in tokens:
            fernet.decrypt(token.encode())
        python_times.append(time.perf_counter() - t0)
    with open(render_env["PROVIDERD_ENV_FILE"]) as handle:
        rendered_keys = sum(1 for line in handle if line.startswith("BENCH"))

    # The same key updates with those 1,000 keys in api_keys: the daemon reads,
    # decrypts and renders all of them before the env file changes.
    ready_event.clear()
    daemon = subprocess.Popen([args.bin, "run"], env=env, stderr=open(f"{args.work}/daemon.log", "a"))
    wait_ready()
    bulk_latencies, bulk_floors = key_updates(args.updates)
    daemon.terminate()
    daemon.wait()

    ms = lambda s: f"{s * 1000:.1f} ms"
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    f50, f99 = percentile(floors, 50), percentile(floors, 99)
    print()
    print(f"{'measure':44} {'providerd':>12} {'baseline':>12} {'ratio':>7}  target")
    print(f"{'key update -> env file, p50 (' + str(len(latencies)) + ' updates)':44} {ms(p50):>12} {ms(f50):>12} {p50 / f50:>6.1f}x  -")
    print(f"{'key update -> env file, p99':44} {ms(p99):>12} {ms(f99):>12} {p99 / f99:>6.1f}x  <= 10 ms")
    print(f"{'start -> READY=1, median of 5':44} {ms(statistics.median(ready_times)):>12} {ms(statistics.median(psql_times)):>12} "
          f"{statistics.median(ready_times) / statistics.median(psql_times):>6.1f}x  <= 100 ms")
    print(f"{f'idle RSS after {idle} s':44} {daemon_rss / 1024:>9.1f} MB {psql_rss / 1024:>9.1f} MB {daemon_rss / psql_rss:>6.1f}x  - (VmRSS counts shared file pages: scripts/bench-memory gives PSS)")
    print(f"{'  of which private (RssAnon)':44} {daemon_anon / 1024:>9.1f} MB {psql_anon / 1024:>9.1f} MB {daemon_anon / max(psql_anon, 1):>6.1f}x  -")
    print(f"{'statements per idle poll':44} {len(statements) / polls:>12.2f} {'':>12} {'':>7}  1 small query")
    print(f"{f'providerd render, 1,000 keys ({rendered_keys}), median':44} {ms(statistics.median(render_times)):>12} "
          f"{ms(statistics.median(python_times)):>12} {statistics.median(render_times) / statistics.median(python_times):>6.1f}x  -")
    b50, b99 = percentile(bulk_latencies, 50), percentile(bulk_latencies, 99)
    g50, g99 = percentile(bulk_floors, 50), percentile(bulk_floors, 99)
    print(f"{'  with 1,000 keys in api_keys, p50':44} {ms(b50):>12} {ms(g50):>12} {b50 / g50:>6.1f}x  -")
    print(f"{'  with 1,000 keys in api_keys, p99':44} {ms(b99):>12} {ms(g99):>12} {b99 / g99:>6.1f}x  <= 10 ms")
    print("baselines: a psycopg LISTEN client on the same commits; `psql -c 'SELECT 1'`; an idle psql session;")
    print("           Python cryptography decrypting the same 1,000 tokens in-process")
    kinds = sorted(set(line.split(":", 2)[-1].strip()[:70] for line in statements))
    print("idle statements seen:", "; ".join(kinds))


if __name__ == "__main__":
    main()

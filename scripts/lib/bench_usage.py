"""scripts/bench-usage's measurements. Prints one table; see the script's header."""
import argparse, os, socket, statistics, subprocess, sys, threading, time
from datetime import datetime, timezone

import psycopg
from cryptography.fernet import Fernet


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--records", type=int, default=200_000)
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

    # Four connections, each with its payload prepared before timing.
    per = args.records // 4
    chunk = 1000
    payloads = []
    for c in range(4):
        chunks = []
        for start in range(0, per, chunk):
            lines = "".join(
                f'{{"service_name":"svc{c}","model_string":"openai:gpt-4o-mini","input_tokens":{100 + n % 50},'
                f'"output_tokens":20,"id":"b{c}-{n}"}}\n' for n in range(start, min(start + chunk, per)))
            chunks.append(lines.encode())
        payloads.append(chunks)

    latencies = [[] for _ in range(4)]
    oks = [0] * 4
    peak_rss = [0]
    done = threading.Event()

    def sample_rss():
        while not done.is_set():
            peak_rss[0] = max(peak_rss[0], rss_kib(daemon.pid))
            time.sleep(0.05)

    def client(c):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        sent_at = []
        def reader():
            pending = b""
            index = 0
            while index < per:
                data = s.recv(1 << 20)
                if not data:
                    break
                now = time.perf_counter()
                pending += data
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    if line == b'{"ok":true}':
                        oks[c] += 1
                    latencies[c].append(now - sent_at[index // chunk])
                    index += 1
        r = threading.Thread(target=reader)
        r.start()
        for i, data in enumerate(payloads[c]):
            # Keep at most 8 chunks in flight: a pipelined client, not a flood.
            while i - len(latencies[c]) // chunk > 8:
                time.sleep(0.0002)
            sent_at.append(time.perf_counter())
            s.sendall(data)
        r.join()
        s.close()

    threading.Thread(target=sample_rss, daemon=True).start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if daemon.poll() is not None:
        with open(f"{args.work}/daemon.log") as log:
            sys.exit(f"providerd exited ({daemon.returncode}) during the load:\n{log.read()[-3000:]}")
    done.set()
    acked = sum(oks)
    rate = acked / elapsed
    all_latencies = [l for part in latencies for l in part]

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
    time.sleep(5)
    idle_rss = rss_kib(daemon.pid)
    daemon.terminate()
    daemon.wait()

    print()
    print(f"{'measure':46} {'value':>16}")
    print(f"{'seed path: increment_usage() per record':46} {seed_rate:>12.0f} r/s   ({args.seed_records} records)")
    print(f"{'providerd: durable acks, 4 pipelined conns':46} {rate:>12.0f} r/s   ({acked} of {args.records} acknowledged)")
    print(f"{'ratio (target >= 150x, < 50x not done)':46} {rate / seed_rate:>15.1f}x")
    print(f"{'ack latency p50':46} {percentile(all_latencies, 50) * 1000:>13.2f} ms")
    print(f"{'ack latency p99':46} {percentile(all_latencies, 99) * 1000:>13.2f} ms")
    print(f"{'RSS under load (peak)':46} {peak_rss[0] / 1024:>13.1f} MB")
    print(f"{'RSS idle, listener running':46} {idle_rss / 1024:>13.1f} MB")
    print(f"{'all in model_usage after':46} {flushed_after:>14.1f} s   ({total} requests)")


if __name__ == "__main__":
    main()

"""scripts/bench-exec's measurements. Prints one table; see the script's header."""
import argparse, os, select, subprocess, sys, time

import psycopg
from cryptography.fernet import Fernet

from procstat import percentile, rss_kib


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    fast_changes, default_changes, idle = (20, 4, 10) if args.quick else (60, 8, 60)

    url = os.environ["DATABASE_URL"]
    key = Fernet.generate_key().decode()
    fernet = Fernet(key.encode())
    work = args.work
    os.makedirs(f"{work}/run", exist_ok=True)
    env = dict(os.environ, ARCHON_ENCRYPTION_KEY=key, PROVIDERD_POLL_INTERVAL="60", PROVIDERD_LOG_LEVEL="warning",
               PROVIDERD_ENV_FILE=f"{work}/run/providers.env", PROVIDERD_MODEL_MAP=f"{work}/run/models.json",
               PROVIDERD_SOCKET=f"{work}/run/usage.sock")
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([args.bin, "keys", "set", "openai"], env=env, input=b"sk-bench-0", check=True, capture_output=True)
    writer = psycopg.connect(url, autocommit=True)

    # The child tells its key through a FIFO the driver holds open for both ends
    # (so a child's open never blocks and a read never sees EOF).
    fifo = f"{work}/child.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keep_open = os.open(fifo, os.O_WRONLY)
    child = ["/bin/sh", "-c", 'echo "$OPENAI_API_KEY" > "$0"; exec sleep 100000', fifo]
    buffered = b""

    def next_key(timeout):
        nonlocal buffered
        deadline = time.perf_counter() + timeout
        while b"\n" not in buffered:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([reader], [], [], left)[0]:
                sys.exit("no child reported within the timeout")
            buffered += os.read(reader, 4096)
        line, buffered = buffered.split(b"\n", 1)
        return line.decode(), time.perf_counter()

    def commit(secret):
        token = fernet.encrypt(secret.encode()).decode()
        t0 = time.perf_counter()
        writer.execute("UPDATE api_keys SET encrypted_key = %s, updated_at = now() WHERE provider = 'openai'", (token,))
        return t0

    def restarts(options, count, spacing):
        state = f"{work}/state-exec-{time.time_ns()}"
        exec_process = subprocess.Popen([args.bin, "exec", "--state-dir", state] + options + ["--"] + child,
                                        env=env, stderr=open(f"{work}/exec.log", "a"))
        first, _ = next_key(60)
        assert first == "sk-bench-0" or first.startswith("sk-bench-"), first
        latencies = []
        for _ in range(count):
            time.sleep(spacing)
            secret = f"sk-bench-{time.time_ns()}"
            t0 = commit(secret)
            seen, t1 = next_key(60)
            if seen != secret:
                sys.exit(f"the new child has {seen!r}, not the committed key")
            latencies.append(t1 - t0)
        return exec_process, latencies

    # Baseline: `providerd run` writing the env file for the same kind of commit.
    run_env = dict(env, PROVIDERD_STATE_DIR=f"{work}/state-run")
    daemon = subprocess.Popen([args.bin, "run"], env=run_env, stderr=open(f"{work}/run.log", "a"))
    env_path = env["PROVIDERD_ENV_FILE"]
    deadline = time.time() + 60
    while not os.path.exists(env_path):
        if time.time() > deadline:
            sys.exit("providerd run wrote no env file")
        time.sleep(0.01)
    floors = []
    for _ in range(fast_changes):
        time.sleep(0.05)
        secret = f"sk-bench-{time.time_ns()}"
        expected = f"OPENAI_API_KEY={secret}\n".encode()
        t0 = commit(secret)
        while True:
            with open(env_path, "rb") as handle:
                if expected in handle.read():
                    floors.append(time.perf_counter() - t0)
                    break
            if time.perf_counter() - t0 > 30:
                sys.exit("providerd run did not write the change")
            time.sleep(0.0002)
    time.sleep(idle)
    run_rss, run_anon = rss_kib(daemon.pid), rss_kib(daemon.pid, "RssAnon:")
    daemon.terminate()
    daemon.wait()

    fast, fast_latencies = restarts(["--debounce", "0", "--min-restart-interval", "0"], fast_changes, 0.05)
    time.sleep(idle)
    exec_rss, exec_anon = rss_kib(fast.pid), rss_kib(fast.pid, "RssAnon:")
    fast.terminate()
    if fast.wait(15) != 143:
        sys.exit("exec did not exit with its child's 143 (sleep killed by SIGTERM)")

    slow, default_latencies = restarts([], default_changes, 5.5)
    slow.terminate()
    slow.wait(15)

    # One container's worth: database mode with the usage socket (spool, id table, flusher).
    socket_mode = subprocess.Popen([args.bin, "exec", "--state-dir", f"{work}/state-socket", "--usage-socket",
                                    f"{work}/run/exec-usage.sock", "--"] + child, env=env, stderr=open(f"{work}/exec.log", "a"))
    next_key(60)
    time.sleep(idle)
    socket_rss, socket_anon = rss_kib(socket_mode.pid), rss_kib(socket_mode.pid, "RssAnon:")
    socket_mode.terminate()
    socket_mode.wait(15)

    # --from-env-file: no database, no state; the file `providerd run` keeps.
    with open(f"{work}/run/static.env", "w") as handle:
        handle.write("OPENAI_API_KEY=sk-bench-file\nPROVIDERD_GENERATION=1\n")
    file_mode = subprocess.Popen([args.bin, "exec", "--from-env-file", f"{work}/run/static.env", "--"] + child,
                                 env=env, stderr=open(f"{work}/exec.log", "a"))
    next_key(60)
    time.sleep(idle)
    file_rss, file_anon = rss_kib(file_mode.pid), rss_kib(file_mode.pid, "RssAnon:")
    file_mode.terminate()
    file_mode.wait(15)

    ms = lambda s: f"{s * 1000:.1f} ms"
    f50, f99 = percentile(floors, 50), percentile(floors, 99)
    print()
    print(f"{'measure':52} {'exec':>12} {'baseline':>12} {'ratio':>7}")
    for label, values in ((f"commit -> new child, no debounce, p50 ({len(fast_latencies)})", fast_latencies),):
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{label:52} {ms(p50):>12} {ms(f50):>12} {p50 / f50:>6.1f}x")
        print(f"{'commit -> new child, no debounce, p99':52} {ms(p99):>12} {ms(f99):>12} {p99 / f99:>6.1f}x")
    d50, d99 = percentile(default_latencies, 50), percentile(default_latencies, 99)
    print(f"{f'commit -> new child, defaults (debounce 2 s), p50 ({len(default_latencies)})':52} {ms(d50):>12} {ms(f50):>12} {d50 / f50:>6.1f}x")
    print(f"{'commit -> new child, defaults, p99':52} {ms(d99):>12} {ms(f99):>12} {d99 / f99:>6.1f}x")
    print(f"{f'idle RSS after {idle} s, database mode, with a child':52} {exec_rss / 1024:>9.1f} MB {run_rss / 1024:>9.1f} MB {exec_rss / run_rss:>6.2f}x")
    print(f"{'  of which private (RssAnon)':52} {exec_anon / 1024:>9.1f} MB {run_anon / 1024:>9.1f} MB {exec_anon / max(run_anon, 1):>6.2f}x")
    print(f"{f'idle RSS after {idle} s, with --usage-socket, with a child':52} {socket_rss / 1024:>9.1f} MB {run_rss / 1024:>9.1f} MB {socket_rss / run_rss:>6.2f}x")
    print(f"{'  of which private (RssAnon)':52} {socket_anon / 1024:>9.1f} MB {run_anon / 1024:>9.1f} MB {socket_anon / max(run_anon, 1):>6.2f}x")
    print(f"{f'idle RSS after {idle} s, --from-env-file, with a child':52} {file_rss / 1024:>9.1f} MB {run_rss / 1024:>9.1f} MB {file_rss / run_rss:>6.2f}x")
    print(f"{'  of which private (RssAnon)':52} {file_anon / 1024:>9.1f} MB {run_anon / 1024:>9.1f} MB {file_anon / max(run_anon, 1):>6.2f}x")
    print("baseline: `providerd run` on the same database: commit -> env file holds the key; its idle RSS")
    print("(the child's own memory is not counted: it is the program's, not providerd's)")


if __name__ == "__main__":
    main()

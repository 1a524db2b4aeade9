"""scripts/bench-memory's measurements. Prints one table; see the script's header."""
import argparse, os, re, shutil, socket, subprocess, sys, time

from cryptography.fernet import Fernet

from procstat import rss_kib


def memory(pid):
    return {field: rss_kib(pid, field + ":") for field in ("VmRSS", "RssAnon", "RssFile")}


def round_trip(sock_path, records, tag):
    """Sends `records` usage records on one connection, one at a time; returns the
    first reply's time and the mean of the rest, in ms."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    times = []
    reader = s.makefile("rb")
    for n in range(records):
        line = (f'{{"service_name":"bench","model_string":"openai:gpt-4o-mini","input_tokens":{100 + n % 7},'
                f'"output_tokens":20,"id":"{tag}-{n}"}}\n').encode()
        t0 = time.perf_counter()
        s.sendall(line)
        reply = reader.readline()
        times.append((time.perf_counter() - t0) * 1000)
        if not reply.startswith(b'{"ok":true'):
            sys.exit(f"usage record refused: {reply!r}")
    s.close()
    return times[0], sum(times[1:]) / max(1, len(times) - 1)


def run(bin_path, work, name, interval, records):
    state = f"{work}/{name}"
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(f"{state}/run")
    sock = f"{state}/run/usage.sock"
    log_path = f"{state}/daemon.log"
    env = dict(os.environ, ARCHON_ENCRYPTION_KEY=os.environ["BENCH_KEY"],
               PROVIDERD_ENV_FILE=f"{state}/run/providers.env", PROVIDERD_MODEL_MAP=f"{state}/run/models.json",
               PROVIDERD_STATE_DIR=f"{state}/state", PROVIDERD_SOCKET=sock,
               PROVIDERD_MEMORY_RELEASE_INTERVAL=str(interval), PROVIDERD_LOG_LEVEL="debug")
    daemon = subprocess.Popen([bin_path, "run"], env=env, stderr=open(log_path, "w"))

    def log_text():
        with open(log_path) as f:
            return f.read()

    def wait_for(pattern, seconds, after=0):
        deadline = time.time() + seconds
        while time.time() < deadline:
            found = [m for m in re.finditer(pattern, log_text())]
            if len(found) > after:
                return found[-1]
            if daemon.poll() is not None:
                sys.exit(f"providerd exited ({daemon.returncode}):\n{log_text()[-3000:]}")
            time.sleep(0.1)
        sys.exit(f"no '{pattern}' in the log within {seconds} s:\n{log_text()[-3000:]}")

    wait_for(r"info providerd: ready", 30)
    figures = {}
    release_lines = r"released (start-up|resident) pages.*"  # the later ones at debug level
    # Settle: READY + 10 s is when the first release runs; measure 5 s after it.
    if interval > 0:
        wait_for(release_lines, 30)
    else:
        time.sleep(10)
    time.sleep(5)
    figures["idle after start"] = memory(daemon.pid)
    figures["first round trip, ms"], figures["round trip, ms"] = round_trip(sock, records, f"{name}-a")
    time.sleep(5)  # flushed (usage.flush_interval 2 s)
    figures["after records"] = memory(daemon.pid)
    # The id table is written out (and unmapped) at least once a minute; then the
    # next page release, in the run that has one.
    time.sleep(62)
    if interval > 0:
        wait_for(release_lines, interval + 20, after=len(re.findall(release_lines, log_text())))
    time.sleep(2)
    figures["idle a minute after records"] = memory(daemon.pid)
    figures["first round trip after release, ms"], _ = round_trip(sock, 20, f"{name}-b")
    releases = re.findall(r"rss_after_kib=(\d+) rss_before_kib=(\d+)", log_text())
    took = [float(t) for t in re.findall(r"released (?:start-up|resident) pages.*took_ms=([0-9.]+)", log_text())]
    figures["release took, ms"] = max(took) if took else float("nan")
    figures["releases"] = releases
    daemon.terminate()
    daemon.wait()
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--interval", type=int, default=30)
    args = parser.parse_args()
    os.environ["BENCH_KEY"] = Fernet.generate_key().decode()
    env = dict(os.environ, ARCHON_ENCRYPTION_KEY=os.environ["BENCH_KEY"])
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([args.bin, "keys", "set", "openai"], env=env, input=b"sk-bench-0123456789", check=True, capture_output=True)
    subprocess.run([args.bin, "models", "set", "rag_agent", "openai:gpt-4o"], env=env, check=True, capture_output=True)

    base = run(args.bin, args.work, "baseline", 0, args.records)
    released = run(args.bin, args.work, "release", args.interval, args.records)

    print()
    print(f"{'VmRSS (RssAnon, RssFile), MB':34} {'baseline':>22} {'page release':>22} {'ratio':>7}")
    for phase in ("idle after start", "after records", "idle a minute after records"):
        b, r = base[phase], released[phase]
        cell = lambda m: f"{m['VmRSS'] / 1024:6.1f} ({m['RssAnon'] / 1024:4.1f}, {m['RssFile'] / 1024:4.1f})"
        print(f"{phase:34} {cell(b):>22} {cell(r):>22} {r['VmRSS'] / b['VmRSS']:>6.2f}x")
    for key in ("first round trip, ms", "round trip, ms", "first round trip after release, ms"):
        print(f"{key:34} {base[key]:>22.2f} {released[key]:>22.2f} {released[key] / base[key]:>6.2f}x")
    print(f"{'release took (longest), ms':34} {'':>22} {released['release took, ms']:>22.2f}")
    print(f"releases (VmRSS before -> after, KiB): "
          + ", ".join(f"{before} -> {after}" for after, before in released["releases"]))
    print(f"target: idle VmRSS <= 20 MB; {args.records} records of one connection, release interval {args.interval} s")


if __name__ == "__main__":
    main()

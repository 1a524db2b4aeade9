"""scripts/bench-memory's measurements. Prints one table; see the script's header."""
import argparse, os, shutil, socket, subprocess, sys, time

from cryptography.fernet import Fernet

from procstat import pss_kib, rss_kib

# What the replaced Python library keeps in every agent process that uses it: the
# interpreter with psycopg and cryptography loaded, a database connection, the
# keys decrypted (APIKeyManager), then idle. The same job providerd does beside
# the agents, so the honest baseline for what a sidecar costs.
BASELINE = r"""
import os, sys, time
import psycopg
from cryptography.fernet import Fernet
connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
fernet = Fernet(os.environ["ARCHON_ENCRYPTION_KEY"].encode())
keys = {p: fernet.decrypt(t.encode()) for p, t in connection.execute(
    "SELECT provider, encrypted_key FROM api_keys WHERE is_active").fetchall()}
models = connection.execute("SELECT service_name, model_string FROM model_config").fetchall()
print("ready", flush=True)
time.sleep(3600)
"""


def figures(pid):
    return {
        "VmRSS": rss_kib(pid, "VmRSS:"), "RssAnon": rss_kib(pid, "RssAnon:"),
        "RssFile": rss_kib(pid, "RssFile:"), "Pss": pss_kib(pid),
    }


def send_records(sock_path, records):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    reader = s.makefile("rb")
    for n in range(records):
        s.sendall((f'{{"service_name":"bench","model_string":"openai:gpt-4o-mini","input_tokens":{100 + n % 7},'
                   f'"output_tokens":20,"id":"mem-{n}"}}\n').encode())
        if not reader.readline().startswith(b'{"ok":true'):
            sys.exit("usage record refused")
    s.close()


def sections(bin_path):
    """Sizes of the ELF sections that matter here, in MB."""
    out = subprocess.run(["readelf", "-SW", bin_path], capture_output=True, text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[1] in (".text", ".rodata", ".rela.dyn", ".relr.dyn", ".data.rel.ro"):
            sizes[parts[1]] = int(parts[5], 16) / 1e6
    return sizes


def start(bin_path, state):
    """`providerd run` with its files under `state` (made anew), once it is ready."""
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(f"{state}/run")
    log_path = f"{state}/daemon.log"
    env = dict(os.environ, PROVIDERD_ENV_FILE=f"{state}/run/providers.env", PROVIDERD_MODEL_MAP=f"{state}/run/models.json",
               PROVIDERD_STATE_DIR=f"{state}/state", PROVIDERD_SOCKET=f"{state}/run/usage.sock")
    daemon = subprocess.Popen([bin_path, "run"], env=env, stderr=open(log_path, "w"))
    deadline = time.time() + 30
    while "providerd: ready" not in open(log_path).read():
        if daemon.poll() is not None or time.time() > deadline:
            sys.exit(f"{bin_path} did not start:\n{open(log_path).read()[-3000:]}")
        time.sleep(0.1)
    return daemon


def idle_only(bin_path, work):
    """A variant's footprint idle after start (no records)."""
    daemon = start(bin_path, f"{work}/variant")
    time.sleep(10)
    result = figures(daemon.pid)
    daemon.terminate()
    daemon.wait()
    return result


def run_providerd(bin_path, work, records):
    state = f"{work}/providerd"
    daemon = start(bin_path, state)
    time.sleep(10)
    result = {"idle after start": figures(daemon.pid)}
    send_records(f"{state}/run/usage.sock", records)
    time.sleep(5)
    result["after records"] = figures(daemon.pid)
    time.sleep(62)  # the id table written out at least once a minute
    result["idle a minute after records"] = figures(daemon.pid)
    daemon.terminate()
    daemon.wait()
    return result


def run_baseline():
    process = subprocess.Popen([sys.executable, "-c", BASELINE], stdout=subprocess.PIPE)
    process.stdout.readline()
    time.sleep(5)
    result = figures(process.pid)
    process.terminate()
    process.wait()
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=BINARY",
                        help="another build to compare, idle after start")
    parser.add_argument("--package", help="the .deb built from --bin")
    args = parser.parse_args()
    os.environ["ARCHON_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    for command, stdin in ((["migrate"], b""), (["keys", "set", "openai"], b"sk-bench-0123456789"),
                           (["models", "set", "rag_agent", "openai:gpt-4o"], b"")):
        subprocess.run([args.bin] + command, input=stdin, check=True, capture_output=True)

    baseline = run_baseline()
    daemon = run_providerd(args.bin, args.work, args.records)

    mb = lambda kib: f"{kib / 1024:6.1f}"
    print()
    print(f"{'MB':40} {'VmRSS':>7} {'RssAnon':>8} {'RssFile':>8} {'PSS':>7} {'PSS / baseline':>15}")
    print(f"{'baseline: the Python library':40} {mb(baseline['VmRSS']):>7} {mb(baseline['RssAnon']):>8} "
          f"{mb(baseline['RssFile']):>8} {mb(baseline['Pss']):>7} {'1.00x':>15}")
    for phase, m in daemon.items():
        print(f"{'providerd ' + phase:40} {mb(m['VmRSS']):>7} {mb(m['RssAnon']):>8} {mb(m['RssFile']):>8} "
              f"{mb(m['Pss']):>7} {m['Pss'] / baseline['Pss']:>14.2f}x")
    print(f"{args.records} records on one connection")

    # The builds compared: size on disk, the big sections, idle footprint.
    builds = [("packaged", args.bin, daemon["idle after start"])]
    for variant in args.variant:
        label, path = variant.split("=", 1)
        builds.append((label, path, idle_only(path, args.work)))
    print()
    print(f"{'build (idle after start)':30} {'binary':>8} {'.text':>7} {'.rodata':>8} {'.rela.dyn':>10} {'.relr.dyn':>10} "
          f"{'VmRSS':>7} {'RssAnon':>8} {'PSS':>7}")
    for label, path, m in builds:
        sec = sections(path)
        print(f"{label:30} {os.path.getsize(path) / 1e6:>8.1f} {sec.get('.text', 0):>7.1f} {sec.get('.rodata', 0):>8.1f} "
              f"{sec.get('.rela.dyn', 0):>10.2f} {sec.get('.relr.dyn', 0):>10.2f} {mb(m['VmRSS']):>7} {mb(m['RssAnon']):>8} "
              f"{mb(m['Pss']):>7}")
    print("(MB; a section missing from a build shows 0.00)")
    if args.package:
        print(f"package {os.path.basename(args.package)}: {os.path.getsize(args.package) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

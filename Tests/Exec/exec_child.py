#!/usr/bin/env python3
"""The program `providerd exec` runs in the exec tests.

Writes what happened to it into DIR (argv[1]), one line per event in
DIR/events.log (O_APPEND, so lines from every child interleave whole):

    start PID            after DIR/env-PID.json holds its whole environment
    signal PID NAME      each forwarded signal it got
    bound PID PORT       --bind PORT: listening
    bind-failed PID      --bind PORT: the port was still taken (exits 98)
    exit PID             just before a clean exit

Options:
    --bind PORT          listen on 127.0.0.1:PORT (no SO_REUSEADDR) while it runs
    --linger SECONDS     after SIGTERM, keep the port and live this long first
    --ignore-term        log SIGTERM and SIGINT, and keep running
    --exit N             exit with N at once
    --segv               kill itself with SIGSEGV
    --report-on-term ID  on SIGTERM, send one usage record with this id to
                         $PROVIDERD_SOCKET and wait for its ack before exiting
                         (an agent's last report): logs "reported PID ACK"
"""
import json
import os
import signal
import socket
import sys
import time

directory = sys.argv[1]
args = sys.argv[2:]
pid = os.getpid()


def option(name, default=None):
    return args[args.index(name) + 1] if name in args else default


def event(line):
    fd = os.open(os.path.join(directory, "events.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, (line + "\n").encode())
    os.close(fd)


# Handlers first: a test that sees "start" may signal at once, and a SIGTERM
# before them would kill this process (143) instead of ending it cleanly.
stopping = False


def handler(number, frame):
    global stopping
    name = signal.Signals(number).name
    event(f"signal {pid} {name}")
    if number in (signal.SIGTERM, signal.SIGINT) and "--ignore-term" not in args:
        stopping = True


for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH):
    signal.signal(number, handler)


with open(os.path.join(directory, f"env-{pid}.json.tmp"), "w") as f:
    json.dump(dict(os.environ), f)
os.rename(os.path.join(directory, f"env-{pid}.json.tmp"), os.path.join(directory, f"env-{pid}.json"))

listener = None
if option("--bind"):
    port = int(option("--bind"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError:
        event(f"bind-failed {pid}")
        sys.exit(98)
    listener.listen(1)
    event(f"bound {pid} {port}")

event(f"start {pid}")

if option("--exit"):
    sys.exit(int(option("--exit")))
if "--segv" in args:
    os.kill(pid, signal.SIGSEGV)

while not stopping:
    time.sleep(0.01)
if option("--report-on-term"):
    record = {"service_name": "svc", "model_string": "openai:gpt-4o-mini", "input_tokens": 7, "output_tokens": 2,
              "id": option("--report-on-term")}
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(os.environ["PROVIDERD_SOCKET"])
    client.sendall((json.dumps(record) + "\n").encode())
    ack = client.makefile().readline().strip()
    event(f"reported {pid} {ack}")
time.sleep(float(option("--linger", "0")))
event(f"exit {pid}")
sys.exit(0)

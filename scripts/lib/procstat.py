"""What the benchmarks read about a process from /proc, and their percentile."""
import os


def rss_kib(pid, field="VmRSS:"):
    """A memory figure of /proc/PID/status in KiB (VmRSS by default, or RssAnon...)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))]


def pss_kib(pid):
    """Proportional set size in KiB (/proc/PID/smaps_rollup): each shared page
    counted in shares, so what this process really costs the machine."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure what health checks cost: probes per interval and CPU per process.

    contrib/check-bench.py [--binary ./portico] [--servers 1000] [--inter 1000]
                           [--workers 1] [--seconds 20] [--port 19390] [--shared-target]

Starts a check target (a listener on 0.0.0.0:PORT that answers "+PONG" to each probe's
"PING" line, counting connections: a probe that sends nothing would be reset before the
target sees it), generates a configuration with SERVERS checked servers ("check inter INTER")
each on its own loopback address 127.0.x.y:PORT (so no two share a probe; with
--shared-target they all use 127.0.0.1 and the instance probes the target once), runs the
binary (portico or haproxy) for SECONDS, and prints the probes seen per second and the CPU
time the proxy's processes used. Runs on the loopback only; cleans up what it starts.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def target(port, counter, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        counter[0] += 1
        c.settimeout(1)
        try:
            if c.recv(64):
                c.sendall(b"+PONG\r\n")
        except OSError:
            pass
        c.close()
    s.close()


def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total


def children(pid):
    out = [pid]
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="./portico")
    ap.add_argument("--servers", type=int, default=1000)
    ap.add_argument("--inter", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--port", type=int, default=19390)
    ap.add_argument("--shared-target", action="store_true")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="check-bench.")
    cfg = os.path.join(tmp, "check.cfg")
    lines = ["global", f"    nbthread {a.workers}", "defaults", "    mode tcp",
             "    timeout connect 1s", "    timeout client 5s", "    timeout server 5s",
             "frontend fe", f"    bind 127.0.0.1:{a.port + 1}", "    default_backend checked",
             "backend checked", "    option tcp-check", "    tcp-check send PING\\r\\n",
             "    tcp-check expect string +PONG"]
    for i in range(a.servers):
        addr = "127.0.0.1" if a.shared_target else f"127.0.{1 + i // 250}.{1 + i % 250}"
        lines.append(f"    server s{i} {addr}:{a.port} check inter {a.inter}")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")

    counter = [0]
    stop = threading.Event()
    th = threading.Thread(target=target, args=(a.port, counter, stop), daemon=True)
    th.start()
    time.sleep(0.3)
    proc = subprocess.Popen([a.binary, "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(2 + a.inter / 1000.0)  # start-up and the first (spread) round
        pids = children(proc.pid)
        c0, t0, n0 = cpu_ticks(pids), time.time(), counter[0]
        per_sec = []
        last = n0
        for _ in range(a.seconds):
            time.sleep(1)
            per_sec.append(counter[0] - last)
            last = counter[0]
        c1, t1, n1 = cpu_ticks(pids), time.time(), counter[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        stop.set()
    hz = os.sysconf("SC_CLK_TCK")
    el = t1 - t0
    cpu = (c1 - c0) / hz
    probes = n1 - n0
    print(f"binary {a.binary} workers {a.workers} servers {a.servers} inter {a.inter}ms "
          f"shared-target {a.shared_target}")
    print(f"  probes: {probes} in {el:.1f}s = {probes / el:.1f}/s "
          f"(expected {a.servers * 1000.0 / a.inter if not a.shared_target else 1000.0 / a.inter:.1f}/s); "
          f"per second min {min(per_sec)} max {max(per_sec)}")
    print(f"  CPU: {cpu:.2f}s over {el:.1f}s = {100 * cpu / el:.1f}% of one core "
          f"({1e6 * cpu / max(probes, 1):.0f} us per probe)")


if __name__ == "__main__":
    sys.exit(main())

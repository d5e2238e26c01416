#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Captures what HAProxy 2.6 (/usr/sbin/haproxy) sends a remote peer: this script is the
# peer "remote" (it answers 200 and a resync finished), HAProxy the peer "local" with
# tables of each key type (binary ones take no CLI "set table") and data types of each kind filled by a few requests and CLI
# "set table". Writes <dir>/capture.bin: corpus/*/haproxy_2_6_session and the bytes of
# test/test_peermsg.cpp's haproxy_2_6_session come from it (the fuzz_peer_msgs seed is the
# capture without its hello). Usage: capture_haproxy.py <scratch dir>
import os, socket, subprocess, sys, time, signal

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

P1, P2, P3, P4 = (free_port() for _ in range(4))
D = sys.argv[1]
os.makedirs(D, exist_ok=True)
cfg = f"""global
    stats socket {D}/h.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
peers mypeers
    peer local 127.0.0.1:{P1}
    peer remote 127.0.0.1:{P2}
backend st_str
    stick-table type string len 16 size 100 expire 1m store http_req_cnt,http_req_rate(10s),gpt(2),gpc(3),gpc_rate(2,1m),bytes_in_cnt,conn_cur,server_id peers mypeers
backend st_ip6
    stick-table type ipv6 size 10 expire 30s store gpc0,sess_rate(5s) peers mypeers
backend st_int
    stick-table type integer size 10 store http_fail_cnt peers mypeers
backend st_bin
    stick-table type binary len 8 size 10 expire 10s store gpc1,gpc1_rate(1s) peers mypeers
frontend fe
    bind 127.0.0.1:{P3}
    http-request track-sc0 req.hdr(x-k) table st_str
    http-request sc-inc-gpc(1,0)
    use_backend be
backend be
    stick-table type ip size 10 expire 1m store server_id,server_key peers mypeers
    stick on src
    server s1 127.0.0.1:{P4}
listen srv
    bind 127.0.0.1:{P4}
    http-request return status 200
"""
open(f"{D}/h.cfg", "w").write(cfg)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", P2)); ls.listen(4); ls.settimeout(10)
h = subprocess.Popen(["/usr/sbin/haproxy", "-f", f"{D}/h.cfg", "-L", "local", "-db"],
                     stdout=open(f"{D}/h.log", "w"), stderr=subprocess.STDOUT)
data = b""
try:
    c, _ = ls.accept()
    c.settimeout(0.2)
    def rd(t):
        global data
        end = time.time() + t
        while time.time() < end:
            try:
                b = c.recv(65536)
                if not b: return
                data += b
            except socket.timeout:
                pass
    rd(0.5)
    c.sendall(b"200\n\x00\x01")
    rd(0.5)
    def cli(cmd):
        s = socket.socket(socket.AF_UNIX); s.connect(f"{D}/h.sock"); s.sendall(cmd.encode() + b"\n")
        out = b""
        while True:
            b = s.recv(65536)
            if not b: break
            out += b
        s.close(); print(cmd, "->", out.decode().strip())
    for k in ("alpha", "a-much-longer-key-than-16"):
        for _ in range(3):
            r = socket.create_connection(("127.0.0.1", P3)); r.sendall(f"GET / HTTP/1.0\r\nx-k: {k}\r\n\r\n".encode())
            print(r.recv(4096)[:12]); r.close()
        rd(0.3)
    cli("set table st_ip6 key ::1 data.gpc0 3")
    cli("set table st_int key 42 data.http_fail_cnt 5")
    cli("set table st_str key beta data.bytes_in_cnt 5000000000")
    cli("set table st_str key beta data.server_id 4")
    rd(1.5)
    c.sendall(b"\x00\x04")  # a heartbeat
    rd(0.5)
finally:
    h.send_signal(signal.SIGTERM); h.wait(5)
open(f"{D}/capture.bin", "wb").write(data)
print(len(data), "bytes"); print(data[:200])

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpora of fuzz_peer_msgs and fuzz_peerwire (corpus/<target>/): peers
# protocol sessions as a remote peer sends them (doc/peers-v2.0.txt; the same encoding as
# peerwire.cpp/peermsg.cpp and table.cpp's define_msg()/update_msg()). Run it from this
# directory after changing it; the files are committed. (haproxy_2_6_session is not
# generated: capture_haproxy.py records it from a real HAProxy 2.6.)
import os
import struct

# data types (dtypes.hpp order) and their storage: u(int) s(int) l(64-bit) f(req) d(ict)
DT = ["server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate", "conn_cur", "sess_cnt",
      "sess_rate", "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_cnt",
      "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key",
      "http_fail_cnt", "http_fail_rate", "gpt", "gpc", "gpc_rate"]
ST = dict(zip(DT, "suufufuufufuflflfufdufuuf", strict=True))
ARRAY = {"gpt", "gpc", "gpc_rate"}
KT_SINT, KT_IPV4, KT_IPV6, KT_STR, KT_BIN = 2, 4, 5, 6, 7


def varint(v):
    if v < 0xF0:
        return bytes([v])
    out = bytearray([(v & 0xFF) | 0xF0])
    v = (v - 0xF0) >> 4
    while v >= 0x80:
        out.append((v & 0xFF) | 0x80)
        v = (v - 0x80) >> 7
    out.append(v)
    return bytes(out)


def msg(cls, typ, payload=b""):
    m = bytes([cls, typ])
    return m + varint(len(payload)) + payload if typ & 0x80 else m


def ctrl(t):
    return msg(0, t)


def define(tid, name, kt, ks, store, expire=60000):
    """store: list of (type, nelem, period)"""
    bits = 0
    params = b""
    for t, n, p in sorted(store, key=lambda x: DT.index(x[0])):
        d = DT.index(t)
        bits |= 1 << d
        if t in ARRAY:
            params += varint(d) + varint(n) + (varint(p) if ST[t] == "f" else b"")
        elif ST[t] == "f":
            params += varint(d) + varint(p)
    pl = varint(tid) + varint(len(name)) + name + varint(kt) + varint(ks) + varint(bits)
    if expire is not None:
        pl += varint(expire) + params
    return msg(10, 0x82, pl)


def switch(tid):
    return msg(10, 0x83, varint(tid))


def ack(tid, upd):
    return msg(10, 0x84, varint(tid) + struct.pack(">I", upd))


def field(t, val):
    if ST[t] == "f":
        return b"".join(varint(x) for x in val)
    if ST[t] == "d":
        if val is None:
            return varint(0)
        did, s = val
        e = varint(did) + (b"" if s is None else varint(len(s)) + s)
        return varint(len(e)) + e
    if ST[t] == "s":
        return varint(val & 0xFFFFFFFFFFFFFFFF)
    return varint(val)


def update(key, fields, upd=None, exp=None):
    """key: the encoded key; fields: encoded data; upd None: an INCUPDATE"""
    typ = {(True, False): 0x80, (False, False): 0x81, (True, True): 0x85, (False, True): 0x86}[
        (upd is not None, exp is not None)]
    pl = (struct.pack(">I", upd) if upd is not None else b"") + (struct.pack(">I", exp) if exp is not None else b"")
    return msg(10, typ, pl + key + fields)


def skey(s):
    return varint(len(s)) + s


SESSIONS = {}

store1 = [("gpc0", 1, 0), ("http_req_cnt", 1, 0), ("http_req_rate", 1, 10000)]
SESSIONS["string_table"] = (
    define(1, b"fe", KT_STR, 17, store1) + switch(1) +
    update(skey(b"10.0.0.1"), field("gpc0", 4) + field("http_req_cnt", 12) + field("http_req_rate", (500, 3, 9)),
           upd=1, exp=59000) +
    update(skey(b"client-two"), field("gpc0", 0) + field("http_req_cnt", 1) + field("http_req_rate", (0, 1, 0)),
           exp=60000) +
    ack(1, 2) + ctrl(4))

store2 = [("server_id", 1, 0), ("server_key", 1, 0)]
SESSIONS["dictionary"] = (
    define(1, b"be", KT_IPV4, 4, store2, expire=0) + switch(1) +
    update(bytes([127, 0, 0, 1]), field("server_id", 1) + field("server_key", (1, b"srv1")), upd=5) +
    update(bytes([127, 0, 0, 2]), field("server_id", 1) + field("server_key", (1, None))) +
    update(bytes([127, 0, 0, 3]), field("server_id", -1) + field("server_key", None)) +
    update(bytes([127, 0, 0, 4]), field("server_id", 2) + field("server_key", (128, b""))))

store3 = [("gpt", 2, 0), ("gpc", 3, 0), ("gpc_rate", 2, 60000), ("gpc1", 1, 0)]
SESSIONS["arrays"] = (
    define(3, b"arr", KT_SINT, 4, store3) + switch(3) +
    update(struct.pack(">I", 42), field("gpt", 1) + field("gpt", 2) + field("gpc", 10) + field("gpc", 20) +
           field("gpc", 30) + field("gpc1", 7) + field("gpc_rate", (100, 5, 6)) + field("gpc_rate", (0, 0, 1)),
           upd=1, exp=1000) +
    update(struct.pack(">I", 0xFFFFFFFF), field("gpt", 0) + field("gpt", 0) + field("gpc", 1) + field("gpc", 2) +
           field("gpc", 3) + field("gpc1", 0) + field("gpc_rate", (1, 2, 3)) + field("gpc_rate", (4, 5, 6)),
           exp=0))

store4 = [("bytes_in_cnt", 1, 0), ("bytes_out_cnt", 1, 0), ("bytes_in_rate", 1, 1000), ("conn_cur", 1, 0),
          ("sess_rate", 1, 5000), ("http_fail_cnt", 1, 0), ("http_fail_rate", 1, 30000)]
SESSIONS["ipv6_binary"] = (
    define(1, b"v6", KT_IPV6, 16, store4) +
    define(2, b"bin", KT_BIN, 8, [("gpc0", 1, 0), ("gpc0_rate", 1, 10000)]) + switch(1) +
    update(bytes(range(16)), field("conn_cur", 3) + field("sess_rate", (10, 1, 2)) +
           field("bytes_in_cnt", 1 << 40) + field("bytes_in_rate", (0, 100, 200)) + field("bytes_out_cnt", (1 << 64) - 1) +
           field("http_fail_cnt", 9) + field("http_fail_rate", (2, 3, 4)), upd=9, exp=100) +
    switch(2) + update(b"\x00binkey\x01", field("gpc0", 5) + field("gpc0_rate", (1, 1, 1)), upd=1, exp=5) +
    switch(7) + update(b"\x01", b"", upd=3) + ack(2, 1) + ack(1, 9))

SESSIONS["control"] = (ctrl(0) + ctrl(1) + ctrl(2) + ctrl(3) + ctrl(4) +
                       define(1, b"nodata", KT_STR, 33, [], expire=None) + switch(1) +
                       update(skey(b"k"), b"", upd=1) + msg(1, 0))

SESSIONS["unshared"] = (define(4, b"odd", 9, 3, store1) + switch(4) + update(b"zzz", b"\x01", upd=1) +
                        define(5, b"str", KT_STR, 5, store1) +
                        update(skey(b"longer-than-four"), field("gpc0", 1) + field("http_req_cnt", 2) +
                               field("http_req_rate", (0, 0, 0)), upd=2, exp=1))

HELLO = b"HAProxyS 2.1\nlocal\nremote 1234 1\n"
HELLOS = {
    "hello_2_0": b"HAProxyS 2.0\nlocal\nremote 99 1\n",
    "hello_bad_version": b"HAProxyS 3.0\nlocal\nremote 99 1\n",
    "hello_not_haproxy": b"GET / HTTP/1.0\r\n\r\n\r\n",
    "hello_no_pid": b"HAProxyS 2.1\nlocal\nremote\n",
    "hello_partial": b"HAProxyS 2.1\nlocal\nrem",
}


def write(target, name, data):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


for n, s in SESSIONS.items():
    write("fuzz_peer_msgs", n, s)
    write("fuzz_peerwire", n, HELLO + s)
for n, h in HELLOS.items():
    write("fuzz_peerwire", n, h + SESSIONS["control"])

#!/bin/bash
# The cost of a big map on the request path: two portico instances (1 worker each, CPU 0),
# one with 10-entry maps, one with 100 000-entry maps, both doing map_beg on the path and
# map_ip on the source per request; wrk (CPU 1) alternates between them, keep-alive.
# usage: contrib/bench/map-size.sh [PORTICO] [ROUNDS]  (needs wrk, taskset, python3)
set -eu
B=$(readlink -f "${1:-./portico}")
R=${2:-3}
D=$(mktemp -d)
trap 'kill $(cat "$D"/pid* 2>/dev/null) 2>/dev/null; rm -rf "$D"' EXIT
python3 - "$D" <<'PY'
import random, sys
d = sys.argv[1]
random.seed(1)
for n, port in ((10, 18080), (100000, 18081)):
    with open(f"{d}/beg{n}.map", "w") as f:
        for i in range(n - 1):
            f.write(f"/p{i:06d}/x{random.randint(0, 1 << 30)} v{i}\n")
        f.write("/hit v_hit\n")
    with open(f"{d}/ip{n}.map", "w") as f:
        for i in range(n - 1):
            a = random.randint(1, 223)
            a = 128 if a == 127 else a
            f.write(f"{a}.{random.randint(0, 255)}.{random.randint(0, 255)}.0/24 n{i}\n")
        f.write("127.0.0.0/8 lo\n")
    open(f"{d}/m{n}.cfg", "w").write(f"""global
    nbthread 1
defaults
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 5s
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.a) path,map_beg({d}/beg{n}.map,none)
    http-request set-var(txn.b) src,map_ip({d}/ip{n}.map,none)
    http-request return status 200 content-type text/plain lf-string "%[var(txn.a)] %[var(txn.b)]"
""")
PY
for n in 10 100000; do taskset -c 0 "$B" -f "$D/m$n.cfg" -db > "$D/log$n" 2>&1 & echo $! > "$D/pid$n"; done
sleep 2
for r in $(seq "$R"); do
    for n in 10 100000; do
        p=$([ $n = 10 ] && echo 18080 || echo 18081)
        taskset -c 1 wrk -t1 -c50 -d5s "http://127.0.0.1:$p/hit/abc" 2>&1 |
            awk -v n=$n -v r=$r '/Requests\/sec/{printf "round %d  %6d entries  %s req/s\n", r, n, $2}'
    done
done

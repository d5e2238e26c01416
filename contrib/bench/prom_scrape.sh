#!/bin/sh
# SPDX-License-Identifier: MIT
# Cost of the Prometheus exporter, as the bench harness (../shared/bench) measures a proxy:
# the proxy alone on CPU 1 (one worker), wrk and an nginx origin on CPU 0.
#
#   1. scrape time: curl's time_total for /metrics on an instance of <backends> x <servers>
#      servers (default 100 x 10), every histogram on;
#   2. keep-alive load (wrk, 50 connections, 20-byte responses, like the harness's
#      http-keepalive) with and without a scraper fetching /metrics every second,
#      alternating, <rounds> rounds of <secs> seconds each; prints req/s and the proxy's
#      CPU use (utime + stime over the run).
#
# Usage: contrib/bench/prom_scrape.sh [./portico] [rounds] [secs] [backends] [servers]
# Needs: nginx, wrk, curl, taskset. Run it on an idle machine (check `uptime`).
set -eu
BIN=${1:-./portico}
ROUNDS=${2:-3}
SECS=${3:-10}
NB=${4:-100}
NS=${5:-10}
BASE=${PROM_BENCH_PORT:-19600}
ORIGIN=$BASE PROXY=$((BASE + 1)) METRICS=$((BASE + 2))
DIR=$(mktemp -d "${TMPDIR:-/tmp}/prom-bench.XXXXXX")
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

mkdir -p "$DIR/nginx-tmp"
cat > "$DIR/origin.conf" <<EOC
worker_processes 1;
daemon off;
pid $DIR/nginx.pid;
error_log $DIR/nginx.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx-tmp;
    proxy_temp_path $DIR/nginx-tmp;
    fastcgi_temp_path $DIR/nginx-tmp;
    uwsgi_temp_path $DIR/nginx-tmp;
    scgi_temp_path $DIR/nginx-tmp;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$ORIGIN backlog=4096;
        location = /small { return 200 "01234567890123456789"; }
    }
}
EOC
taskset -c 0 nginx -c "$DIR/origin.conf" -e "$DIR/nginx.err" &
PIDS="$PIDS $!"

{
    printf 'global\n    nbthread 1\n    maxconn 10000\n'
    printf 'defaults\n    mode http\n    maxconn 10000\n    timeout connect 5s\n'
    printf '    timeout client 60s\n    timeout server 60s\n    timeout http-keep-alive 60s\n'
    printf 'frontend fe_http\n    bind 127.0.0.1:%s\n    default_backend be_origin\n' "$PROXY"
    printf 'frontend metrics\n    bind 127.0.0.1:%s\n' "$METRICS"
    printf '    http-request use-service prometheus-exporter if { path /metrics }\n'
    printf 'backend be_origin\n    http-reuse always\n    server origin 127.0.0.1:%s\n' "$ORIGIN"
    b=1
    while [ "$b" -le "$NB" ]; do
        printf 'backend b%s\n' "$b"
        s=1
        while [ "$s" -le "$NS" ]; do
            printf '    server s%s 127.0.0.1:%s\n' "$s" "$ORIGIN"
            s=$((s + 1))
        done
        b=$((b + 1))
    done
} > "$DIR/portico.cfg"
taskset -c 1 "$BIN" -db -f "$DIR/portico.cfg" > "$DIR/portico.log" 2>&1 &
PPID_=$!
PIDS="$PIDS $PPID_"
sleep 1
curl -sf -o /dev/null "http://127.0.0.1:$PROXY/small" || { echo "proxy not answering"; cat "$DIR/portico.log"; exit 1; }

echo "# $(date -u '+%F %T') UTC, $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# scrape of $NB backends x $NS servers (curl time_total, 20 scrapes):"
i=0
while [ $i -lt 20 ]; do
    taskset -c 0 curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$METRICS/metrics"
    i=$((i + 1))
done | sort -n | awk '{t[NR]=$1; b=$2} END {printf "scrape: min %.1f ms, median %.1f ms, max %.1f ms, %d bytes\n", t[1]*1000, t[int((NR+1)/2)]*1000, t[NR]*1000, b}'

# CPU ticks (utime + stime) of the proxy's processes
ticks() {
    t=0
    for p in $PPID_ $(pgrep -P "$PPID_" || true); do
        set -- $(cut -d' ' -f14,15 "/proc/$p/stat")
        t=$((t + $1 + $2))
    done
    echo $t
}
hz=$(getconf CLK_TCK)

run_wrk() { # $1 = label, $2 = scrape (0/1)
    sp=""
    if [ "$2" = 1 ]; then
        ( while :; do taskset -c 0 curl -s -o /dev/null "http://127.0.0.1:$METRICS/metrics"; sleep 1; done ) &
        sp=$!
    fi
    t0=$(ticks)
    out=$(taskset -c 0 wrk -t1 -c50 -d"${SECS}s" --latency "http://127.0.0.1:$PROXY/small")
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    t1=$(ticks)
    if [ -n "$sp" ]; then kill "$sp"; wait "$sp" 2>/dev/null || true; fi
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" 'BEGIN {printf "%.0f", 100 * d / hz / s}')
    echo "$1 $rps $cpu $p99"
}

echo "# keep-alive, wrk -t1 -c50 -d${SECS}s /small; proxy on CPU 1, wrk/origin/scraper on CPU 0"
r=1
: > "$DIR/res"
while [ $r -le "$ROUNDS" ]; do
    run_wrk plain 0 >> "$DIR/res"
    run_wrk scraped 1 >> "$DIR/res"
    r=$((r + 1))
done
awk '{print "round: " $1 " " $2 " req/s, proxy CPU " $3 "%, p99 latency " $4} {n[$1]++; s[$1]+=$2; c[$1]+=$3}
     END {printf "mean: plain %.0f req/s (CPU %.0f%%), scraped every 1s %.0f req/s (CPU %.0f%%), ratio %.3f\n",
          s["plain"]/n["plain"], c["plain"]/n["plain"], s["scraped"]/n["scraped"], c["scraped"]/n["scraped"],
          (s["scraped"]/n["scraped"]) / (s["plain"]/n["plain"])}' "$DIR/res"

#!/bin/bash
# A candidate for ../shared/bench/run that measures what stickiness costs on the request
# path (issue 11): it runs portico on the benchmark's own configuration with, in every
# frontend, a stick table keyed on the source, "http-request track-sc0 src" and a rate
# check on each request (a limit high enough never to refuse the load generator).
# Compare against the same scenarios with --candidate ./portico:
#   ../shared/bench/run --candidate ./portico --proxies candidate,haproxy --scenarios http-keepalive
#   ../shared/bench/run --candidate contrib/bench/with-track.sh --proxies candidate,haproxy \
#       --scenarios http-keepalive
# PORTICO_BIN names the binary (default: the portico next to contrib/).
set -eu
B=${PORTICO_BIN:-$(dirname "$(readlink -f "$0")")/../../portico}
args=()
cfg=
while [ $# -gt 0 ]; do
    case "$1" in
    -f) cfg=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
[ -n "$cfg" ] || exec "$B" "${args[@]}"
out="$cfg.track.cfg"
awk '{ print }
/^frontend / {
    print "    stick-table type ip size 100k expire 30s store http_req_cnt,http_req_rate(10s)"
    print "    http-request track-sc0 src"
    print "    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }"
}' "$cfg" > "$out"
exec "$B" -f "$out" "${args[@]}"

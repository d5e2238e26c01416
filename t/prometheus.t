#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The Prometheus exporter ("http-request use-service prometheus-exporter"): HAProxy 2.6's
# families, types and labels with values from the traffic the test sends, the "scope" and
# "no-maint" filters and their errors, HEAD, the latency histograms against a slow origin,
# configurable buckets, "show stat"'s time averages, and a large scrape streamed through
# small buffers (100 backends x 10 servers) that promtool's parser accepts.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port cli_send show_stat /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(71);

# --- -vv, keyword errors ---
my ($rc, $vv) = $t->run_binary('-vv');
like($vv, qr/^Feature list : .*\+PROMEX/m, '-vv: +PROMEX');
like($vv, qr/^Available services : .*\bprometheus-exporter\b/m, '-vv: available services');
for my $bad (['1s 500ms', qr/strictly increasing/], ['0ms', qr/between 1ms and 1h/],
    ['abc', qr/got 'abc'/]) {
    $t->config("global\n    prometheus.histogram-buckets $bad->[0]\n");
    my ($c, $out) = $t->check_config;
    ok($c != 0 && $out =~ /portico\.cfg:2: .*$bad->[1]/, "-c refuses buckets '$bad->[0]'")
        or diag $out;
}
$t->config("global\n    prometheus.histogram-buckets none\nlisten l\n    bind 127.0.0.1:1\n");
is(scalar $t->check_config, 0, "'none' is accepted");

$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    sleep 0.15 if $req->{uri} =~ m{^/slow};
    return (200, ['Content-Type' => 'text/plain'], "ok\n");
});
$t->config(<<'EOF')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    workers 2
    prometheus.histogram-buckets 10ms 100ms 250ms 1s
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend prom
    bind 127.0.0.1:%%PORT_8090%%
    http-request use-service prometheus-exporter if { path /metrics }
    http-request deny
frontend fetcp
    mode tcp
    bind 127.0.0.1:%%PORT_8082%%
    default_backend betcp
backend be
    server s1 127.0.0.1:%%PORT_8081%% maxconn 50
    server s2 127.0.0.1:%%PORT_8081%% disabled
backend betcp
    mode tcp
    server t1 127.0.0.1:%%PORT_8081%%
EOF
my $sock = $t->testdir . '/cli.sock';

sub scrape {
    my ($q, %o) = @_;
    return http_parse(http_get('/metrics' . ($q // ''), port => port(8090), %o),
        $o{method});
}

# sample lines as { "name{labels}" => value }
sub samples {
    my ($body) = @_;
    my %s;
    for (split /\n/, $body) {
        next if /^#/ || !length;
        my ($k, $v) = /^(\S+) (\S+)$/ or next;
        $s{$k} = $v;
    }
    return \%s;
}

# three fast requests, two slow ones (150 ms), all to be/s1
for my $u ('/a', '/b', '/c', '/slow1', '/slow2') {
    like(http_get($u, port => port(8080)), qr/^HTTP\/1\.1 200/, "request $u");
}
my $r = scrape();
is($r->{status}, 200, 'scrape: 200');
is($r->{h}{'content-type'}, 'text/plain; version=0.0.4', 'exposition content type');
is($r->{h}{'cache-control'}, 'no-cache', 'cache-control');
my $s = samples($r->{body});

# --- HAProxy's families, labels and values ---
is($s->{'haproxy_process_nbthread'}, 2, 'process: nbthread = workers');
like($r->{body}, qr/^haproxy_process_build_info\{version="[^"]+"\} 1$/m, 'build_info');
is($s->{'haproxy_frontend_http_requests_total{proxy="fe"}'}, 5, 'frontend requests');
is($s->{'haproxy_frontend_http_responses_total{proxy="fe",code="2xx"}'}, 5, 'frontend 2xx');
is($s->{'haproxy_frontend_status{proxy="fe",state="UP"}'}, 1, 'frontend UP');
is($s->{'haproxy_frontend_status{proxy="fe",state="DOWN"}'}, 0, 'frontend not DOWN');
is($s->{'haproxy_frontend_sessions_total{proxy="fe"}'}, 5, 'frontend sessions');
is($s->{'haproxy_backend_http_responses_total{proxy="be",code="2xx"}'}, 5, 'backend 2xx');
is($s->{'haproxy_backend_http_requests_total{proxy="be"}'}, 5, 'backend requests');
is($s->{'haproxy_backend_active_servers{proxy="be"}'}, 1, 'one active server');
is($s->{'haproxy_backend_agg_server_status{proxy="be",state="MAINT"}'}, 1, 'agg: one MAINT');
is($s->{'haproxy_server_http_responses_total{proxy="be",server="s1",code="2xx"}'}, 5,
    'server 2xx');
is($s->{'haproxy_server_status{proxy="be",server="s2",state="MAINT"}'}, 1, 's2 in MAINT');
is($s->{'haproxy_server_status{proxy="be",server="s1",state="UP"}'}, 1, 's1 UP');
is($s->{'haproxy_server_limit_sessions{proxy="be",server="s1"}'}, 50, 'server maxconn');
is($s->{'haproxy_server_limit_sessions{proxy="be",server="s2"}'}, 'NaN', 'no maxconn: NaN');
ok(!exists $s->{'haproxy_frontend_http_requests_total{proxy="fetcp"}'},
    'no http families for a tcp frontend');
ok(exists $s->{'haproxy_frontend_connections_total{proxy="fetcp"}'}, 'tcp frontend listed');
like($r->{body}, qr/^# HELP haproxy_server_status Current status of the service, per state label value\.\n# TYPE haproxy_server_status gauge\n/m,
    'HELP and TYPE lines');
like($r->{body}, qr/\A(?:# HELP haproxy_process_.*\n# TYPE .*\n(?:haproxy_process_.*\n)+)+# HELP haproxy_frontend_/,
    'process families first');
my @fam = $r->{body} =~ /^# TYPE (\S+)/mg;
my %once;
ok(!grep({ $once{$_}++ } @fam), 'each family once');
ok(!grep(/sticktable/, @fam), 'no sticktable families (no stick tables)');
# http_responses_total: code outer, objects inner (HAProxy's order)
like($r->{body}, qr/server="s1",code="1xx"\} \d+\n[^\n]*server="s2",code="1xx"\}/,
    'http_responses_total ordered by code, then server');

# --- histograms ---
my $b = 'haproxy_backend_response_time_seconds';
is($s->{"${b}_bucket{proxy=\"be\",le=\"0.1\"}"}, 3, 'response time <= 100ms: the fast ones');
is($s->{"${b}_bucket{proxy=\"be\",le=\"0.25\"}"}, 5, '<= 250ms: all');
is($s->{"${b}_bucket{proxy=\"be\",le=\"+Inf\"}"}, 5, '+Inf bucket');
is($s->{"${b}_count{proxy=\"be\"}"}, 5, '_count');
my $sum = $s->{"${b}_sum{proxy=\"be\"}"};
ok($sum >= 0.3 && $sum < 0.8, "_sum about 0.3 s ($sum)");
is($s->{'haproxy_server_response_time_seconds_bucket{proxy="be",server="s1",le="0.1"}'}, 3,
    'server histogram');
is($s->{'haproxy_server_total_time_seconds_bucket{proxy="be",server="s1",le="0.25"}'}, 5,
    'server total time');
is($s->{'haproxy_frontend_total_time_seconds_count{proxy="fe"}'}, 5, 'frontend total count');
is($s->{'haproxy_server_response_time_seconds_count{proxy="be",server="s2"}'}, 0,
    'idle server: empty histogram');
my @le = $r->{body} =~ /^haproxy_backend_queue_time_seconds_bucket\{proxy="be",le="([^"]+)"\}/mg;
is("@le", '0.01 0.1 0.25 1 +Inf', 'configured buckets');
like($r->{body}, qr/^# TYPE haproxy_backend_response_time_seconds histogram$/m,
    'histogram type');
ok($s->{'haproxy_backend_max_response_time_seconds{proxy="be"}'} >= 0.15,
    'max response time >= 150ms');
my $st = show_stat($sock);
ok($st->{'be/s1'}{rtime_max} >= 150 && $st->{'be/s1'}{rtime} > 0,
    "show stat: rtime $st->{'be/s1'}{rtime}, rtime_max $st->{'be/s1'}{rtime_max}");

# clear counters: the maxima; clear counters all: the histograms too
cli_send($sock, "clear counters\n");
$s = samples(scrape('?scope=backend')->{body});
is($s->{'haproxy_backend_max_response_time_seconds{proxy="be"}'}, '0.000000',
    'clear counters: maxima reset');
is($s->{"${b}_count{proxy=\"be\"}"}, 5, 'clear counters: histograms kept');
cli_send($sock, "clear counters all\n");
$s = samples(scrape('?scope=backend')->{body});
is($s->{"${b}_count{proxy=\"be\"}"}, 0, 'clear counters all: histograms reset');

# tcp: a connection through fetcp counts in its frontend's total time
like(http_get('/t', port => port(8082)), qr/^HTTP\/1\.1 200/, 'tcp proxy');
ok(Test::Portico::wait_until(5, sub {
    samples(scrape('?scope=frontend')->{body})
        ->{'haproxy_frontend_total_time_seconds_count{proxy="fetcp"}'} == 1 }),
    'tcp stream recorded at its end');

# --- filters ---
my $body = scrape('?scope=backend')->{body};
ok($body =~ /^haproxy_backend_/m && $body !~ /^haproxy_(?!backend_)/m, 'scope=backend only');
$body = scrape('?scope=global&scope=server')->{body};
ok($body =~ /^haproxy_process_/m && $body =~ /^haproxy_server_/m
    && $body !~ /^haproxy_(?:frontend|backend)_/m, 'scope repeated: global and server');
is(scrape('?scope=')->{body}, '', 'scope= : nothing');
$body = scrape('?scope=&scope=frontend')->{body};
ok($body =~ /^haproxy_frontend_/m && $body !~ /^haproxy_(?!frontend_)/m, 'scope= then frontend');
is(scrape('?scope=sticktable')->{body}, '', 'scope=sticktable: empty');
is(scrape('?scope=bogus')->{status}, 400, 'unknown scope: 400');
is(scrape('?scope')->{status}, 400, 'scope without value: 400');
like(scrape('?scope=%2A')->{body}, qr/^haproxy_process_.*^haproxy_server_/ms, 'scope=* (encoded)');
$body = scrape('?no-maint')->{body};
ok($body =~ /server="s1"/ && $body !~ /server="s2"/, 'no-maint drops the MAINT server');
$r = scrape('', method => 'HEAD', headers => {});
$r = http_parse(http("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    port => port(8090)), 'HEAD');
ok($r->{status} == 200 && $r->{body} eq '', 'HEAD: head only');
is(http_parse(http_get('/other', port => port(8090)))->{status}, 403, 'other paths denied');
$t->stop;

# --- a large instance through small buffers: 100 backends x 10 servers ---
my $cfg = "%%GLOBAL%%\n    tune.bufsize 4096\ndefaults\n    mode http\n    %%TIMEOUTS%%\n"
    . "frontend prom\n    bind 127.0.0.1:%%PORT_8090%%\n"
    . "    http-request use-service prometheus-exporter\n";
for my $i (1 .. 100) {
    $cfg .= "backend b$i\n";
    $cfg .= "    server s$_ 127.0.0.1:%%PORT_8081%%\n" for 1 .. 10;
}
$t->config($cfg)->run();
my $t0 = time;
$r = scrape('', timeout => 20);
my $dt = time - $t0;
is($r->{status}, 200, 'large scrape: 200');
my @srv = $r->{body} =~ /^haproxy_server_current_sessions\{/mg;
is(scalar @srv, 1000, '1000 servers listed');
my @h = $r->{body} =~ /^haproxy_server_total_time_seconds_count\{/mg;
is(scalar @h, 1000, '1000 server histograms');
my @badl = grep { length && !/^# (?:HELP|TYPE) \S+ .+$/ && !/^[a-z_]+(?:\{[^}]*\})? (?:-?\d+(?:\.\d+)?|NaN)$/ }
    split /\n/, $r->{body};
ok(!@badl, 'every line well formed') or diag "@badl[0..2]";
diag(sprintf 'large scrape: %d bytes in %.1f ms', length $r->{body}, $dt * 1000);
SKIP: {
    my ($pc) = grep { -x } map { "$_/promtool" } split /:/, $ENV{PATH};
    skip 'promtool (Debian package prometheus) is not installed', 1 unless $pc;
    $t->write_file('large.prom', $r->{body});
    my ($c, $out) = $t->run_command({ timeout => 60 }, 'sh', '-c',
        "$pc check metrics < " . $t->testdir . '/large.prom');
    # promtool lints names too (counters named *_total...): HAProxy's names do not all
    # follow its advice; a parse error would be reported as "error while linting"
    unlike($out, qr/error while linting|text format parsing error/, "promtool parses it")
        or diag $out;
}

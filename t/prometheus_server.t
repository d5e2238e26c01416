#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Tools people point at HAProxy, pointed at portico: Debian's real Prometheus server scrapes
# the exporter every second (its parser must accept the body: up == 1) and answers
# histogram_quantile() over portico's latency histograms; Debian's prometheus-haproxy-exporter
# reads the stats page's CSV and reports haproxy_up 1 and the backend's counters.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port wait_until /;

sub in_path {
    my ($name) = @_;
    my ($p) = grep { -x } map { "$_/$name" } split /:/, $ENV{PATH} // '';
    return $p;
}
my $prom = in_path('prometheus');
my $hexp = in_path('prometheus-haproxy-exporter');
plan skip_all => 'neither prometheus nor prometheus-haproxy-exporter is installed '
    . '(Debian packages prometheus, prometheus-haproxy-exporter)'
    unless $prom || $hexp;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(10);
$t->origin_http(port(8081), handler => sub {
    sleep 0.15;
    return (200, ['Content-Type' => 'text/plain'], "ok\n");
});
$t->config(<<'EOF')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend admin
    bind 127.0.0.1:%%PORT_8090%%
    http-request use-service prometheus-exporter if { path /metrics }
    stats enable
    stats uri /stats
backend be
    server s1 127.0.0.1:%%PORT_8081%%
EOF

# ten requests of about 150 ms each: every response time lands in (0.1, 0.25]
like(http_get("/r$_", port => port(8080)), qr/^HTTP\/1\.1 200/, "request $_") for 1 .. 2;
http_get("/r$_", port => port(8080)) for 3 .. 10;

# GET PATH on PORT: (status, body)
sub get {
    my ($port, $path) = @_;
    my $r = http_parse(http_get($path, port => $port, timeout => 5, quiet => 1) // '') // {};
    return ($r->{status} // 0, $r->{body} // '');
}

sub urlenc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

# the first value of an instant query's result, or undef
sub query {
    my ($q) = @_;
    my ($st, $body) = get(port('prom'), '/api/v1/query?query=' . urlenc($q));
    return undef unless $st == 200 && $body =~ /"status":"success"/;
    my ($v) = $body =~ /"value":\[[0-9.]+,"([^"]+)"\]/;
    return $v;
}

SKIP: {
    skip 'prometheus (Debian package prometheus) is not installed', 5 unless $prom;
    my $dir = $t->testdir;
    $t->write_file('prometheus.yml', <<'EOF');
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: portico
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:%%PORT_8090%%']
EOF
    my $pp = port('prom');
    Test::Portico::_release($pp); # the reservation ends: prometheus binds it
    my $pid = $t->spawn('prometheus', $prom, "--config.file=$dir/prometheus.yml",
        "--storage.tsdb.path=$dir/tsdb", "--web.listen-address=127.0.0.1:$pp",
        '--log.level=warn');
    my $up = wait_until(40, sub { my $v = query('up{job="portico"}'); defined $v && $v eq '1' },
        0.25);
    ok($up, 'prometheus scrapes portico: up == 1')
        or diag $t->read_file('prometheus.log');
    my $q = 'histogram_quantile(0.9, sum by (le) '
        . '(haproxy_backend_response_time_seconds_bucket{proxy="be"}))';
    my $p90 = wait_until(10, sub { query($q) }, 0.25);
    ok(defined $p90 && $p90 > 0.1 && $p90 <= 0.25, "p90 of the response time: $p90")
        or diag $t->read_file('prometheus.log');
    my $n = query('haproxy_backend_response_time_seconds_count{proxy="be"}');
    is($n, 10, 'ten responses counted');
    is(query('haproxy_backend_http_responses_total{proxy="be",code="2xx"}'), 10,
        'HAProxy family: backend 2xx');
    is(query('count(haproxy_server_status{proxy="be",server="s1"})'), 5,
        'server status: one series per state');
    $t->stop_proc($pid);
}

SKIP: {
    skip 'prometheus-haproxy-exporter (Debian package) is not installed', 3 unless $hexp;
    my $ep = port('hexp');
    Test::Portico::_release($ep);
    my $pid = $t->spawn('haproxy-exporter', $hexp,
        '--haproxy.scrape-uri=http://127.0.0.1:' . port(8090) . '/stats;csv',
        "--web.listen-address=127.0.0.1:$ep");
    my $body = '';
    wait_until(20, sub { (my $st, $body) = get($ep, '/metrics'); $st == 200 && $body =~ /^haproxy_up /m },
        0.25);
    like($body, qr/^haproxy_up 1$/m, 'exporter: haproxy_up 1')
        or diag $t->read_file('haproxy-exporter.log');
    like($body, qr/^haproxy_backend_http_responses_total\{backend="be",code="2xx"\} 10$/m,
        'exporter: backend 2xx counter');
    like($body, qr/^haproxy_server_up\{backend="be",server="s1"\} 1$/m, 'exporter: server up');
    $t->stop_proc($pid);
}

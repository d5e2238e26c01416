#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The exporter against the reference: Debian's HAProxy 2.6 (built with PROMEX) and portico
# run the same configuration; their /metrics must list the same families with the same
# HELP and TYPE lines, in the same order, and the same series (names and labels) — every
# difference being portico's histograms and build_info's version label. Stick tables with
# entries (haproxy_sticktable_*) and "scope=sticktable" are compared too.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port wait_until /;

my $haproxy = $ENV{HAPROXY_BIN} // '/usr/sbin/haproxy';
plan skip_all => "$haproxy is not installed (Debian package haproxy)" unless -x $haproxy;
my $t = Test::Portico->new()->has(qw/ http check /)->portico_only();
my ($rc, $vv) = $t->run_command($haproxy, '-vv');
plan skip_all => "$haproxy is built without the Prometheus exporter" unless $vv =~ /\+PROMEX/;
$t->plan(20);

$t->origin_http(port(8081), body => "ok\n");
my $cfg = <<'EOF';
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:%%PORT_FE%%
    http-request track-sc0 src table st_src if !{ path /metrics }
    http-request track-sc1 req.hdr(x-user) table st_user if { req.hdr(x-user) -m found }
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend be
frontend fetcp
    mode tcp
    bind 127.0.0.1:%%PORT_TCP%%
    default_backend betcp
backend be
    server s1 127.0.0.1:%%PORT_8081%% check inter 200ms maxconn 10
    server s2 127.0.0.1:%%PORT_8081%% disabled
    server s3 127.0.0.1:%%PORT_8081%%
backend betcp
    mode tcp
    server t1 127.0.0.1:%%PORT_8081%%
backend st_src
    stick-table type ip size 100 expire 1m store http_req_cnt
backend st_user
    stick-table type string len 32 size 1k expire 1m store conn_cur
backend st_empty
    stick-table type integer size 10
EOF

# the same configuration for both, on their own ports
(my $hcfg = $cfg) =~ s/%%PORT_(FE|TCP)%%/%%PORT_H$1%%/g;
$t->write_file('haproxy.cfg', $hcfg);
Test::Portico::_release(port($_)) for qw/ HFE HTCP /;
my $hpid = $t->spawn('haproxy', $haproxy, '-db', '-f', $t->testdir . '/haproxy.cfg');
$t->config($cfg)->run();

sub scrape {
    my ($port, $q) = @_;
    my $r = http_parse(http_get('/metrics' . ($q // ''), port => $port, quiet => 1) // '') // {};
    return $r->{status} && $r->{status} == 200 ? $r->{body} : undef;
}

# both answer, and both ran their first health check (its families appear then)
my ($h, $p);
ok(wait_until(10, sub { $h = scrape(port('HFE')); $h && $h =~ /haproxy_server_check_duration_seconds\{/ }),
    'haproxy answers, check done') or diag $t->read_file('haproxy.log');
ok(wait_until(10, sub { $p = scrape(port('FE')); $p && $p =~ /haproxy_server_check_duration_seconds\{/ }),
    'portico answers, check done');
for my $pt (port('FE'), port('HFE')) {
    http_get("/x", port => $pt);
    http_get("/y", port => $pt, headers => { 'X-User' => 'alice' });
    http_get("/z", port => $pt, headers => { 'X-User' => 'bob' });
}
$h = scrape(port('HFE'));
$p = scrape(port('FE'));

my $hist = qr/_(?:queue|connect|response|total)_time_seconds(?:_bucket|_sum|_count)?\b/;
sub headers { my @l = grep { /^# / && !/$hist/ } split /\n/, $_[0]; return \@l }
sub series {
    my @l = map { s/ \S+$//r } grep { !/^#/ && length && !/$hist/ } split /\n/, $_[0];
    s/(build_info\{version=)"[^"]*"/$1"X"/ for @l;
    return \@l;
}
is_deeply(headers($p), headers($h), 'same families, HELP and TYPE lines, same order');
is_deeply(series($p), series($h), 'same series (names and labels), same order');
my @extra = grep { /^# TYPE / } split /\n/, $p;
is(scalar(grep { /$hist histogram$/ } @extra), 12, 'plus 12 histogram families');
is(($p =~ /^haproxy_server_status\{proxy="be",server="s2",state="MAINT"\} (\S+)$/m)[0],
    ($h =~ /^haproxy_server_status\{proxy="be",server="s2",state="MAINT"\} (\S+)$/m)[0],
    'same value: s2 in maintenance');
is(($p =~ /^haproxy_server_limit_sessions\{proxy="be",server="s3"\} (\S+)$/m)[0], 'NaN',
    'NaN where HAProxy has no value');

# stick tables: the reverse of their declaration order, as HAProxy lists them
my @st = $p =~ /^(haproxy_sticktable_\S+)/mg;
is("@st",
    'haproxy_sticktable_size{name="st_empty",type="integer"} haproxy_sticktable_size{name="st_user",type="string"} haproxy_sticktable_size{name="st_src",type="ip"} haproxy_sticktable_used{name="st_empty",type="integer"} haproxy_sticktable_used{name="st_user",type="string"} haproxy_sticktable_used{name="st_src",type="ip"}',
    'sticktable series');
is(($p =~ /^haproxy_sticktable_used\{name="st_user",type="string"\} (\S+)$/m)[0], 2,
    'st_user: two entries used');
is(($p =~ /^haproxy_sticktable_size\{name="st_user",type="string"\} (\S+)$/m)[0], 1024,
    'st_user: size 1024');
my ($hb, $pb) = map { scrape($_, '?scope=backend') } port('HFE'), port('FE');
is_deeply(series($pb), series($hb), 'scope=backend: same series (aggregated server states too)');
for my $q ('?scope=global', '?scope=frontend', '?scope=server', '?no-maint',
    '?scope=server&no-maint', '?scope=frontend&scope=sticktable', '?scope=*') {
    my ($hq, $pq) = map { scrape($_, $q) } port('HFE'), port('FE');
    is_deeply(series($pq), series($hq), "$q: same series");
}
my ($hs, $ps) = map { scrape($_, '?scope=sticktable') } port('HFE'), port('FE');
is($ps, $hs, 'scope=sticktable: the same body');
like($ps, qr/\A# HELP haproxy_sticktable_size Stick table size\.\n# TYPE haproxy_sticktable_size gauge\n/,
    'scope=sticktable: only the stick tables');
$t->stop_proc($hpid);

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The exporter against the reference: Debian's HAProxy 2.6 (built with PROMEX) and portico
# run the same configuration; their /metrics must list the same families with the same
# HELP and TYPE lines, in the same order, and the same series (names and labels) — every
# difference being portico's histograms and build_info's version label.
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
$t->plan(7);

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
EOF

# the same configuration for both, on their own ports
(my $hcfg = $cfg) =~ s/%%PORT_(FE|TCP)%%/%%PORT_H$1%%/g;
$t->write_file('haproxy.cfg', $hcfg);
Test::Portico::_release(port($_)) for qw/ HFE HTCP /;
my $hpid = $t->spawn('haproxy', $haproxy, '-db', '-f', $t->testdir . '/haproxy.cfg');
$t->config($cfg)->run();

sub scrape {
    my ($port) = @_;
    my $r = http_parse(http_get('/metrics', port => $port, quiet => 1) // '') // {};
    return $r->{status} && $r->{status} == 200 ? $r->{body} : undef;
}

# both answer, and both ran their first health check (its families appear then)
my ($h, $p);
ok(wait_until(10, sub { $h = scrape(port('HFE')); $h && $h =~ /haproxy_server_check_duration_seconds\{/ }),
    'haproxy answers, check done') or diag $t->read_file('haproxy.log');
ok(wait_until(10, sub { $p = scrape(port('FE')); $p && $p =~ /haproxy_server_check_duration_seconds\{/ }),
    'portico answers, check done');
http_get("/x", port => port('FE'));
http_get("/x", port => port('HFE'));
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
$t->stop_proc($hpid);

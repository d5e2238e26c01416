#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# log-format: variables, flags, %[sample] expressions, literal text and %%; global log-tag,
# rfc5424 and len; an unknown variable is a configuration error naming file and line.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);

sub udp_listener {
    my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp');
    die "udp: $@" unless $s;
    return $s;
}

sub recv_lines {
    my ($s, $n, $timeout) = @_;
    my @got;
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    while (@got < $n) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $d;
        $s->recv($d, 65535);
        push @got, $d;
    }
    return @got;
}

# configuration errors first
$t->config(<<'EOF2');
defaults
    mode http
frontend fe
    bind 127.0.0.1:%%PORT_8090%%
    log-format "%ci %Zz"
EOF2
my ($rc, $out) = $t->check_config();
isnt($rc, 0, 'unknown log-format variable refused');
like($out, qr{portico\.cfg:5\b.*%?Zz}, 'the error names file:line and the variable');

my $u = udp_listener();
my $r5 = udp_listener();
my ($up, $rp) = ($u->sockport, $r5->sockport);
$t->origin_http(port(8081));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local2 info
    log 127.0.0.1:$rp len 120 format rfc5424 local3
    log-tag edge
defaults
    mode http
    %%TIMEOUTS%%
    log global
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log-format "%{+Q}o %ci %cp %fi %fp %f %b %s %si %sp %ST %HM %HU %HP %HQ %HV %{-Q}r %pid 100%% %[src] %{+X}Ts %ts %tsc %Tt %U [%hr]"
    default_backend be
EOF2

my $pid = $t->pid;
my $fp = port(8080);
my $sp = port(8081);
my $r = http_parse(http_get('/p/q?x=1'));
is($r->{status}, 200, 'request through the proxy');
my @l = recv_lines($u, 1, 5);
like($l[0] // '', qr{\A<150>[A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d edge\[$pid\]: }, 'local2.info, global log-tag');
my ($body) = ($l[0] // '') =~ /\]: (.*)\n\z/;
like($body // '', qr{\A"127\.0\.0\.1" \d+ "127\.0\.0\.1" $fp "fe" "be" "a" "127\.0\.0\.1" $sp 200 "GET" "/p/q\?x=1" "/p/q" "\?x=1" "HTTP/1\.1" GET /p/q\?x=1 HTTP/1\.1 $pid 100% "?127\.0\.0\.1"? [0-9A-F]{8} -- ---- \d+ \d+ \[\]\z},
    'variables, %o flags, -Q, %%, %[src], +X, states, literal brackets') or diag($body);

my @f = recv_lines($r5, 1, 5);
my $five = $f[0] // '';
like($five, qr{\A<158>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d - edge $pid - - "127}, 'rfc5424 header');
is(length $five, 121, 'len 120: line truncated to 120 bytes, then the line feed');
like($five, qr{\n\z}, 'truncated line still ends with a line feed');

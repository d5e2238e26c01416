#!/usr/bin/perl
# last_rule_file / last_rule_line: the file and line of the rule that ended a rule set of
# the transaction (deny, return, redirect, allow, tcp-request content accept...), seen in
# the log; none when no rule ended one; each transaction of a connection starts without one.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(10);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;

# The next log line's body (after the syslog header "tag[pid]: "), '' after 5 s.
sub next_log {
    my $sel = IO::Select->new($u);
    return '' unless $sel->can_read(5);
    my $d;
    $u->recv($d, 65535);
    return $d =~ /^<\d+>.*?\]: (.*?)\n?$/s ? $1 : '';
}

$t->origin_http(port(8081));
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    log-format "LR %[var(txn.p)] %ST %[last_rule_file] %[last_rule_line]"
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.p) path
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string ret if { path /ret }
    http-request redirect location /elsewhere if { path /redir }
    http-request allow if { path /allow }
    http-response deny if { var(txn.p) -m str /resdeny }
    default_backend be
frontend fe3
    bind 127.0.0.1:%%PORT_8082%%
    tcp-request content accept
    http-request set-var(txn.p) path
    default_backend be
EOF2

# Line numbers in the file portico (or HAProxy) read.
my $cfg = $t->config_path;
open my $fh, '<', $cfg or die "$cfg: $!";
my @lines = <$fh>;
close $fh;
my %at;
for my $i (0 .. $#lines) {
    $at{deny} = $i + 1 if $lines[$i] =~ /request deny if \{ path \/deny/;
    $at{ret} = $i + 1 if $lines[$i] =~ /return status 200/;
    $at{redir} = $i + 1 if $lines[$i] =~ /redirect location/;
    $at{allow} = $i + 1 if $lines[$i] =~ /allow if \{ path \/allow/;
    $at{resdeny} = $i + 1 if $lines[$i] =~ /http-response deny/;
    $at{tcp} = $i + 1 if $lines[$i] =~ /^    tcp-request content accept\s*$/;
}

for my $c (['/deny', 403, 'deny'], ['/ret', 200, 'ret'], ['/redir', 302, 'redir'],
           ['/allow', 200, 'allow'], ['/resdeny', 502, 'resdeny']) {
    http_get($c->[0]);
    is(next_log(), "LR $c->[0] $c->[1] $cfg $at{$c->[2]}", "$c->[0]: the last rule is $c->[2]");
}
http_get('/plain');
is(next_log(), 'LR /plain 200 - -', 'no final rule: no sample');

my @r = http_keepalive("GET /deny HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {port => port(8080)});
is(next_log(), "LR /deny 403 $cfg $at{deny}", 'keep-alive: the first request is denied');
is(next_log(), 'LR /plain 200 - -', 'keep-alive: the next one starts without a last rule');

# tcp-request content accept, then no final HTTP rule: the TCP rule is the last one.
my $r = http_parse(http_get('/plain', port => port(8082)));
is($r && $r->{status}, 200, 'tcp-request content accept: forwarded');
is(next_log(), "LR /plain 200 $cfg $at{tcp}", 'tcp-request content accept is the last rule');

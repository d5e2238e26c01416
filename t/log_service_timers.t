#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# A transaction answered by a service (http-request use-service) is logged as one whose
# connection was established when the request was ready: %Tw and %Tc are 0, %Tr and %Td
# are not -1, the server is <NOSRV>... as HAProxy logs its applets. Checked against HAProxy.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
sub log_line {
    my $sel = IO::Select->new($u);
    return '' unless $sel->can_read(5);
    $u->recv(my $d, 65535);
    return $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
}

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log-format "Tw=%Tw Tc=%Tc Tr=%Tr Td=%Td %ST"
    http-request use-service prometheus-exporter if { path /metrics }
    http-request return status 200 content-type text/plain string ok
EOF2

my $r = http_parse(Test::Portico::http("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
is($r && $r->{status}, 200, 'the exporter answers');
like(log_line(), qr/^Tw=0 Tc=0 Tr=\d+ Td=\d+ 200$/, 'a service: Tw and Tc are 0, Tr and Td set');
$r = http_parse(Test::Portico::http("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
is($r && $r->{status}, 200, 'return answers');
like(log_line(), qr/^Tw=-1 Tc=-1 Tr=-1 Td=-1 200$/, 'a return action is no service: -1 as HAProxy');

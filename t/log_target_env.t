#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "log <address>" with environment variables, as HAProxy 2.6 reads it: they are expanded
# before the address is parsed, so "${H}:${P}" with both unset is ":" (0.0.0.0, the default
# port 514, accepted: HAProxy's reg-tests/checks/agent-check.vtc relies on it), "${H}"
# unset is an empty address (refused with HAProxy's words), and set ones are used.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http_get port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(5);
delete $ENV{$_} for qw/ PTC_T_UNSET_H PTC_T_UNSET_P /;

sub check_cfg {
    my ($target) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n    %%TIMEOUTS%%\n"
        . "frontend f\n    bind 127.0.0.1:1\n    log $target local0\n    default_backend b\n"
        . "backend b\n    server s 127.0.0.1:1\n");
    return $c->check_config();
}
my ($rc, $o) = check_cfg('${PTC_T_UNSET_H}:${PTC_T_UNSET_P}');
is($rc, 0, 'log ${H}:${P}, both unset: accepted (0.0.0.0:514)') or diag($o);
($rc, $o) = check_cfg('${PTC_T_UNSET_H}');
isnt($rc, 0, 'log ${H} unset: refused');
like($o, qr/'\$\{PTC_T_UNSET_H\}' resolves to an empty address \(environment variable missing\?\)/,
    'refused with HAProxy\'s message') or diag($o);

# set: the expanded address receives the log lines
my $udp = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $lport = $udp->sockport;
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF')->run(env => { PTC_T_LOGH => '127.0.0.1', PTC_T_LOGP => $lport });
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    log ${PTC_T_LOGH}:${PTC_T_LOGP} local0
    option httplog
    default_backend be
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF
like(http_get('/envlog'), qr/^HTTP\/1\.1 200/, 'a request');
my $sel = IO::Select->new($udp);
my $got = '';
my $deadline = time + 5;
while (time < $deadline && $got !~ m{/envlog}) {
    next unless $sel->can_read(0.5);
    my $buf;
    $udp->recv($buf, 65536);
    $got .= $buf // '';
}
like($got, qr{GET /envlog}, 'log ${H}:${P} set: the line reaches the expanded address');

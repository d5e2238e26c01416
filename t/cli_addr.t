#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Runtime API "set server B/S addr A [port P]": traffic moves to the new origin in every
# worker, idle pooled connections to the old address are not reused; HAProxy's messages.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(11);
$t->origin_http(port(8081), body => 'old');
$t->origin_http(port(8082), body => 'new');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    nbthread 2
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-reuse always
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = $t->testdir . '/cli.sock';

sub cli { cli_send($sock, "$_[0]\n") }

sub bodies {
    my ($n) = @_;
    my %c;
    for (1 .. $n) {
        my $r = http_parse(http_get('/'));
        $c{$r ? $r->{body} : 'failed'}++;
    }
    return join(' ', map { "$_=$c{$_}" } sort keys %c);
}

is(bodies(6), 'old=6', 'traffic to the configured address');
my %conns = map { ($_->{conn} => 1) } $t->origin_requests(port(8081));
ok(keys %conns < 6, 'idle server connections were reused before the change');
my ($p1, $p2) = (port(8081), port(8082));
is(cli("set server be/a addr 127.0.0.1 port $p2"),
    "no need to change the addr, port changed from '$p1' to '$p2' by 'stats socket command'\n\n",
    'port change message');
my $before = () = $t->origin_requests($p1);
is(bodies(8), 'new=8', 'every request goes to the new address (pooled connections dropped)');
my $after = () = $t->origin_requests($p1);
is($after, $before, 'the old origin saw nothing more');
like(cli('show stat'), qr/\nbe,a,[^\n]*,127\.0\.0\.1:$p2,/, 'show stat shows the new address');
like(cli('show servers state be'), qr/ a 127\.0\.0\.1 .* $p2 /, 'show servers state too');
is(cli("set server be/a addr 127.0.0.2"),
    "IP changed from '127.0.0.1' to '127.0.0.2' by 'stats socket command'\n\n",
    'IP change message');
is(cli("set server be/a addr 127.0.0.1 port $p1"),
    "IP changed from '127.0.0.2' to '127.0.0.1', port changed from '$p2' to '$p1' by "
    . "'stats socket command'\n\n", 'IP and port change message');
is(bodies(4), 'old=4', 'back to the first origin');
is(cli('set server be/a addr bad'), "Invalid addr 'bad' by 'stats socket command'\n\n",
    'invalid address');

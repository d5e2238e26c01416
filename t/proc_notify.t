#!/usr/bin/perl
# Tests for -Ws (systemd notify): READY=1 once serving, RELOADING=1 then READY=1 around
# a reload, STOPPING=1 at stop — read from a datagram socket the test owns (NOTIFY_SOCKET).
use warnings;
use strict;
use Test::More;
use IO::Select;
use Socket qw/ AF_UNIX SOCK_DGRAM pack_sockaddr_un /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(6);
my $path = $t->testdir . '/notify.sock';
socket(my $ns, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
bind($ns, pack_sockaddr_un($path)) or die "bind: $!";
my $sel = IO::Select->new($ns);

# The next datagrams, up to TIMEOUT seconds, until one matches RE; returns them joined.
sub notes_until {
    my ($re, $timeout) = @_;
    my $all = '';
    my $end = Time::HiRes::time() + $timeout;
    while (Time::HiRes::time() < $end) {
        last unless $sel->can_read($end - Time::HiRes::time());
        my $msg;
        recv($ns, $msg, 4096, 0);
        $all .= $msg;
        last if $all =~ $re;
    }
    return $all;
}

$t->config(<<'EOF2');
global
    maxconn 100
    workers 2
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain string up
EOF2
$t->run(args => ['-Ws'], env => { NOTIFY_SOCKET => $path });
like(notes_until(qr/READY=1/, 5), qr/^READY=1$/m, '-Ws: READY=1 at start');
is(http_parse(http_get('/'))->{body}, 'up', 'serving');
$t->reload;
my $n = notes_until(qr/READY=1/, 5);
like($n, qr/RELOADING=1.*READY=1/s, 'reload: RELOADING=1 then READY=1') or diag($n);
like($n, qr/^STATUS=/m, 'reload: a STATUS= line');
is(http_parse(http_get('/'))->{body}, 'up', 'serving after the reload');
$t->signal('TERM');
like(notes_until(qr/STOPPING=1/, 5), qr/^STOPPING=1$/m, 'stop: STOPPING=1');
$t->wait_exit(5);

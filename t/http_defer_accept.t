#!/usr/bin/perl
# Tests for defer-accept: HTTP listeners defer accepting until the client speaks (portico's
# default), and no-defer-accept restores HAProxy's behaviour (408 for silent clients).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(4);
$t->origin_http(port(8081), body => 'ok');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout http-request 300ms
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend deferred
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
frontend immediate
    bind 127.0.0.1:%%PORT_8082%% no-defer-accept
    default_backend be
EOF2

# What a silent client receives within <wait> seconds.
sub silent {
    my ($port, $wait) = @_;
    my $c = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die "$!";
    my $sel = IO::Select->new($c);
    my $buf = '';
    my $end = time + $wait;
    while (time < $end && $sel->can_read($end - time)) {
        my $n = sysread($c, my $d, 4096);
        last unless $n;
        $buf .= $d;
    }
    close $c;
    return $buf;
}

like(silent(port(8082), 2), qr{^HTTP/1\.1 408 }, 'no-defer-accept: a silent client gets 408');
is(silent(port(8080), 0.8), '', 'deferred: a silent client is not accepted yet, so no 408');
my $r = http_parse(http_get('/'));
is($r && $r->{status}, 200, 'deferred listener serves requests');
$r = http_parse(http_get('/', port => port(8082)));
is($r && $r->{status}, 200, 'no-defer-accept listener serves requests');

#!/usr/bin/perl
# Upgrade (WebSocket-style): 101 turns the connection into a tunnel with timeout tunnel.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->origin_http(port(8081), raw => sub {
    my ($c) = @_;
    print $c "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";
    while (sysread($c, my $b, 4096)) { syswrite($c, "echo:$b") }
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout tunnel 1s
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080)) or die;
print $s "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
my $buf = '';
local $SIG{ALRM} = sub { die "timeout\n" };
alarm 5;
sysread($s, $buf, 4096, length $buf) until $buf =~ /\r\n\r\n/;
like($buf, qr{^HTTP/1\.1 101 }, '101 forwarded');
syswrite($s, "frame1");
my $got = '';
sysread($s, $got, 4096, length $got) until $got =~ /frame1/;
is($got, 'echo:frame1', 'bytes tunnelled both ways');
my $n = sysread($s, my $rest, 4096); # closed by timeout tunnel
alarm 0;
ok(!$n, 'tunnel closed after timeout tunnel');

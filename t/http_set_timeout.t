#!/usr/bin/perl
# http-request set-timeout server|tunnel <timeout>|<expr> (HAProxy 2.6): the transaction's
# server or tunnel timeout, seen by cur_server_timeout / cur_tunnel_timeout and applied to
# the exchange; configuration errors ("client", 0, a proxy without backend capability).
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(14);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;

sub next_log {
    my $sel = IO::Select->new($u);
    return '' unless $sel->can_read(5);
    my $d;
    $u->recv($d, 65535);
    return $d =~ /^<\d+>.*?\]: (.*?)\n?$/s ? $1 : '';
}

$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    if ($req->{uri} =~ m{^/ws}) {
        print $c "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
            . "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        while (sysread($c, my $b, 4096)) { syswrite($c, "echo:$b") }
        return;
    }
    sleep 3 if $req->{uri} =~ m{^/slow};
    print $c "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
});
$t->config(<<"EOF2")->run();
%%GLOBAL%%
    log 127.0.0.1:$up local0
defaults
    mode http
    %%TIMEOUTS%%
    timeout server 10s
    timeout tunnel 20s
    log global
    log-format "timeout: %[var(txn.p)] %[be_server_timeout] %[cur_server_timeout] %[cur_tunnel_timeout]"
backend be
    http-request set-timeout server 1s if { path /slow }
    http-request set-timeout server int(3),mul(1000) if { path /expr }
    http-request set-timeout server req.hdr(x-tmo) if { path /hdr }
    http-request set-timeout tunnel 1s if { path_beg /ws }
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.p) path
    default_backend be
listen li
    bind 127.0.0.1:%%PORT_8082%%
    http-request set-var(txn.p) path
    http-request set-timeout server 5s
    server a 127.0.0.1:%%PORT_8081%%
EOF2

my $r = http_parse(http_get('/plain'));
is($r && $r->{status}, 200, 'no rule: forwarded');
is(next_log(), 'timeout: /plain 10000 10000 20000', 'no rule: the backend timeouts');
http_get('/plain', port => port(8082));
is(next_log(), 'timeout: /plain 10000 5000 20000', 'listen: set-timeout server 5s');
http_get('/expr');
is(next_log(), 'timeout: /expr 10000 3000 20000', 'set-timeout server <expr>');
http_get('/hdr', headers => ['X-Tmo' => '4500']);
is(next_log(), 'timeout: /hdr 10000 4500 20000', 'set-timeout server from a header');
http_get('/hdr', headers => ['X-Tmo' => 'abc']);
is(next_log(), 'timeout: /hdr 10000 10000 20000', 'an expression without an integer: unchanged');

# The server timeout of the transaction applies: 1 s instead of 10 s against a 3 s origin.
$r = http_parse(http_get('/slow', timeout => 8));
is($r && $r->{status}, 504, 'set-timeout server 1s: 504 from a slow server');
is(next_log(), 'timeout: /slow 10000 1000 20000', 'logged with its server timeout');

# The tunnel timeout of the transaction: 1 s instead of 20 s.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080)) or die;
print $s "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
my $buf = '';
my $closed = eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 8;
    sysread($s, $buf, 4096, length $buf) until $buf =~ /\r\n\r\n/;
    syswrite($s, "frame1");
    my $got = '';
    sysread($s, $got, 4096, length $got) until $got =~ /frame1/;
    my $n = sysread($s, my $rest, 4096);
    alarm 0;
    !$n;
};
alarm 0;
like($buf, qr{^HTTP/1\.1 101 }, '101 forwarded');
ok($closed, 'tunnel closed by set-timeout tunnel 1s (timeout tunnel is 20s)');
close $s;
is(next_log(), 'timeout: /ws 10000 10000 1000', 'logged with its tunnel timeout');

sub cfg {
    my ($body) = @_;
    my $c = Test::Portico->new();
    $c->config("global\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n"
        . "    timeout connect 5s\n$body");
    return $c->check_config();
}
my ($rc, $out) = cfg("backend b\n    http-request set-timeout client 5s\n    server a 127.0.0.1:1\n");
isnt($rc, 0, "set-timeout client is refused (HAProxy 2.6)") or diag($out);
($rc, $out) = cfg("backend b\n    http-request set-timeout server 0\n    server a 127.0.0.1:1\n");
isnt($rc, 0, 'set-timeout server 0 is refused') or diag($out);
($rc, $out) = cfg("frontend f\n    bind 127.0.0.1:18999\n    http-request set-timeout server 5s\n");
isnt($rc, 0, 'set-timeout in a frontend is refused') or diag($out);

#!/usr/bin/perl
# Tests for proxy-generated errors: 503 without server, 502 on origin close, 504 on server timeout.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);

# Promises 100 bytes, sends 5, closes.
$t->origin_http(port(8081), raw => sub {
    my ($sock) = @_;
    syswrite $sock,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort";
    sleep 0.2;
});
# Closes without sending a byte.
$t->origin_http(port(8082), raw => sub { });
# Answers after 3 s.
$t->origin_http(port(8083), raw => sub {
    my ($sock) = @_;
    sleep 3;
    syswrite $sock, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate";
});

$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend empty
backend midclose
    server a 127.0.0.1:%%PORT_8081%%
backend noresp
    server a 127.0.0.1:%%PORT_8082%%
backend slow
    timeout server 500ms
    server a 127.0.0.1:%%PORT_8083%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend empty
frontend fe_midclose
    bind 127.0.0.1:%%PORT_8091%%
    default_backend midclose
frontend fe_noresp
    bind 127.0.0.1:%%PORT_8092%%
    default_backend noresp
frontend fe_slow
    bind 127.0.0.1:%%PORT_8093%%
    default_backend slow
EOF2

my $r = http_parse(http_get('/'));
is($r && $r->{status}, 503, '503 when the backend has no server');

$r = http_parse(http_get('/midclose', port => port(8091)));
ok($r && ($r->{status} == 502 || $r->{incomplete}),
    'origin closing mid-response: 502 or truncated response, never a complete one')
    or diag(explain $r);
ok($r && !($r->{status} == 200 && length($r->{body}) == 100), 'no complete 200 forged');

$r = http_parse(http_get('/noresp', port => port(8092)));
is($r && $r->{status}, 502, '502 when the origin closes before responding');
is(scalar($t->origin_requests(port(8082))), 1, 'request sent once to the closing origin');

my $start = time;
$r = http_parse(http_get('/slow', port => port(8093)));
my $took = time - $start;
is($r && $r->{status}, 504, '504 after timeout server');
ok($took >= 0.4 && $took < 2.5, 'gateway timeout took about 500ms') or diag("took $took s");
unlike($r ? $r->{body} : '', qr/late/, 'late origin answer not forwarded');

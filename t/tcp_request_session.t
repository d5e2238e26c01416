#!/usr/bin/perl
# tcp-request session rules: evaluated once per connection, after the PROXY header, before
# the content and HTTP rules: set-var (sess scope), track-sc0, sc-inc-gpc0, sc-set-gpt0,
# accept (stops the rule set), reject (closes the connection, nothing logged).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->origin_http(port(8081));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend st
    stick-table type ip size 100 expire 1m store conn_cnt,gpc0,gpt0
frontend fe
    bind 127.0.0.1:%%PORT_8080%% accept-proxy
    tcp-request connection set-var(sess.order) str(conn)
    tcp-request session set-var(sess.order) var(sess.order),concat(+sess)
    tcp-request session set-var(sess.src) src
    tcp-request session accept if { src 10.9.9.9 }
    tcp-request session reject if { src 10.9.9.0/24 }
    tcp-request session track-sc0 src table st
    tcp-request session sc-inc-gpc0(0)
    tcp-request session sc-set-gpt0(0) 42
    tcp-request content set-var(sess.order) var(sess.order),concat(+content)
    http-request return status 200 content-type text/plain lf-string "%[var(sess.src)]|%[sc0_conn_cnt]|%[sc0_get_gpc0]|%[sc0_get_gpt0]|%[var(sess.order)]"
    default_backend be
EOF2

sub req { "GET /$_[0] HTTP/1.1\r\nHost: x\r\n" . ($_[1] ? "Connection: close\r\n" : '') . "\r\n" }
sub pp { "PROXY TCP4 $_[0] 127.0.0.1 5555 80\r\n" }

# Two requests on one connection: the session rules ran once (gpc0 1), the content rules
# once per request.
my @r = http_keepalive(pp('10.1.2.3') . req('a'), req('b', 1), {port => port(8080)});
is($r[0] && $r[0]{body}, '10.1.2.3|1|1|42|conn+sess+content', 'first request: session rules ran');
is($r[1] && $r[1]{body}, '10.1.2.3|1|1|42|conn+sess+content+content',
    'second request of the connection: not again');

# A second connection from the same (PROXY) source: tracked again.
@r = http_keepalive(pp('10.1.2.3') . req('c', 1), {port => port(8080)});
is($r[0] && $r[0]{body}, '10.1.2.3|2|2|42|conn+sess+content', 'next connection counted');

# reject: the connection is closed before any response.
my $out = http(pp('10.9.9.8') . req('d', 1), port => port(8080));
is($out // '', '', 'reject: closed without a response');

# accept stops the session rules: no reject, no tracking.
@r = http_keepalive(pp('10.9.9.9') . req('e', 1), {port => port(8080)});
is($r[0] && $r[0]{body}, '10.9.9.9||||conn+sess+content',
    'accept: later session rules skipped');

# Without a PROXY header the connection is refused before the session rules.
$out = http(req('f', 1), port => port(8080), quiet => 1);
unlike($out // '', qr/^HTTP/, 'no PROXY header: no response');

sub cfg {
    my ($body) = @_;
    my $c = Test::Portico->new();
    $c->config("global\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n"
        . "    timeout connect 5s\n$body");
    return $c->check_config();
}
my ($rc, $o) = cfg("frontend f\n    bind 127.0.0.1:18999\n    tcp-request session set-var(sess.a) src\n"
    . "    tcp-request session silent-drop if { src 10.0.0.1 }\n");
is($rc, 0, 'set-var and silent-drop accepted') or diag($o);
($rc, $o) = cfg("backend b\n    tcp-request session accept\n    server a 127.0.0.1:1\n");
isnt($rc, 0, 'refused in a backend') or diag($o);
($rc, $o) = cfg("frontend f\n    bind 127.0.0.1:18999\n    tcp-request session capture src len 10\n");
isnt($rc, 0, 'capture is not a session action') or diag($o);

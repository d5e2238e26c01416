#!/usr/bin/perl
# Lua core.httpclient() (lua/examples/httpclient.lua): get, head, put, post and delete
# against a harness origin from an http-request action, an http-response action, a service
# and a task; request bodies and responses larger than a connection buffer, chunked
# responses, repeated headers, "dst" (ip:port and unix@), a refused connection (503, as HAProxy)
# and a bad argument.
use warnings;
use strict;
use Test::More;
use File::Spec;
use Digest::MD5 qw/ md5_hex /;
use lib 't/lib';
use Test::Portico qw/ http_end http_get http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(31);
my $script = File::Spec->rel2abs('lua/examples/httpclient.lua');
my $base = 'http://127.0.0.1:' . port(8081);
my $closed = port(8083); # nothing listens there
my $unix = $t->testdir . '/origin.sock';

my $handler = sub {
    my ($req) = @_;
    return (200, ['Transfer-Encoding' => 'chunked'], "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")
        if $req->{uri} eq '/chunked';
    return (404, [], "nope") if $req->{uri} eq '/missing';
    return (200, ['X-Multi' => 'a', 'X-Multi' => 'b'], '') if $req->{uri} eq '/multi';
    my $body = $req->{uri} eq '/big' ? 'x' x 54000
        : $req->{uri} eq '/echo-len' ? '' : $req->{body};
    return (200, ['X-Method' => $req->{method}, 'X-Uri' => $req->{uri},
        'X-Len' => length $req->{body}, 'X-Host' => $req->{h}{host} // '-',
        'X-From' => $req->{h}{'x-from'} // '-'], $body);
};
$t->origin_http(port(8081), handler => $handler);
$t->origin_http_unix($unix, handler => $handler);
$t->origin_http(port(8082), echo => 1);
@ENV{qw/ HC_BASE HC_CLOSED HC_UNIX /} = ($base, $closed, $unix);
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request use-service lua.hc_svc if { path /svc }
    http-request use-service lua.task_result if { path /task }
    http-request lua.hc_get if { path_beg /get }
    http-request set-var(txn.hc) int(1) if { path_beg /get }
    http-response lua.hc_post if { var(txn.hc) -m int 1 }
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8082%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

my $r = http_parse(http_get('/get/one'));
is($r && $r->{status}, 200, 'request through the actions: 200');
like($r ? $r->{body} : '', qr/^X-HC: 200 GET hc_get 0\r$/mi,
    'http-request action: GET with a header, the response status and headers')
    or diag($r && $r->{raw});
SKIP: {
    # HAProxy 2.6: "Lua function 'hc_post': yield not allowed" in http-response hooks
    skip('HAProxy 2.6: httpclient in an http-response hook', 1) unless $t->portico;
    is($r && $r->{h}{'x-hc-post'}, '200 POST /from-response status=200',
        'http-response action: POST with a body, the response body');
}

# 30 concurrent clients, each request waiting for two httpclient calls
my @socks = map { http_get("/get/c$_", start => 1) } 1 .. 30;
my $ok = 0;
for my $i (0 .. $#socks) {
    my $x = $socks[$i] ? http_parse(http_end($socks[$i])) : undef;
    $ok++ if $x && $x->{body} =~ /^X-HC: 200 GET hc_get 0\r$/mi
        && ($x->{h}{'x-hc-post'} // '') eq '200 POST /from-response status=200';
}
SKIP: {
    skip('HAProxy 2.6: httpclient in an http-response hook', 1) unless $t->portico;
    is($ok, 30, '30 concurrent clients, each with httpclient calls in both hooks');
}

my $portico = $t->portico;
my $res;
wait_until(10, sub {
    $r = http_parse(http_get('/task'));
    $res = $r ? $r->{body} : '';
    $res =~ /^delete: /m;
});
like($res, qr{^big: 62922 62922 54000 54000$}m,
    'task: a 62922-byte POST, a 54000-byte response posted back with PUT') or diag($res);
check($res, 'task');

SKIP: {
    # HAProxy 2.6 times the service out (its httpclient does not work from an applet)
    skip('HAProxy 2.6: httpclient in a service', 13) unless $portico;
    $r = http_parse(http_get('/svc'));
    is($r && $r->{status}, 200, 'service: 200') or diag($r && $r->{raw});
    check($r ? $r->{body} : '', 'service');
}

sub check {
    my ($res, $what) = @_;
    like($res, qr{^get: 200 OK GET /m/get 0 \[\]$}m, "$what: get") or diag($res);
    like($res, qr{^head: 200 OK HEAD /m/head 0 \[\]$}m, "$what: head (no body read)");
    like($res, qr{^put: 200 OK PUT /m/put 8 \[body-put\]$}m, "$what: put with a body");
    like($res, qr{^post: 200 OK POST /m/post 9 \[body-post\]$}m, "$what: post with a body");
    like($res, qr{^chunked: 200 \[hello world\]$}m, "$what: a chunked response body");
    like($res, qr{^multi: a b$}m, "$what: a repeated header: values at [0] and [1]");
    like($res, qr{^missing: 404 Not Found$}m, "$what: status and reason of an error response");
    like($res, qr{^refused: 503 Service Unavailable text\/html$}m, "$what: a refused connection: 503 as HAProxy");
    like($res, qr{^dst: 200 origin\.example$}m, "$what: dst, Host from the URL");
    like($res, qr{^unix: 200 named\.example /unix$}m, "$what: dst unix@, Host from the headers");
    like($res, qr{^bad: false 'uri' invalid parameter name$}m,
        "$what: an unknown field raises an error");
    like($res, qr{^delete: 200 OK DELETE /m/delete 0 \[\]$}m, "$what: delete");
}

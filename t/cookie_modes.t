#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Persistence cookies (HAProxy 2.6 semantics, checked against HAProxy itself): insert
# (indirect, nocache, httponly, secure, domain, attr, postonly, preserve), rewrite, prefix,
# a cookie naming a stopped server going elsewhere and being replaced, an unknown cookie,
# and the two cookie letters of the log's termination state (%tsc).
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(38);

my $u = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "udp: $@";
my $up = $u->sockport;
sub log_line {
    my $sel = IO::Select->new($u);
    return '' unless $sel->can_read(5);
    my $d;
    $u->recv($d, 65535);
    return $d =~ /\]: (.*?)\n?$/s ? $1 : $d;
}
sub drain_logs { my $sel = IO::Select->new($u); while ($sel->can_read(0.3)) { my $d; $u->recv($d, 65535) } }

# Each origin answers with its name, what Cookie header it received, and for /setck the
# application's own session cookie.
for my $n (1, 2) {
    $t->origin_http(port(8080 + $n), handler => sub {
        my ($req) = @_;
        my @h = ('Content-Type' => 'text/plain', 'X-Srv' => "s$n",
            'X-Got-Cookie' => $req->{h}{cookie} // '<none>');
        push @h, 'Set-Cookie' => 'JSESSIONID=abc; path=/' if $req->{uri} =~ /setck/;
        push @h, 'Set-Cookie' => 'SRV=fromapp; path=/' if $req->{uri} =~ /appsrv/;
        push @h, 'Cache-Control' => 'no-store' if $req->{uri} =~ /nostore/;
        push @h, 'Cache-Control' => 'max-age=60' if $req->{uri} =~ /fresh/;
        push @h, 'ETag' => '"x1"' if $req->{uri} =~ /etag/;
        return (200, \@h, "s$n\n");
    });
}

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    log 127.0.0.1:$up local0
    log-format "%b/%s %ST %tsc"
backend ins
    balance roundrobin
    cookie SRV insert indirect nocache httponly secure domain .example.com attr "SameSite=Lax"
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
backend plain
    balance roundrobin
    cookie SRV insert
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
backend rw
    balance roundrobin
    cookie JSESSIONID rewrite
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
backend pfx
    balance roundrobin
    cookie JSESSIONID prefix
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
backend post
    cookie SRV insert postonly
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
backend psv
    cookie SRV insert preserve
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
backend down
    cookie SRV insert indirect
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2 disabled
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend %[req.hdr(x-be)]
EOF2

sub get {
    my ($be, $path, %o) = @_;
    my $h = join '', map { "$_->[0]: $_->[1]\r\n" } @{$o{hdrs} // []};
    my $m = $o{method} // 'GET';
    my $body = $m eq 'POST' ? "Content-Length: 0\r\n" : '';
    my $r = http("$m $path HTTP/1.1\r\nHost: h\r\nX-Be: $be\r\n$h${body}Connection: close\r\n\r\n",
        port => port(8080));
    return http_parse($r) // { h => {}, headers => [] };
}
sub setck { my ($r) = @_; return join ' || ', map { $_->[1] } grep { $_->[0] eq 'set-cookie' } @{$r->{headers}} }

drain_logs();
# insert + indirect: no cookie -> balanced, cookie inserted with every attribute, nocache
my $r = get('ins', '/fresh');
my $srv = $r->{h}{'x-srv'};
like($srv, qr/^s[12]$/, 'insert: balanced to a server');
(my $ck = $srv) =~ s/s/c/;
is(setck($r), "SRV=$ck; path=/; domain=.example.com; HttpOnly; Secure; SameSite=Lax",
    'insert: Set-Cookie with path, domain, HttpOnly, Secure, attr');
is($r->{h}{'cache-control'}, 'max-age=60, private', 'nocache: Cache-control: private on a cacheable response');
is(log_line(), "ins/$srv 200 --NI", 'log: no cookie, inserted');

# the cookie sends the client to its server, removed before the server (indirect)
for my $c (qw/ c1 c2 /) {
    $r = get('ins', '/', hdrs => [['Cookie', "a=1; SRV=$c; b=2"]]);
    (my $s = $c) =~ s/c/s/;
    is($r->{h}{'x-srv'}, $s, "insert: cookie $c goes to $s");
    is($r->{h}{'x-got-cookie'}, 'a=1; b=2', 'indirect: the server does not see the cookie');
    is(setck($r), '', 'direct hit: no Set-Cookie');
    is(log_line(), "ins/$s 200 --VN", 'log: valid cookie, none set');
}
# only cookie in the header: the header goes away
$r = get('ins', '/', hdrs => [['Cookie', 'SRV=c2']]);
is($r->{h}{'x-got-cookie'}, '<none>', 'indirect: a Cookie header with only ours is removed');
log_line();

# an unknown value: invalid, balanced and replaced
$r = get('ins', '/', hdrs => [['Cookie', 'SRV=zz']]);
like(setck($r), qr/^SRV=c[12]; path=\//, 'invalid cookie: a new one is inserted');
like(log_line(), qr{^ins/s[12] 200 --II$}, 'log: invalid cookie, inserted');

# nocache does not touch a response that is not cacheable
$r = get('ins', '/nostore');
is($r->{h}{'cache-control'}, 'no-store', 'nocache: a no-store response keeps its header only');
$r = get('ins', '/');
is($r->{h}{'cache-control'}, undef, 'nocache: no freshness nor validator: not cacheable');
$r = get('ins', '/etag');
is($r->{h}{'cache-control'}, 'private', 'nocache: a validator (ETag) makes it cacheable');
$r = get('ins', '/fresh', method => 'POST');
is($r->{h}{'cache-control'}, 'max-age=60', 'nocache: a POST response is not cacheable');
drain_logs();

# without indirect the server sees the cookie; the app's own SRV cookie is replaced
$r = get('plain', '/appsrv', hdrs => [['Cookie', 'SRV=c1']]);
is($r->{h}{'x-srv'}, 's1', 'insert (direct): cookie honoured');
is($r->{h}{'x-got-cookie'}, 'SRV=c1', 'insert without indirect: the server sees the cookie');
is(setck($r), '', "insert: the server's own SRV cookie is deleted on a direct hit");
is(log_line(), 'plain/s1 200 --VD', 'log: valid, server cookie deleted');

# rewrite: the server's cookie value becomes the server's cookie
$r = get('rw', '/setck');
$srv = $r->{h}{'x-srv'};
($ck = $srv) =~ s/s/c/;
is(setck($r), "JSESSIONID=$ck; path=/", 'rewrite: server cookie value replaced');
is(log_line(), "rw/$srv 200 --NR", 'log: rewritten');
$r = get('rw', '/', hdrs => [['Cookie', 'JSESSIONID=c2']]);
is($r->{h}{'x-srv'}, 's2', 'rewrite: the cookie picks the server');
is($r->{h}{'x-got-cookie'}, 'JSESSIONID=c2', 'rewrite: the server sees the cookie');
log_line();

# prefix: "<server>~" before the application's value, stripped on the way in
$r = get('pfx', '/setck');
$srv = $r->{h}{'x-srv'};
($ck = $srv) =~ s/s/c/;
is(setck($r), "JSESSIONID=$ck~abc; path=/", 'prefix: server cookie prefixed');
is(log_line(), "pfx/$srv 200 --NR", 'log: prefixed (rewritten)');
$r = get('pfx', '/', hdrs => [['Cookie', 'x=y; JSESSIONID=c1~abc']]);
is($r->{h}{'x-srv'}, 's1', 'prefix: the prefix picks the server');
is($r->{h}{'x-got-cookie'}, 'x=y; JSESSIONID=abc', 'prefix: the server sees its own value');
log_line();

# postonly: only a POST gets the cookie
$r = get('post', '/');
is(setck($r), '', 'postonly: no cookie on GET');
$r = get('post', '/', method => 'POST');
is(setck($r), 'SRV=c1; path=/', 'postonly: cookie on POST');
drain_logs();

# preserve: the server's own cookie is kept and nothing is inserted
$r = get('psv', '/appsrv');
is(setck($r), 'SRV=fromapp; path=/', "preserve: the server's cookie is left alone");
is(log_line(), 'psv/s1 200 --NP', 'log: passive');

# a cookie naming a stopped server goes elsewhere and is replaced
$r = get('down', '/', hdrs => [['Cookie', 'SRV=c2']]);
is($r->{h}{'x-srv'}, 's1', 'down server: redispatched');
is(setck($r), 'SRV=c1; path=/', 'down server: the cookie is replaced');
is(log_line(), 'down/s1 200 --DI', 'log: cookie for a down server, inserted');

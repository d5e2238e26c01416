#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Conditions on stick rules ("stick on ... if <cond>"), "stick store-response" (a session
# id the server hands out brings its later requests back to it), "force-persist" (a
# cookie still reaches a server in maintenance) and "ignore-persist" (the cookie is
# ignored, no cookie is set), and their -c errors. Passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(12);

$t->origin_http(port(8081), handler => sub { (200, ['X-Srv' => 's1', 'X-Session' => 'from-s1'], "s1\n") });
$t->origin_http(port(8082), handler => sub { (200, ['X-Srv' => 's2', 'X-Session' => 'from-s2'], "s2\n") });
$t->config(<<'EOF2')->run();
global
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend cond
    balance roundrobin
    stick-table type string len 16 size 100 expire 1m
    stick on req.hdr(x-user) if { req.hdr(x-stick) -m found }
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
backend res
    balance roundrobin
    stick-table type string len 16 size 100 expire 1m
    stick match req.cook(sid)
    stick store-response res.hdr(x-session)
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
backend ck
    balance roundrobin
    cookie SRV insert indirect nocache
    force-persist if { req.hdr(x-force) -m found }
    ignore-persist if { req.hdr(x-ignore) -m found }
    server s1 127.0.0.1:%%PORT_8081%% cookie c1
    server s2 127.0.0.1:%%PORT_8082%% cookie c2
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend res if { path_beg /res }
    use_backend ck if { path_beg /ck }
    default_backend cond
EOF2
my $sock = $t->testdir . '/cli.sock';
sub get {
    my ($path, @h) = @_;
    my $hs = join '', map { "$_\r\n" } @h;
    return http_parse(http("GET $path HTTP/1.1\r\nHost: h\r\n${hs}Connection: close\r\n\r\n",
        port => port(8080))) // { h => {} };
}
sub srv { get(@_)->{h}{'x-srv'} // '' }

# conditions: only the requests with X-Stick stick
my %seen;
$seen{srv('/', 'X-User: carol')}++ for 1 .. 6;
is(scalar(keys %seen), 2, 'stick on ... if: without the condition, requests are balanced');
my $out = cli_send($sock, "show table cond\n");
unlike($out, qr/key=carol/, 'and nothing is stored') or diag($out);
my $first = srv('/', 'X-User: bob', 'X-Stick: 1');
%seen = ();
$seen{srv('/', 'X-User: bob', 'X-Stick: 1')}++ for 1 .. 6;
is_deeply(\%seen, { $first => 6 }, 'with the condition the client sticks to its server');

# store-response: the session id handed out by a server brings the client back to it
my $r = get('/res');
my $sess = $r->{h}{'x-session'} // '';
like($sess, qr/^from-s[12]$/, 'a server hands out a session id');
%seen = ();
$seen{srv('/res', "Cookie: sid=$sess")}++ for 1 .. 6;
my ($want) = $sess =~ /(s[12])$/;
is_deeply(\%seen, { $want => 6 }, 'stick store-response: the session id goes back to its server');
$out = cli_send($sock, "show table res key $sess\n");
like($out, qr/key=$sess use=0 exp=\d+ server_id=\d server_key=$want\n/, 'stored with the server that answered') or diag($out);

# ignore-persist: the cookie is not used and none is set
%seen = ();
my $setck = 0;
for (1 .. 4) {
    my $x = get('/ck', 'Cookie: SRV=c1', 'X-Ignore: 1');
    $seen{$x->{h}{'x-srv'} // ''}++;
    $setck++ if defined $x->{h}{'set-cookie'};
}
is(scalar(keys %seen), 2, 'ignore-persist: the cookie is ignored, requests are balanced');
is($setck, 0, 'ignore-persist: no cookie set');
is(srv('/ck', 'Cookie: SRV=c1'), 's1', 'without it the cookie persists');

# force-persist: a server in maintenance still gets the requests of its cookie
cli_send($sock, "disable server ck/s1\n");
is(srv('/ck', 'Cookie: SRV=c1'), 's2', 'a cookie naming a server in maintenance goes elsewhere');
is(srv('/ck', 'Cookie: SRV=c1', 'X-Force: 1'), 's1', 'force-persist: it reaches that server anyway');

sub check_err {
    my ($cfg, $re, $name) = @_;
    my $c = Test::Portico->new();
    $c->config("%%GLOBAL%%\ndefaults\n    mode http\n$cfg");
    my ($rc, $o) = $c->check_config();
    ok($rc != 0 && $o =~ $re, $name) or diag($o);
}
check_err("backend b\n    force-persist\n    server s 127.0.0.1:1\n",
    qr/cfg:\d+\b.*force-persist.*requires either 'if' or 'unless'/, 'force-persist without a condition refused');

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Each request of a keep-alive connection selects its backend anew, as each HAProxy stream
# does: persistence cookies are read on every request (they were read on the first alone, so
# later requests were balanced whatever their cookie said); a request answered by the
# frontend logs "fe/<NOSRV>" and is not counted by the last request's backend; its error page
# and http-after-response rules are not those of the previous request's backend.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http stick /)->plan(11);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->write_file('be403.http', "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nbackend page\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    log stderr format raw local0
defaults
    mode http
    %%TIMEOUTS%%
    log global
    log-format "LOG %b/%s %ST %{+Q}r"
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request deny deny_status 403 if { path /deny }
    use_backend be2 if { path_beg /two }
    default_backend be
backend be
    balance roundrobin
    cookie SRV insert indirect nocache
    errorfile 403 %%TESTDIR%%/be403.http
    http-after-response set-header X-After be
    server a 127.0.0.1:%%PORT_8081%% cookie a
    server b 127.0.0.1:%%PORT_8082%% cookie b
backend be2
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my $sock = $t->testdir . '/cli.sock';

sub get {
    my ($path, $cookie) = @_;
    return "GET $path HTTP/1.1\r\nHost: x\r\n" . ($cookie ? "Cookie: SRV=$cookie\r\n" : '') . "\r\n";
}

# persistence: the cookie of each request chooses its server, on one connection
my @ck = ('', 'b', 'b', 'a', 'b', 'a', 'a', 'b');
my @r = http_keepalive(map { get('/', $_) } @ck);
my @got = map { $_ ? $_->{body} : 'none' } @r;
is("@got[1 .. $#got]", 'b b a b a a b', 'each request of the connection follows its own cookie');
is(scalar(grep { $_ && $_->{status} == 200 } @r), scalar(@ck), 'all answered');

# a request the frontend denies after one served by "be": the frontend's answer and log
my $mark = $t->errlog_mark;
my ($ok, $denied, $two) = http_keepalive(get('/', ''), get('/deny', ''), get('/two', ''));
is($ok && $ok->{status}, 200, 'first request served');
is($denied && $denied->{status}, 403, 'second request denied by the frontend');
unlike($denied ? $denied->{body} : '', qr/backend page/, "not the previous backend's error page");
ok($denied && !defined $denied->{h}{'x-after'}, "nor its http-after-response rules");
is($two && $two->{body}, 'a', 'third request: another backend, same connection');
my $log = $t->wait_log(qr/LOG \S+ 200 "GET \/two/, 5, $mark) && substr($t->errlog, $mark);
like($log // '', qr{LOG be/\S+ 200 "GET / HTTP/1\.1"\n}, 'log: the first on be');
like($log // '', qr{LOG fe/<NOSRV> 403 "GET /deny HTTP/1\.1"\n}, 'log: the denied one on fe/<NOSRV>');
like($log // '', qr{LOG be2/a 200 "GET /two HTTP/1\.1"\n}, 'log: the third on be2');
my $st = show_stat($sock);
is($st->{'be/BACKEND'}{hrsp_4xx}, 0, "the backend did not count the frontend's 403");

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# When counters tracked by HTTP rules are released: at the end of their transaction (its
# response sent and logged), not when the next request of the keep-alive connection
# starts. Between two requests of one connection "show table" shows conn_cur=0 for
# "http-request track-sc0" and "tcp-request content track-sc1" (a new stream per request
# in HTTP mode), while a "tcp-request connection track-sc2" entry stays tracked until the
# connection closes; during a transaction sc0_conn_cur reads 1. Passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use IO::Socket::INET;
use lib 't/lib';
use Test::Portico qw/ port cli_send wait_until /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(10);

$t->origin_http(port(8081), body => "ok\n");
$t->config(<<'EOF')->run();
global
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
backend t_http
    stick-table type string len 16 size 100 expire 1m store conn_cur,conn_cnt,http_req_cnt
backend t_cont
    stick-table type string len 16 size 100 expire 1m store conn_cur,conn_cnt
backend t_conn
    stick-table type ip size 100 expire 1m store conn_cur,conn_cnt
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request connection track-sc2 src table t_conn
    tcp-request content track-sc1 str(content) table t_cont
    http-request track-sc0 str(http) table t_http
    http-response set-header x-cur "%[sc0_conn_cur] %[sc1_conn_cur] %[sc2_conn_cur]"
    default_backend be
backend be
    server s1 127.0.0.1:%%PORT_8081%%
EOF
my $sock = $t->testdir . '/cli.sock';

# one response on <$c>: its head, then its content-length body
sub response {
    my ($c) = @_;
    my $buf = '';
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        while ($buf !~ /\r\n\r\n/) {
            sysread($c, $buf, 4096, length $buf) or die "eof\n";
        }
        my ($len) = $buf =~ /^content-length:\s*(\d+)/mi;
        my $need = index($buf, "\r\n\r\n") + 4 + ($len // 0);
        while (length $buf < $need) {
            sysread($c, $buf, 4096, length $buf) or die "eof\n";
        }
        alarm 0;
        1;
    };
    alarm 0;
    return $ok ? $buf : undef;
}

# "key=value" data of the entry <key> of table <tbl>
sub entry {
    my ($tbl, $key) = @_;
    my ($line) = grep { /key=\Q$key\E / } split /\n/, cli_send($sock, "show table $tbl\n");
    return { ($line // '') =~ /(\w+)=(\S+)/g };
}

my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080))
    or die "connect: $!";
print $c "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n";
my $r = response($c);
like($r // '', qr/^HTTP\/1\.1 200/, 'first request answered, connection kept');
like($r // '', qr/^x-cur: 1 1 1\r$/mi, 'during the transaction: each counter tracked once');

# the connection is idle between its two requests: the transaction's counters are released
ok(wait_until(5, sub { entry('t_http', 'http')->{conn_cur} eq '0' }),
    'idle keep-alive: http-request track-sc0 released (conn_cur=0)')
    or diag cli_send($sock, "show table t_http\n");
is(entry('t_cont', 'content')->{conn_cur}, 0,
    'idle keep-alive: tcp-request content track-sc1 released');
is(entry('t_conn', '127.0.0.1')->{conn_cur}, 1,
    'idle keep-alive: tcp-request connection track-sc2 still held');

print $c "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
$r = response($c);
like($r // '', qr/^x-cur: 1 1 1\r$/mi, 'second request: tracked again, once');
ok(wait_until(5, sub { entry('t_http', 'http')->{conn_cur} eq '0' }),
    'after the second transaction: released again');
my $e = entry('t_http', 'http');
ok($e->{conn_cnt} == 2 && $e->{http_req_cnt} == 2, 'two tracked transactions counted')
    or diag explain $e;
is(entry('t_conn', '127.0.0.1')->{conn_cnt}, 1, 'one connection for the connection counter');

close $c;
ok(wait_until(5, sub { entry('t_conn', '127.0.0.1')->{conn_cur} eq '0' }),
    'the connection closes: its counter is released');

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Servers on UNIX stream sockets ("server s /path", "unix@/path"), as HAProxy: requests
# balanced to them in mode http and mode tcp, kept alive and pooled, health-checked, shown
# as "unix" in "show stat"; a bad path is refused at -c. And frontends bound on UNIX
# sockets ("bind unix@/path mode 600"), which every worker serves, across a reload.
use warnings;
use strict;
use Test::More;
use IO::Socket::UNIX;
use lib 't/lib';
use Test::Portico qw/ cli_send http http_keepalive http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(12);
my $dir = $t->testdir;
$t->origin_http_unix("$dir/a.sock", handler => sub { (200, ['Content-Type' => 'text/plain'], "a:$_[0]{uri}") });
$t->origin_http_unix("$dir/b.sock", handler => sub { (200, ['Content-Type' => 'text/plain'], "b:$_[0]{uri}") });
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    %%TIMEOUTS%%
listen web
    mode http
    bind 127.0.0.1:%%PORT_8080%%
    balance roundrobin
    server a %%TESTDIR%%/a.sock check inter 200ms
    server b unix@%%TESTDIR%%/b.sock check inter 200ms
listen raw
    mode tcp
    bind 127.0.0.1:%%PORT_8090%%
    server a unix@%%TESTDIR%%/a.sock
listen chain_in
    mode http
    bind 127.0.0.1:%%PORT_8091%%
    server front unix@%%TESTDIR%%/front.sock
listen front
    mode http
    bind unix@%%TESTDIR%%/front.sock mode 600
    http-request return status 200 content-type text/plain lf-string "front %[fe_name]"
EOF2

my @r = http_keepalive(map({ "GET /$_ HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. 4), { port => port(8080) });
is(join(' ', map { $_ ? $_->{body} : 'none' } @r), 'a:/1 b:/2 a:/3 b:/4', 'mode http: balanced over two UNIX-socket servers, keep-alive');
my @ra = grep { $_->{uri} =~ m{^/\d$} } $t->origin_requests('unix:a.sock');
is(scalar(keys %{{ map { $_->{conn} => 1 } @ra }}), 1, '... one pooled connection to each');
my $r = http_parse(http("GET /tcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8090)));
is($r ? $r->{body} : 'none', 'a:/tcp', 'mode tcp: forwarded to the UNIX socket');
my %f;
sub row_b {
    my $stat = cli_send("$dir/admin.sock", "show stat\n") // '';
    my ($row) = grep { /^web,b,/ } split /\n/, $stat;
    my @hdr = split /,/, (split /\n/, $stat)[0];
    @f{@hdr} = split /,/, $row // '', -1;
    return ($f{check_status} // '') eq 'L4OK';
}
wait_until(5, \&row_b);
is($f{addr}, 'unix', 'show stat: the address of a UNIX-socket server reads "unix"');
is($f{check_status}, 'L4OK', '... and its health check connects to it');

# a frontend on a UNIX socket: reached through a server that connects to it
sub chain { my $r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port => port(8091))); $r ? $r->{body} : 'none' }
is(chain(), 'front front', 'bind unix@: a frontend on a UNIX socket answers');
is(sprintf('%o', (stat "$dir/front.sock")[2] & 07777), '600', '... the socket has the mode asked for');
my %served = map { chain() => 1 } 1 .. 10;
is(join(',', keys %served), 'front front', '... every request');
$t->reload($t->{config});
is(chain(), 'front front', '... and after a reload');

# bad addresses
$t->config("%%GLOBAL%%\nbackend b\n    server s unix@" . ('x' x 200) . "\n");
my ($rc, $out) = $t->check_config;
like($out, qr/too long/, 'a path longer than sun_path is refused') or diag($out);
$t->config("%%GLOBAL%%\nbackend b\n    server s unix@\n");
($rc, $out) = $t->check_config;
isnt($rc, 0, 'an empty path is refused') or diag($out);
$t->config("%%GLOBAL%%\nlisten l\n    bind 127.0.0.1:%%PORT_8091%%\n    %%TIMEOUTS%%\n    server s abns\@portico-test\n");
($rc, $out) = $t->check_config;
is($rc, 0, 'an abstract-namespace name is accepted') or diag($out);

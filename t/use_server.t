#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "use-server <server> {if|unless} <cond>" as HAProxy 2.6: the first matching rule names the
# server (a weight-0 one included); a down or maintenance server is skipped unless "option
# persist"; a log-format name that matches no server ends the rules (balancing decides);
# rules win over a persistence cookie; mode tcp; -c refuses an unknown server and a rule
# without condition; "del server" refuses a server a rule names.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->plan(15);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');
$t->config(<<'EOF2');
global
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend ck if { path_beg /ck }
    use_backend ps if { path_beg /ps }
    default_backend be
backend be
    balance roundrobin
    use-server %[req.hdr(x-dyn)] if { req.hdr(x-dyn) -m found }
    use-server b if { path_beg /b }
    use-server c unless { req.hdr(x-srv) -m str notc } or !{ req.hdr(x-srv) -m found }
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
    server c 127.0.0.1:%%PORT_8083%% weight 0
backend ck
    cookie SRV insert indirect nocache
    use-server b if { path_beg /ck/b }
    server a 127.0.0.1:%%PORT_8081%% cookie a
    server b 127.0.0.1:%%PORT_8082%% cookie b
backend ps
    option persist
    use-server b if TRUE
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
listen tcpl
    mode tcp
    bind 127.0.0.1:%%PORT_8090%%
    use-server c if { src 127.0.0.1 }
    server a 127.0.0.1:%%PORT_8081%%
    server c 127.0.0.1:%%PORT_8083%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();
my $sock = $t->testdir . '/cli.sock';

sub bodies {
    my ($path, $n, $hdrs) = @_;
    return join ' ', map {
        my $r = http_parse(http_get($path, headers => $hdrs // {}));
        $r ? $r->{body} : 'failed'
    } 1 .. $n;
}

is(bodies('/b', 4), 'b b b b', 'a matching rule names the server');
is(bodies('/x', 4, {'x-srv' => 'c'}), 'c c c c', 'an unless rule, a weight-0 server');
is(join(' ', sort split / /, bodies('/x', 4)), 'a a b b', 'no rule: balancing');
is(bodies('/x', 3, {'x-dyn' => 'a'}), 'a a a', 'a log-format name');
is(join(' ', sort split / /, bodies('/b', 4, {'x-dyn' => 'nosuch'})), 'a a b b',
    'a log-format name of no server ends the rules');
is(cli_send($sock, "disable server be/b\n"), "\n", 'b in maintenance');
is(bodies('/b', 3), 'a a a', 'a rule naming a server in maintenance is skipped');
is(bodies('/ps', 2), 'b b', 'unless "option persist"');
cli_send($sock, "disable server ps/b\n");
is(bodies('/ps', 2), 'b b', 'in maintenance too');
is(bodies('/ck/b', 3, {Cookie => 'SRV=a'}), 'b b b', 'a rule wins over a persistence cookie');
is(cli_send($sock, "del server be/c\n"),
    "This server cannot be removed at runtime due to other configuration elements pointing"
    . " to it.\n", 'del server refuses a server a rule names');

my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8090), Proto => 'tcp');
print $s "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
my $raw = do { local $/; local $SIG{ALRM} = sub { die }; alarm 5; my $x = <$s>; alarm 0; $x };
is(http_parse($raw) && http_parse($raw)->{body}, 'c', 'mode tcp');

$t->config(<<'EOF2');
defaults
    mode http
    %%TIMEOUTS%%
backend be
    use-server nosuch if TRUE
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
is($rc, 1, 'an unknown server is refused at -c') or diag($out);
$t->config(<<'EOF2');
defaults
    mode http
    %%TIMEOUTS%%
backend be
    use-server a
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
is($rc, 1, 'a rule without condition is refused at -c') or diag($out);

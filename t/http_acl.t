#!/usr/bin/perl
# Tests for ACL-based content switching: use_backend with conditions on path, headers and
# method, -i, -m beg/reg, anonymous ACLs, unless, ||, and several acl lines with one name.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use IO::Socket::INET;
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(15);
$t->origin_http(port(8081), body => "A\n");
$t->origin_http(port(8082), body => "B\n");
$t->origin_http(port(8083), body => "C\n");
$t->origin_http(port(8084), body => "D\n");
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_a
    server a 127.0.0.1:%%PORT_8081%%
backend be_b
    server b 127.0.0.1:%%PORT_8082%%
backend be_c
    server c 127.0.0.1:%%PORT_8083%%
backend be_d
    server d 127.0.0.1:%%PORT_8084%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl is_api    path_beg /api/
    acl is_post   method POST
    acl host_b    hdr(host) -i b.example.com
    acl img       path -m reg \.(png|jpe?g)$
    acl special   path /special
    acl special   path /also-special
    use_backend be_b if host_b
    use_backend be_a if is_api !is_post
    use_backend be_c if is_api is_post || img
    use_backend be_c if special
    use_backend be_d if { hdr(x-test) -m beg go } || { path_end .cgi }
    use_backend be_d unless { src 127.0.0.0/8 }
    default_backend be_d
EOF2

sub via {
    my ($req) = @_;
    my $r = http_parse(http($req));
    return $r ? "$r->{status} $r->{body}" : 'no response';
}
sub get { via("GET $_[0] HTTP/1.1\r\nHost: " . ($_[1] // 'localhost') . "\r\n"
    . ($_[2] // '') . "Connection: close\r\n\r\n") }

is(get('/api/x'), "200 A\n", 'path_beg with a negated ACL (AND)');
is(via("POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    "200 C\n", 'method POST and path_beg');
is(get('/pics/a.JPG'), "200 D\n", '-m reg is case-sensitive');
is(get('/pics/a.jpeg'), "200 C\n", 'reg alternative after ||');
is(get('/x', 'B.Example.COM'), "200 B\n", 'hdr() with -i');
is(get('/api/x', 'b.example.com'), "200 B\n", 'first matching rule wins');
is(get('/special'), "200 C\n", 'acl declared twice: first value');
is(get('/also-special'), "200 C\n", 'acl declared twice: second value');
is(get('/x', undef, "X-Test: gopher\r\n"), "200 D\n", 'anonymous ACL with -m beg');
is(get('/run.cgi'), "200 D\n", 'anonymous ACL after ||');
is(get('/nothing'), "200 D\n", 'default_backend when no rule matches');

# keep-alive: the rules are evaluated again for every request
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080)) or die;
my @resp;
for my $p ('/api/1', '/special', '/api/2') {
    print $s "GET $p HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $buf = '';
    while ($buf !~ /\r\n\r\n.*\n/s) { sysread($s, $buf, 4096, length $buf) or last }
    push @resp, ($buf =~ /\r\n\r\n(.*)\z/s)[0];
}
close $s;
is_deeply(\@resp, ["A\n", "C\n", "A\n"], 'per-request backend choice on one connection');

# config errors
sub bad { my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', $_[0])); $out }
my $bad = bad(<<'EOF2');
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_a
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_a if undeclared
EOF2
like($bad, qr/no such ACL : 'undeclared'/, 'unknown ACL refused');
$bad = bad(<<'EOF2');
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_a
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl x path -m nope /
    use_backend be_a if x
EOF2
like($bad, qr/unknown matching method 'nope'/, 'unknown match method refused');
$bad = bad(<<'EOF2');
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be_a
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    use_backend be_a if { nosuchfetch x }
EOF2
like($bad, qr/unknown fetch method 'nosuchfetch'/, 'unknown fetch refused');

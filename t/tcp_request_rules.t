#!/usr/bin/perl
# Tests for tcp-request connection / content rules: accept, reject and set-var, in
# mode tcp and mode http.
use warnings;
use strict;
use Test::More;
use IO::Socket::IP;
use IO::Select;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port tcp_transfer /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->plan(7);
$t->origin_tcp(port(8081));
$t->origin_http(port(8082), body => 'from-origin');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults tcpd
    mode tcp
    %%TIMEOUTS%%
frontend t_reject from tcpd
    bind 127.0.0.1:%%PORT_8090%%
    tcp-request connection reject if { src 127.0.0.1 }
    default_backend echo
frontend t_accept from tcpd
    bind 127.0.0.1:%%PORT_8091%%
    tcp-request connection accept if { src 127.0.0.0/8 }
    tcp-request connection reject
    default_backend echo
frontend t_content from tcpd
    bind 127.0.0.1:%%PORT_8092%%
    tcp-request content reject if { dst_port %%PORT_8092%% }
    default_backend echo
backend echo from tcpd
    server e 127.0.0.1:%%PORT_8081%%
defaults httpd
    mode http
    %%TIMEOUTS%%
frontend h from httpd
    bind 127.0.0.1:%%PORT_8093%%
    tcp-request connection set-var(sess.origin) str(conn-rule)
    tcp-request content reject if { path /forbidden }
    http-request return status 200 content-type text/plain lf-string "%[var(sess.origin)]" if { path /var }
    default_backend web
backend web from httpd
    server w 127.0.0.1:%%PORT_8082%%
EOF2

# Returns what a client gets back for <data> (half-closed), or '' when closed at once.
sub exchange {
    my ($port, $data) = @_;
    my ($got) = tcp_transfer(port($port), $data, { timeout => 3 });
    return $got // '';
}

is(exchange(8090, 'hello'), '', 'tcp-request connection reject: closed without data');
is(exchange(8091, 'hello'), 'hello', 'tcp-request connection accept stops the rules');
is(exchange(8092, 'hello'), '', 'tcp-request content reject (mode tcp)');

my $r = http_parse(http_get('/var', port => port(8093)));
is($r && $r->{body}, 'conn-rule', 'set-var in tcp-request connection, read in http-request');
$r = http_parse(http_get('/other', port => port(8093)));
is($r && $r->{body}, 'from-origin', 'request not matched by the content rule is served');
$r = http_get('/forbidden', port => port(8093), quiet => 1);
is($r // '', '', 'tcp-request content reject in mode http: closed, no response');
my @seen = grep { $_->{uri} eq '/forbidden' } $t->origin_requests(port(8082));
is(scalar @seen, 0, 'the rejected request never reached the origin');

#!/usr/bin/perl
# The proxy keyword "redirect" (frontend, listen and backend sections): HAProxy runs a
# proxy's redirect rules after its http-request rules (an "allow" there does not skip them,
# a "deny" answers first), in configuration order, the first that applies answering.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(12);
$t->origin_http(port(8081), handler => sub { (200, [], 'origin') });
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    redirect prefix /from-be code 308 if { path_beg /b/ }
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request allow if { path /allow }
    http-request deny if { path /deny }
    http-request redirect location /by-rule if { path /both }
    redirect location /by-keyword if { path /both } || { path /allow } || { path /deny }
    redirect scheme https code 301 if { path_beg /s/ } !{ ssl_fc }
    redirect location /not-x unless { hdr(x-keep) -m found } || { path_beg /b/ } || { path / }
    default_backend be
listen always
    bind 127.0.0.1:%%PORT_8090%%
    redirect location http://other.example/ drop-query
    server a 127.0.0.1:%%PORT_8081%%
EOF2

sub get {
    my ($path, $port, $hdr) = @_;
    my $r = http_parse(http("GET $path HTTP/1.1\r\nHost: ex.com\r\n" . ($hdr // '')
        . "Connection: close\r\n\r\n", port => port($port // 8080)));
    return $r ? "$r->{status} " . ($r->{h}{location} // '-') : 'none';
}

is(get('/allow', 8080, "X-Keep: 1\r\n"), '302 /by-keyword', 'an http-request allow does not skip the redirect rules');
is(get('/deny', 8080, "X-Keep: 1\r\n"), '403 -', 'an http-request deny answers before them');
is(get('/both', 8080, "X-Keep: 1\r\n"), '302 /by-rule', 'http-request redirect comes first');
is(get('/s/p?q=1', 8080, "X-Keep: 1\r\n"), '301 https://ex.com/s/p?q=1', 'redirect scheme https if !{ ssl_fc }');
is(get('/other'), '302 /not-x', 'unless: applies when the condition does not hold');
is(get('/other', 8080, "X-Keep: 1\r\n"), '200 -', '... and not when it holds');
is(get('/b/x?y'), '308 /from-be/b/x?y', "the backend's redirect rules run too");
is(get('/'), '200 -', 'no rule applies: forwarded');
is(get('/any?q', 8090), '302 http://other.example/', 'a listen section, no condition');

# configuration errors: file:line, and never in defaults (as HAProxy)
for my $bad (["defaults\n    redirect location /x\n", qr/redirect/],
             ["frontend f\n    bind 127.0.0.1:%%PORT_8091%%\n    redirect nowhere /x\n", qr/:\d+\]?:? .*redirect/],
             ["frontend f\n    bind 127.0.0.1:%%PORT_8091%%\n    redirect location /x if { no_such_fetch }\n", qr/:\d+\]?:? .*no_such_fetch/]) {
    my ($cfg, $re) = @$bad;
    $t->config("%%GLOBAL%%\n$cfg");
    my ($rc, $out) = $t->check_config;
    ok($rc != 0 && $out =~ $re, 'refused: ' . (split /\n/, $cfg)[-1]) or diag($out);
}

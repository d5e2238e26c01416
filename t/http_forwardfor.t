#!/usr/bin/perl
# option forwardfor [except <net>] [header <name>] [if-none].
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(4);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be_except
    option forwardfor except 127.0.0.0/8
    server a 127.0.0.1:%%PORT_8081%%
backend be_hdr
    option forwardfor header X-Client if-none
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    option forwardfor
    use_backend be_except if { path /except }
    use_backend be_hdr if { path_beg /hdr }
    default_backend be
EOF2

like(http_parse(http_get('/plain'))->{body}, qr/^x-forwarded-for: 127\.0\.0\.1\r$/mi,
    'X-Forwarded-For added with the client address');
unlike(http_parse(http_get('/except'))->{body}, qr/forwarded-for/i,
    'except <net> skips matching clients');
like(http_parse(http_get('/hdr'))->{body}, qr/^x-client: 127\.0\.0\.1\r$/mi, 'header <name>');
my $b = http_parse(http_get('/hdr2', headers => ['X-Client' => '1.2.3.4']))->{body};
is(scalar(() = $b =~ /^x-client:/mgi), 1, 'if-none keeps an existing header');

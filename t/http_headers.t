#!/usr/bin/perl
# Header and request-line rewriting actions: set/add/del/replace-header, replace-value,
# set-path/set-query/set-method, http-response and http-after-response header actions.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(12);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-request set-header X-Be be
    http-response set-header X-Resp-Be 1
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-header X-Set "new value"
    http-request add-header X-Add one
    http-request add-header X-Add two
    http-request del-header X-Secret
    http-request del-header X-Drop- -m beg
    http-request replace-header Host ^(.*)\.old$ \1.new
    http-request replace-value X-List ^b$ B
    http-request set-path /rewritten if { path /old }
    http-request set-query q=%[url_param(a)] if { path /q }
    http-request set-method PUT if { path /m }
    http-response del-header X-Echo-Body-MD5
    http-after-response add-header X-After yes
    default_backend be
EOF2

my $r = http_parse(http_get('/h', host => 'site.old',
    headers => ['X-Set' => 'old', 'X-Secret' => 's', 'X-Drop-A' => 1, 'X-Drop-B' => 2,
                'X-List' => 'a, b ,c']));
is($r->{status}, 200, 'status');
my $seen = $r->{body};
like($seen, qr/^X-Set: new value\r$/mi, 'set-header replaced the value');
unlike($seen, qr/^X-Set: old/mi, 'old value gone');
like($seen, qr/^X-Add: one\r\nX-Add: two\r$/mi, 'add-header twice');
unlike($seen, qr/X-Secret|X-Drop-/i, 'del-header (exact and -m beg)');
like($seen, qr/^Host: site\.new\r$/mi, 'replace-header with back reference');
like($seen, qr/^X-List: a, B, c\r$/mi, 'replace-value per element');
like($seen, qr/^X-Be: be\r$/mi, 'backend http-request rules run');
ok(!exists $r->{h}{'x-echo-body-md5'} && $r->{h}{'x-resp-be'} && $r->{h}{'x-after'},
    'http-response and http-after-response header actions');

$r = http_parse(http_get('/old?k=v'));
like($r->{body}, qr{^GET /rewritten\?k=v HTTP/1\.1}, 'set-path keeps the query');
$r = http_parse(http_get('/q?a=7'));
like($r->{body}, qr{^GET /q\?q=7 HTTP/1\.1}, 'set-query with a log-format value');
$r = http_parse(http_get('/m'));
like($r->{body}, qr{^PUT /m HTTP/1\.1}, 'set-method');

#!/usr/bin/perl
# http-request return: static strings, lf-string, hdr, files, errorfile; http-response return.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081));
$t->write_file('page.txt', "from a file\n");
my $dir = $t->testdir;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-response return status 200 content-type text/plain string replaced if { path /resp }
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 404 content-type text/plain string nope hdr X-A "b c" if { path /s }
    http-request return content-type text/plain lf-string "path=%[path]" hdr X-M %[method] if { path /lf }
    http-request return content-type text/plain file $dir/page.txt if { path /f }
    http-request return status 204 if { path /empty }
    http-request return status 200 hdr x-none "%[req.hdr(x-absent)]" hdr x-some "%[req.hdr(host)]" if { path /hdrs }
    default_backend be
EOF2

is(http_get('/s'), "HTTP/1.1 404 Not Found\r\nx-a: b c\r\ncontent-length: 4\r\n"
    . "content-type: text/plain\r\nconnection: close\r\n\r\nnope", 'string with hdr');
my $r = http_parse(http_get('/lf'));
is("$r->{body}|$r->{h}{'x-m'}", 'path=/lf|GET', 'lf-string and log-format hdr');
is(http_parse(http_get('/f'))->{body}, "from a file\n", 'file payload');
is(http_get('/empty'), "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
    '204 without body');
is(http_parse(http_get('/resp'))->{body}, 'replaced', 'http-response return');
my $h = http_parse(http_get('/hdrs'));
is(join(',', map { defined $h->{h}{$_} ? "$_=$h->{h}{$_}" : "$_ absent" } qw(x-none x-some)),
    'x-none absent,x-some=localhost', 'a header whose value evaluates empty is not added (HAProxy)');

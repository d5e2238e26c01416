#!/usr/bin/perl
# More http-request actions: replace-path, replace-pathq and replace-uri (a regex on the
# path, the path with its query, or the whole target, replaced with a log-format string
# and \N back references), set-tos, set-mark, wait-for-handshake (nothing to wait for without
# 0-RTT) and strict-mode off, as HAProxy 2.6 runs them.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(11);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request replace-path /api/v1/(.*) /v2/\1 if { path_beg /api/v1/ }
    http-request replace-path (.*) /pfx\1 if { path_beg /p/ }
    http-request replace-pathq /q/([^?]*)\?(.*) /q2/\1?new&\2 if { path_beg /q/ }
    http-request replace-uri ^/u/(.*) /%[req.hdr(x-dir)]/\1 if { path_beg /u/ }
    http-request replace-path nomatch /never
    http-request set-tos 0x10
    http-request wait-for-handshake
    http-request strict-mode off
    http-response strict-mode off
    http-after-response strict-mode off
    http-request set-mark 2
    http-response set-tos 0
    tcp-request connection set-tos 8
    default_backend be
EOF2

my $r = http_parse(http_get('/api/v1/users?id=3'));
like($r->{body}, qr{^GET /v2/users\?id=3 HTTP/1\.1}, 'replace-path keeps the query');
$r = http_parse(http_get('/p/x'));
like($r->{body}, qr{^GET /pfx/p/x HTTP/1\.1}, 'replace-path (.*): prefix added');
$r = http_parse(http_get('/q/a?b=1'));
like($r->{body}, qr{^GET /q2/a\?new&b=1 HTTP/1\.1}, 'replace-pathq sees and rewrites the query');
$r = http_parse(http_get('/u/z?k', headers => ['X-Dir' => 'dyn']));
like($r->{body}, qr{^GET /dyn/z\?k HTTP/1\.1}, 'replace-uri with a log-format value');
$r = http_parse(http_get('/other'));
like($r->{body}, qr{^GET /other HTTP/1\.1}, 'no match: unchanged (set-tos, set-mark ran)');

my ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    http-request replace-path (unclosed /x
    http-request replace-uri onlyone
EOF3
isnt($rc, 0, 'bad replace-* lines refused');
like($out, qr/bad\.cfg:5.*replace-path.*(regex|parenthes)/i, 'invalid regex reported with file:line')
    or diag($out);
for my $bad ('set-tos 12x', 'set-mark', 'strict-mode maybe', 'wait-for-handshake now') {
    ($rc, $out) = $t->run_binary('-c', '-f', $t->write_file('bad2.cfg', <<"EOF3"));
defaults
    mode http
frontend f
    bind 127.0.0.1:1
    http-request $bad
EOF3
    my ($act) = split / /, $bad;
    like($out, qr/bad2\.cfg:5\b.*\Q$act\E/, "'$bad' refused") or diag($out);
}

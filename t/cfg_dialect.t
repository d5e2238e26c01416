#!/usr/bin/perl
# Configuration dialect details found in real-world configs, as HAProxy 2.6 reads them:
# "$VAR"/"${VAR}" expanded in addresses even unquoted (and literal elsewhere outside quotes),
# "${VAR-default}" in double quotes, "OR"/"or"/"||" and "!" in conditions, "str()" with an
# empty argument, a ':' kept in a header name ("set-header X-Proto: http"), and a second
# "defaults" section that starts from scratch.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(17);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run(wait_ports => [8080, 8082]);
global
    setenv FE_ADDR 127.0.0.1:%%PORT_8080%%
    setenv FE2_PORT %%PORT_8082%%
    setenv SRV_ADDR 127.0.0.1
defaults
    mode http
    option forwardfor
    %%TIMEOUTS%%
frontend fe
    bind $FE_ADDR
    http-request set-var(txn.empty) str()
    http-request set-var(txn.cat) str(a),concat()
    http-request return status 200 content-type text/plain lf-string "e=[%[var(txn.empty)]] c=[%[var(txn.cat)]]" hdr X-Lit $FE_ADDR hdr X-Dflt "${PORTICO_UNSET_VAR-dflt}" hdr X-Quoted "${FE2_PORT}" if { path /vars }
    http-request return status 201 if { path /a } OR { path /b }
    http-request return status 202 if { path /c } Or { path /d } || { path /e }
    http-request return status 203 if !{ path_beg /f } ! { path_beg /g } { path_beg /h } or
    http-request return status 204 if { path /i } or !! { path /j }
    http-request return status 200 hdr X-Proto: http if { path /colon }
    http-request return status 205 if HTTP_2.0 { path /ver }
    http-request return status 206 if HTTP_1.1 { path /ver }
    http-after-response set-header X-After: yes
    default_backend be
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a ${SRV_ADDR}:%%PORT_8081%%
frontend fe2
    bind 127.0.0.1:$FE2_PORT
    default_backend be
EOF2

my $r = http_parse(http_get('/vars'));
is($r->{status}, 200, 'expressions with empty arguments evaluate');
like($r->{body}, qr/^e=\[\] c=\[a\]$/, 'str() is the empty string, concat() appends nothing');
is($r->{h}{'x-lit'}, '$FE_ADDR', 'an unquoted $VAR outside an address stays literal');
is($r->{h}{'x-dflt'}, 'dflt', '"${VAR-default}" gives the default for an unset variable');
is($r->{h}{'x-quoted'}, port(8082), '"${VAR}" expanded inside double quotes');
is(http_parse(http_get('/a'))->{status}, 201, 'OR: first term');
is(http_parse(http_get('/b'))->{status}, 201, 'OR: second term');
is(http_parse(http_get('/d'))->{status}, 202, 'Or is case-insensitive');
is(http_parse(http_get('/e'))->{status}, 202, '|| after Or');
is(http_parse(http_get('/h'))->{status}, 203, '"!{" and a lone "!", a trailing "or" ignored');
is(http_parse(http_get('/j'))->{status}, 204, '"!!" negates twice');
is(http_parse(http_get('/fh'))->{status}, 200, 'a negated term that matches fails the suite');
is(http_parse(http_get('/ver'))->{status}, 206, 'predefined ACLs HTTP_2.0 and HTTP_1.1');
$r = http_get('/colon');
like($r, qr/^X-Proto:: http\r$/mi, 'a header name ending in ":" is kept as written (return hdr)');
like($r, qr/^X-After:: yes\r$/mi, 'and in http-after-response set-header');

# fe2 comes after a second defaults section without "option forwardfor"
$r = http_parse(http_get('/fwd', port => port(8082)));
is($r->{status}, 200, 'address with ${VAR} in a server line and $VAR in a bind port');
unlike($r->{body}, qr/^X-Forwarded-For:/mi, 'a second defaults section resets option forwardfor');

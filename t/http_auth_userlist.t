#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "userlist" sections with "http-request auth" and the http_auth / http_auth_group ACLs, as
# in HAProxy 2.6: a SHA-512 crypt(3) password and an insecure (clear) one, groups declared
# on users and on groups, the 401 challenge with its realm, the Authorization fetches, and
# configuration errors (unknown userlist, group or user) refused with file:line.
use warnings;
use strict;
use Test::More;
use MIME::Base64 qw/ encode_base64 /;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(18);
$t->origin_http(port(8081), body => 'secret stuff');
my $hash = crypt('s3cret', '$6$saltsalt$');
$t->config(<<"EOF2")->run();
%%GLOBAL%%
userlist L
    group admins users alice
    group ops
    user alice password $hash
    user bob insecure-password hunter2 groups ops
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl auth_ok http_auth(L)
    acl is_admin http_auth_group(L) admins
    acl is_staff http_auth_group(L) admins ops
    http-request auth realm "Private zone" unless auth_ok
    http-request deny if { path_beg /admin } !is_admin
    http-request return status 200 content-type text/plain lf-string "user=%[http_auth_user] type=%[http_auth_type]"  if { path /who }
    http-request deny if { path_beg /staff } !is_staff
    default_backend be
frontend fe2
    bind 127.0.0.1:%%PORT_8090%%
    http-request auth
    default_backend be
frontend fe3
    bind 127.0.0.1:%%PORT_8091%%
    http-request return status 200 content-type text/plain lf-string "bearer=%[http_auth_bearer]" if { http_auth_bearer -m found }
    http-request return status 200 content-type text/plain string none
backend be
    server s 127.0.0.1:%%PORT_8081%%
EOF2

sub get {
    my ($path, $cred, $port, $hdr) = @_;
    my $h = defined $cred ? 'Authorization: Basic ' . encode_base64($cred, '') . "\r\n" : '';
    $h .= $hdr // '';
    return http_parse(http("GET $path HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n",
        port => port($port // 8080)));
}

my $r = get('/');
is($r->{status}, 401, 'no credentials: 401');
is($r->{h}{'www-authenticate'}, 'Basic realm="Private zone"', '... with the realm of the rule');
like($r->{body}, qr/401 Unauthorized/, '... and the 401 page');
is(get('/', 'alice:wrong')->{status}, 401, 'wrong password (crypt hash): 401');
is(get('/', 'nobody:s3cret')->{status}, 401, 'unknown user: 401');
is(get('/', 'alice')->{status}, 401, 'credentials without a colon: 401');
$r = get('/', 'alice:s3cret');
is("$r->{status} $r->{body}", '200 secret stuff', 'SHA-512 crypt password: served');
is(get('/', 'bob:hunter2')->{status}, 200, 'insecure-password: served');
is(get('/admin/x', 'alice:s3cret')->{status}, 200, 'http_auth_group: alice is in admins (group ... users)');
is(get('/admin/x', 'bob:hunter2')->{status}, 403, 'http_auth_group: bob is not');
is(get('/who', 'bob:hunter2')->{body}, 'user=bob type=Basic', 'http_auth_user, http_auth_type');
is(get('/staff', 'bob:hunter2')->{status}, 200, 'http_auth_group with two groups: bob is in ops ("user ... groups")');
is(get('/', undef, 8090)->{h}{'www-authenticate'}, 'Basic realm="fe2"', 'without realm: the proxy name');
is(get('/', undef, 8091, "Authorization: Bearer abc.def.ghi\r\n")->{body}, 'bearer=abc.def.ghi', 'http_auth_bearer');
is(get('/', 'x:y', 8091)->{body}, 'none', 'http_auth_bearer: nothing with Basic');

# configuration errors
$t->config("userlist L\n    user u groups g\ndefaults\n    mode http\n");
my ($rc, $out) = $t->check_config;
like($out, qr/no such group 'g'/, '-c: a group that does not exist');
$t->config("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:1\n    http-request deny if !{ http_auth(nope) }\n");
($rc, $out) = $t->check_config;
isnt($rc, 0, '-c: an unknown userlist is refused');
like($out, qr/nope/, '-c: ... naming it');

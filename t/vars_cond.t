#!/usr/bin/perl
# Variables as HAProxy 2.6 sets them: set-var conditions (ifexists, ifnotexists, ifempty,
# ifnotempty, ifset, ifnotset, ifgt, iflt), set-var-fmt, set-var/set-var-fmt in the global
# section, and unset-var in every rule set.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(17);
$t->origin_http(port(8081), echo => 1);
$t->config(<<'EOF2')->run();
global
    set-var proc.five int(5)
    set-var proc.name str(portico),upper
    set-var-fmt proc.fmt "n=%[var(proc.five)] %%x"
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    # exists / not exists
    http-request set-var(txn.a) str(first)
    http-request set-var(txn.a,ifnotexists) str(second)
    http-request set-var(txn.b,ifexists) str(never)
    http-request set-var(txn.c,ifnotexists) str(new)
    # ifset on a missing variable creates it unset: ifexists is then true, ifset false
    http-request set-var(txn.d,ifset) str(not-set)
    http-request set-var(txn.e,ifexists) var(txn.d,none)
    http-request set-var(txn.d,ifexists) str(was-created)
    # empty / not empty; a scalar is never empty
    http-request set-var(txn.f,ifnotempty) str()
    http-request set-var(txn.g,ifempty) str()
    http-request set-var(txn.h,ifempty) int(1)
    # greater / less than: compares integers only, otherwise the value is set
    http-request set-var(txn.n) int(10)
    http-request set-var(txn.n,ifgt) int(20)
    http-request set-var(txn.n,ifgt) int(3)
    http-request set-var(txn.m) int(10)
    http-request set-var(txn.m,iflt) int(20)
    http-request set-var(txn.s) str(abc)
    http-request set-var(txn.s,ifgt) int(7)
    # set-var-fmt
    http-request set-var-fmt(txn.fmt) "p=%[path] n=%[var(txn.n)]"
    http-request set-var-fmt(txn.fmt2,ifnotexists) "x"
    http-request set-var-fmt(txn.fmt2,ifnotexists) "y"
    # unset-var
    http-request set-var(txn.u1) str(1)
    http-request unset-var(txn.u1)
    http-request set-var(txn.u2) str(2)
    http-request set-var(txn.u3) str(3)
    http-request set-var(txn.u4) str(4)
    http-request return status 200 content-type text/plain lf-string "a=%[var(txn.a)] b=%[var(txn.b,none)] c=%[var(txn.c)] d=%[var(txn.d)] e=%[var(txn.e,unset)] f=%[var(txn.f,none)] g=[%[var(txn.g,none)]] h=%[var(txn.h,none)] n=%[var(txn.n)] m=%[var(txn.m)] s=%[var(txn.s)] fmt=%[var(txn.fmt)] fmt2=%[var(txn.fmt2)] u1=%[var(txn.u1,none)] proc=%[var(proc.five)]/%[var(proc.name)]/%[var(proc.fmt)]" if { path /vars }
    http-response unset-var(txn.u2)
    http-response set-header X-U2 %[var(txn.u2,none)]
    http-response set-var(txn.u4,ifexists) str(four)
    http-after-response unset-var(txn.u3)
    http-after-response set-header X-U3 %[var(txn.u3,none)]
    http-after-response set-var-fmt(txn.after) "after-%[var(txn.u4)]"
    http-after-response set-header X-After %[var(txn.after)]
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2

my $r = http_parse(http_get('/vars'));
is($r->{status}, 200, 'status');
my %v = map { /^([\w]+)=(.*)$/ ? ($1, $2) : () } split / /, $r->{body};
is($v{a}, 'first', 'ifnotexists keeps an existing variable');
is($v{b}, 'none', 'ifexists does not create a variable');
is($v{c}, 'new', 'ifnotexists sets a new variable');
is($v{d}, 'was-created', 'a failed ifset creates the variable, unset: ifexists is true after');
is($v{e}, 'unset', 'a created-but-unset variable has no value');
is($v{f}, 'none', 'ifnotempty with an empty string');
is($v{g}, '[]', 'ifempty with an empty string');
is($v{h}, 'none', 'ifempty with an integer: never empty');
is($v{n}, '3', 'ifgt: 10 > 20 fails, 10 > 3 sets');
is($v{s}, '7', 'ifgt on a string variable: no comparison, the value is set');
is($v{m}, '20', 'iflt: 10 < 20 sets');
is($v{fmt}, 'p=/vars', 'set-var-fmt (the body splits at blanks)');
is($v{fmt2}, 'x', 'set-var-fmt with a condition');
is($v{u1}, 'none', 'unset-var in http-request');
is($v{proc}, '5/PORTICO/n=5', 'global set-var and set-var-fmt');

$r = http_parse(http_get('/other'));
ok($r->{h}{'x-u2'} eq 'none' && $r->{h}{'x-u3'} eq 'none' && $r->{h}{'x-after'} eq 'after-four',
    'unset-var in http-response and http-after-response, set-var-fmt in http-after-response')
    or diag(explain($r->{h}));

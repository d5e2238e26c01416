#!/usr/bin/perl
# Samples registered at run time (ABI 1.3 fetch_register/conv_register/action_register):
# the sample_reg test module registers, from init() and from a keyword parser, fetches and
# a converter with a private pointer and the "testmod." prefix action; a real config uses
# them and a real request shows the results.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->portico_only()->plan(11);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

SKIP: {
    skip "$dir/sample_reg.so not built", 11 unless -e "$dir/sample_reg.so";

    # the module's deliberate attempt to register "src" again is logged
    $t->ignore_alerts(qr/cannot register fetch 'src': a fetch named 'src' is already registered/);
    $t->origin_http(port(8081), echo => 1);
    $t->config(<<"EOF2");
global
    maxconn 1000
    module-load $dir/sample_reg.so
    testmod-fetch testmod_kw from-keyword
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request testmod.set-hdr X-Mod
    http-request set-header X-Priv %[testmod_priv]
    http-request set-header X-Kw %[testmod_kw,testmod_tag]
    http-request set-header X-Dup %[testmod_dup_refused]
    http-request set-header X-Acl yes if { testmod_kw -m beg from- }
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    my ($rc, $out) = $t->check_config();
    is($rc, 0, 'configuration with run-time registered samples is valid') or diag($out);
    $t->run();
    my $r = http_parse(http_get('/'));
    is($r && $r->{status}, 200, 'request answered');
    my $seen = $r ? $r->{body} : '';
    like($seen, qr/^X-Mod: act:set-hdr\r$/mi,
        'prefix action "testmod." ran with its private pointer') or diag($seen);
    like($seen, qr/^X-Priv: from-init\r$/mi, 'fetch registered from init() returns its priv');
    like($seen, qr/^X-Kw: from-keyword-tagged\r$/mi,
        'fetch registered from a keyword parser, converter with a priv pointer');
    like($seen, qr/^X-Dup: 1\r$/mi, 'registering an existing fetch name was refused');
    like($seen, qr/^X-Acl: yes\r$/mi, 'a registered fetch in an ACL');
    $t->stop();

    # a "testmod.x" action in a rule set where the prefix is not registered
    $t->config(<<"EOF2");
global
    module-load $dir/sample_reg.so
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-response testmod.set-hdr X-Mod
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    ($rc, $out) = $t->check_config();
    isnt($rc, 0, 'prefix action outside its rule set refused');
    like($out, qr/portico\.cfg:\d+: 'http-response': unknown action 'testmod\.set-hdr'/,
        'with file:line')
        or diag($out);

    # "lua.x" without a script registering it
    $t->config(<<"EOF2");
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request lua.hello
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    ($rc, $out) = $t->check_config();
    if ($t->has_feature('lua')) {
        # the lua module registers "lua.": an action no script registered is refused
        isnt($rc, 0, 'lua.hello refused: no script registers it');
        like($out, qr/portico\.cfg:\d+: .*Lua action 'hello' is not registered/,
            'refused by the lua module, with file:line') or diag($out);
    } else {
        isnt($rc, 0, 'lua.hello refused without a lua module');
        like($out, qr/portico\.cfg:\d+: 'http-request lua\.hello' is not supported yet by portico/,
            'refused as not supported yet, with file:line') or diag($out);
    }
}

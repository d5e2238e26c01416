#!/usr/bin/perl
# ".if feature(NAME)" and -vv's feature list report only what is available: the core's
# build features and the feature words of loaded modules (ptc_module.features, ABI 1.3).
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico;

my $t = Test::Portico->new()->has(qw/ tcp /)->portico_only()->plan(13);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

my ($rc, $out) = $t->run_binary('-vv');
my ($list) = $out =~ /^Feature list : (.*)$/m;
ok(defined $list, '-vv prints a feature list') or diag($out);
$list //= '';
like($list, qr/(?:^| )\+OPENSSL(?: |$)/, 'the ssl module is loaded: +OPENSSL');
my $lua = $t->has_feature('lua');
like($list, $lua ? qr/(?:^| )\+LUA(?: |$)/ : qr/(?:^| )-LUA(?: |$)/,
    $lua ? 'the lua module is loaded: +LUA' : 'no Lua module: -LUA');
like($list, qr/(?:^| )\+EPOLL(?: |$)/, '+EPOLL');

is(scalar $t->run_binary('-cc', 'feature(OPENSSL)'), 0, '-cc feature(OPENSSL) is true');
is(scalar $t->run_binary('-cc', 'feature(LUA)'), $lua ? 0 : 1,
    '-cc feature(LUA) is ' . ($lua ? 'true' : 'false'));
is(scalar $t->run_binary('-cc', 'feature(EPOLL)'), 0, '-cc feature(EPOLL) is true');

# A Lua-only keyword guarded by .if feature(LUA) is skipped without the lua module (with
# it, the same unknown action guarded by .if !feature(LUA)); a TLS line guarded by
# .if !feature(OPENSSL) too (the ssl module is there).
my $guard = $lua ? '!feature(LUA)' : 'feature(LUA)';
$t->config(<<"EOF2");
%%GLOBAL%%
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
.if !feature(OPENSSL)
    bind 127.0.0.1:%%PORT_8443%% ssl crt /nonexistent/site.pem alpn h2,http/1.1
.endif
.if $guard
    http-request lua.nothing
.endif
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->check_config();
is($rc, 0, 'config with .if feature(OPENSSL)/feature(LUA) blocks loads') or diag($out);

SKIP: {
    skip "$dir/sample_reg.so not built", 5 unless -e "$dir/sample_reg.so";
    # A module's features count for the lines after its module-load.
    $t->config(<<"EOF2");
global
    maxconn 1000
.if feature(PORTICO_TEST_FEATURE)
    .alert "module feature seen before the module is loaded"
.endif
    module-load $dir/sample_reg.so
.if !feature(PORTICO_TEST_FEATURE)
    .alert "feature PORTICO_TEST_FEATURE missing"
.endif
.if !feature(PORTICO_TEST_FEATURE2)
    .alert "feature PORTICO_TEST_FEATURE2 missing"
.endif
.if feature(PORTICO_TEST)
    .alert "a prefix of a feature word is not a feature"
.endif
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    ($rc, $out) = $t->check_config();
    is($rc, 0, 'module features are true after module-load, not before') or diag($out);
    unlike($out, qr/missing|seen before|prefix of/, 'no .alert fired') or diag($out);

    # Invalid features words refuse the module: covered by the loader's check; here a
    # module-load inside a false .if is not applied.
    $t->config(<<"EOF2");
global
.if feature(NO_SUCH_FEATURE)
    module-load $dir/sample_reg.so
.endif
.if feature(PORTICO_TEST_FEATURE)
    .alert "module loaded from a false .if block"
.endif
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    ($rc, $out) = $t->check_config();
    is($rc, 0, 'module-load in a false .if block is not applied') or diag($out);

    # module-load in a section other than global is still an error (dispatched normally)
    $t->config(<<"EOF2");
defaults
    mode tcp
    module-load $dir/sample_reg.so
EOF2
    ($rc, $out) = $t->check_config();
    isnt($rc, 0, 'module-load outside global refused');
    like($out, qr/portico\.cfg:3: .*module-load/, 'with file:line') or diag($out);
}

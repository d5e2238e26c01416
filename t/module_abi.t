#!/usr/bin/perl
# Tests for module ABI checks: a major or too-new minor ABI is refused, an older minor loads.
use warnings;
use strict;
use Test::More;
use File::Spec;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /)->portico_only()->plan(9);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

sub check_with_module {
    my ($so) = @_;
    $t->config(<<"EOF2");
global
    maxconn 1000
    module-load $dir/$so
defaults
    mode tcp
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
    return $t->check_config();
}

SKIP: {
    skip "$dir/abi_major2.so not built", 2 unless -e "$dir/abi_major2.so";
    my ($rc, $out) = check_with_module('abi_major2.so');
    isnt($rc, 0, 'ABI 2.0 module refused');
    like($out, qr/2\.0.*1\.0|1\.0.*2\.0/s, 'message names both ABI 2.0 and 1.0') or diag($out);
}

SKIP: {
    skip "$dir/abi_minor_new.so not built", 2 unless -e "$dir/abi_minor_new.so";
    my ($rc, $out) = check_with_module('abi_minor_new.so');
    isnt($rc, 0, 'module needing ABI 1.99 refused');
    like($out, qr/1\.99/, 'message names ABI 1.99') or diag($out);
}

SKIP: {
    skip "$dir/abi_old_1_0.so not built", 2 unless -e "$dir/abi_old_1_0.so";
    my ($rc, $out) = check_with_module('abi_old_1_0.so');
    is($rc, 0, 'module built against ABI 1.0 loads') or diag($out);
    unlike($out, qr/\[(ALERT|EMERG)\]/, 'no alert for the 1.0 module');
}

# The 1.0 module also works: its keyword adds a response header through the http API.
SKIP: {
    skip "$dir/abi_old_1_0.so not built", 3 unless -e "$dir/abi_old_1_0.so";
    $t->origin_http(port(8082), body => 'ok');
    $t->config(<<"EOF2");
global
    maxconn 1000
    module-load $dir/abi_old_1_0.so
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8090%%
    abi-1-0-header from-1.0
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8082%%
EOF2
    $t->run();
    my $r = http_parse(http_get('/', port => port(8090)));
    is($r && $r->{status}, 200, 'request through a 1.0 module answered');
    is($r && $r->{h}{'x-abi-1-0'}, 'from-1.0', 'the 1.0 module added its header');
    like($t->errlog(), qr/^(?!.*\[ALERT\])/s, 'no alert with the 1.0 module running');
    $t->stop();
}

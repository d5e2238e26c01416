#!/usr/bin/perl
# Tests for -c config checking: errors with file:line, hints, several files, directories,
# environment variables, .if conditionals and -cc.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port portico /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(21);
my $dir = $t->testdir;

# Starts the proxy; on failure reports why and returns false instead of dying, so the
# remaining checks of this file still run (the error log alerts are then reported at the end).
sub try_run {
    my (%opts) = @_;
    return 1 if eval { $t->run(%opts); 1 };
    diag("start failed: $@");
    return 0;
}

my $good = <<'EOF2';
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

$t->config($good);
my ($rc, $out) = $t->check_config();
is($rc, 0, 'valid config: -c exits 0') or diag($out);

# Unknown keyword in a backend: line 7 of the written file.
my $file = $t->write_file('unknown.cfg', <<'EOF2');
global
    maxconn 1000
defaults
    mode http
    %%TIMEOUTS%%
backend be
    frobnicate-the-server on
    server a 127.0.0.1:%%PORT_8081%%
EOF2
my $line = 9;    # %%TIMEOUTS%% expands to three lines
($rc, $out) = $t->run_binary('-c', '-f', $file);
isnt($rc, 0, 'unknown keyword: -c exits non-zero');
like($out, qr/\Q$file\E:$line\b/, 'unknown keyword: error names file:line') or diag($out);

# Typo gets a hint.
$file = $t->write_file('typo.cfg', "defaults\n    mode http\n    timout connect 5s\n");
($rc, $out) = $t->run_binary('-c', '-f', $file);
isnt($rc, 0, 'typo: -c exits non-zero');
like($out, qr/\btimeout\b/, 'typo: hint suggests timeout') or diag($out);

# A HAProxy keyword portico does not implement yet.
SKIP: {
    skip 'portico only', 2 unless portico();
    skip 'stick module loaded: stick-table implemented', 2 if $t->has_feature('stick');
    $file = $t->write_file('unsupported.cfg',
        "defaults\n    mode http\nbackend be\n    stick-table type ip size 1k\n");
    ($rc, $out) = $t->run_binary('-c', '-f', $file);
    isnt($rc, 0, 'unsupported keyword: -c exits non-zero');
    like($out, qr/not supported/i, 'unsupported keyword: says not supported') or diag($out);
}

# Error in the second of two files names the second file.
my $fa = $t->write_file('a.cfg', "global\n    maxconn 1000\ndefaults\n    mode http\n");
my $fb = $t->write_file('b.cfg', "backend be\n    frobnicate-the-server on\n");
($rc, $out) = $t->run_binary('-c', '-f', $fa, '-f', $fb);
isnt($rc, 0, 'two files: -c exits non-zero');
like($out, qr/\Q$fb\E:2\b/, 'two files: error names the second file and its line') or diag($out);

# -f DIR loads *.cfg in name order; other files are ignored.
$t->origin_http(port(8081), echo => 1);
$t->write_file('conf.d/10-defaults.cfg',
    "%%GLOBAL%%\ndefaults\n    mode http\n    %%TIMEOUTS%%\n");
$t->write_file('conf.d/20-frontend.cfg', <<'EOF2');
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain string "x-dir-order: defaults-first"
    default_backend be
EOF2
$t->write_file('conf.d/30-backend.cfg', "backend be\n    server a 127.0.0.1:%%PORT_8081%%\n");
$t->write_file('conf.d/README', "this is not a config file\n");
$t->config(undef);
($rc, $out) = $t->run_binary('-c', '-f', "$dir/conf.d");
is($rc, 0, 'directory: -c exits 0') or diag($out);
my $r = try_run(args => ['-f', "$dir/conf.d"], wait_ports => [8080])
    && http_parse(http_get('/dir'));
like($r ? $r->{body} : '', qr/^x-dir-order: defaults-first\r?$/mi,
    'directory: files loaded in order (mode http inherited from the first file)');
$t->stop();

# Environment variables, with and without a default value.
$t->write_file('env.cfg', <<'EOF2');
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a "127.0.0.1:${PORTICO_TEST_UNSET_VAR-%%PORT_8081%%}"
frontend fe
    bind "127.0.0.1:${PORTICO_TEST_PORT}"
    default_backend be
EOF2
$r = try_run(args => ['-f', "$dir/env.cfg"], wait_ports => [8080],
    env => { PORTICO_TEST_PORT => port(8080), PORTICO_TEST_UNSET_VAR => undef })
    && http_parse(http_get('/env'));
like($r ? $r->{body} : '', qr{^GET /env }, 'env vars: "${VAR}" and "${UNSET-default}" expanded');
$t->stop();

# .if defined(X) / .else / .endif
$file = $t->write_file('cond.cfg', <<'EOF2');
defaults
    mode http
.if defined(PORTICO_TEST_COND)
    frobnicate-the-server on
.else
    timeout connect 1s
.endif
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
backend be
    server a 127.0.0.1:%%PORT_8081%%
EOF2
($rc, $out) = $t->run_binary({ env => { PORTICO_TEST_COND => undef } }, '-c', '-f', $file);
is($rc, 0, '.if: undefined variable takes the .else branch') or diag($out);
($rc, $out) = $t->run_binary({ env => { PORTICO_TEST_COND => 1 } }, '-c', '-f', $file);
isnt($rc, 0, '.if: defined variable takes the .if branch');
like($out, qr/\Q$file\E:4\b/, '.if: error reported on the line inside the block') or diag($out);

# -cc evaluates a condition.
($rc, $out) = $t->run_binary('-cc', 'version_atleast(2.4)');
is($rc, 0, '-cc version_atleast(2.4) is true') or diag($out);
($rc, $out) = $t->run_binary('-cc', 'version_before(2.0)');
is($rc, 1, '-cc version_before(2.0) is false') or diag($out);

# tune.idle-pool.shared on|off (HAProxy's words for a bad value, with the line)
$file = $t->write_file('idle.cfg', "global\n    tune.idle-pool.shared off\nlisten l\n    mode http\n    bind 127.0.0.1:%%PORT_8099%%\n    timeout client 1s\n");
($rc, $out) = $t->run_binary('-c', '-f', $file);
is($rc, 0, 'tune.idle-pool.shared off is accepted') or diag($out);
$file = $t->write_file('idle.cfg', "global\n    tune.idle-pool.shared maybe\n");
($rc, $out) = $t->run_binary('-c', '-f', $file);
like($out, qr/idle\.cfg:2\]? ?:? .*'tune\.idle-pool\.shared' expects either 'on' or 'off' but got 'maybe'/,
    'tune.idle-pool.shared maybe is refused') or diag($out);

# -c with a valid config leaves no running process behind.
$t->config($good);
($rc, $out) = $t->check_config();
is($rc, 0, 'valid config again');
my %origin = map { $_ => 1 } $t->origin_pids;
is(join(' ', grep { !$origin{$_} } $t->workers($$)), '', '-c leaves no child process');

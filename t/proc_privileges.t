#!/usr/bin/perl
# Tests for the process keywords of "global": user/group and chroot (checked in the
# workers' /proc entries, when run as root), uid/gid, ulimit-n, cpu-map, setenv and
# friends, node, nbproc refused with HAProxy's message.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(15);

sub status_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return {};
    my %s;
    while (my $l = <$fh>) { $s{$1} = $2 if $l =~ /^(\w+):\s*(.*?)\s*$/ }
    return \%s;
}

my $jail = $t->testdir . '/jail';
mkdir $jail or die "mkdir $jail: $!";
chmod 0755, $jail;
my $ncpu = 0;
if (open my $ci, '<', '/proc/cpuinfo') { $ncpu = grep { /^processor\s*:/ } <$ci> }
my $cpu = $ncpu > 1 ? 1 : 0;

$t->config(<<"EOF2");
global
    maxconn 100
    workers 2
    user nobody
    group nogroup
    chroot $jail
    ulimit-n 4000
    cpu-map 1/2 $cpu
    node edge-1
    setenv PTC_TEST_BODY from-setenv
    presetenv PTC_TEST_BODY not-this-one
    setenv PTC_TEST_GONE x
    unsetenv PTC_TEST_GONE
    stats socket %%TESTDIR%%/admin.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request return status 200 content-type text/plain string "\${PTC_TEST_BODY}[\${PTC_TEST_GONE}]"
EOF2

SKIP: {
    skip 'privilege drop needs root', 15 if $> != 0;
    $t->run();
    my @w = $t->wait_workers(2, 5);
    is(scalar @w, 2, 'two workers');
    my $r = http_parse(http_get('/'));
    is($r && $r->{body}, 'from-setenv[]', 'serves after dropping privileges; setenv, presetenv, unsetenv in order') or diag($r ? $r->{body} : 'no response');
    my ($uids, $gids, $roots, $groups) = (0, 0, 0, 0);
    for my $pid (@w) {
        my $s = status_of($pid);
        $uids++ if ($s->{Uid} // '') eq join("\t", (65534) x 4);
        $gids++ if ($s->{Gid} // '') eq join("\t", (65534) x 4);
        $groups++ if ($s->{Groups} // 'x') =~ /^65534?\s*$/ || ($s->{Groups} // 'x') eq '65534';
        $roots++ if (readlink("/proc/$pid/root") // '') eq $jail;
    }
    is($uids, 2, 'workers run as user nobody (real, effective, saved, fs uid)');
    is($gids, 2, 'workers run as group nogroup');
    is($groups, 2, 'supplementary groups dropped') or diag(status_of($w[0])->{Groups});
    is($roots, 2, 'workers are chrooted') or diag(readlink("/proc/$w[0]/root"));
    my $m = status_of($t->pid);
    like($m->{Uid} // '', qr/^0\s/, 'the master stays root (it binds again on reload)');
    is(readlink("/proc/" . $t->pid . "/root"), '/', 'the master is not chrooted');
    open my $lf, '<', "/proc/$w[0]/limits";
    my ($nofile) = grep { /^Max open files/ } <$lf>;
    like($nofile // '', qr/^Max open files\s+4000\s+4000\b/, 'ulimit-n sets the descriptor limit');
    my %cpus = map { $_ => status_of($_)->{Cpus_allowed_list} } @w;
    ok((grep { $_ eq "$cpu" } values %cpus) >= 1, "cpu-map pins worker 2 to CPU $cpu")
        or diag(join ' ', %cpus);
    my $info = Test::Portico::cli_send($t->testdir . '/admin.sock', "show info\n");
    like($info, qr/^node: edge-1$/m, 'node shows in show info');
    # the workers still reach the origin-less service and stop cleanly
    $r = http_parse(http_get('/again'));
    is($r && $r->{status}, 200, 'still serving');
    my $st = $t->stop();
    is($st, 0, 'soft stop with dropped privileges exits 0');
}

$t->config(<<'EOF2');
global
    nbproc 2
defaults
    mode http
frontend fe
    bind 127.0.0.1:%%PORT_8081%%
EOF2
my ($rc, $out) = $t->check_config();
isnt($rc, 0, 'nbproc is refused');
like($out, qr/portico\.cfg:2: nbproc is not supported any more since HAProxy 2\.5\. Threads will automatically be used on multi-processor machines if available\./,
    "nbproc: HAProxy 2.5+'s message with file:line") or diag($out);

#!/usr/bin/perl
# ABI 1.18 listening sockets through a real portico: the listen_echo test module listens
# in worker slot 0 (two workers) on an address of its own, then on an inherited socket
# ("fd@<n>"); several clients at once get their lines answered by worker 0, the client's
# address comes with each accepted connection, and closing the listener makes the port
# refuse connections while the accepted ones go on.
use warnings;
use strict;
use Test::More;
use File::Spec;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->portico_only()->plan(8);
my $dir = File::Spec->rel2abs($ENV{PORTICO_TEST_MODULES} // 'build/test-modules');

sub ask {
    my ($s, $line) = @_;
    syswrite($s, "$line\n");
    my $got = '';
    my $sel = IO::Select->new($s);
    while ($got !~ /\n/ && $sel->can_read(3)) {
        last unless sysread($s, my $b, 512);
        $got .= $b;
    }
    return $got;
}

SKIP: {
    skip "$dir/listen_echo.so not built", 8 unless -e "$dir/listen_echo.so";
    $t->config(<<"EOF2")->run(wait_ports => ['8701']);
global
    workers 2
    module-load $dir/listen_echo.so
    testlisten 127.0.0.1:%%PORT_8701%%
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8700%%
    http-request return status 200
EOF2
    my @c = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8701), Timeout => 3) } 1 .. 3;
    is(scalar(grep { defined } @c), 3, 'three clients connect to the module\'s listener');
    is(join('|', map { ask($c[$_], "hi$_") } 0 .. 2), "0 hi0\n|0 hi1\n|0 hi2\n", 'each is answered, by worker 0');
    is(ask($c[1], 'again'), "0 again\n", 'a connection goes on');
    like($t->errlog, qr/testlisten: accepted #3 from 127\.0\.0\.1 \(len 16\)/, 'the client address comes with each');
    is(ask($c[0], 'stop'), "0 stop\n", 'closing the listener from a connection\'s callback');
    my $deadline = time + 3;
    my $refused = 0;
    while (time < $deadline) {
        my $x = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8701), Timeout => 1);
        if (!$x) { $refused = 1; last }
        close $x;
        sleep 0.05;
    }
    ok($refused, 'the port refuses connections once the listener is closed');
    is(ask($c[2], 'still'), "0 still\n", 'the accepted connections go on');
    close $_ for grep { defined } @c;
    $t->stop();

    # an inherited socket
    my $f = Test::Portico->new();
    my $fport = $f->listen_fd('LSOCK');
    $f->config(<<"EOF2")->run();
global
    workers 2
    module-load $dir/listen_echo.so
    testlisten "fd\@\${LSOCK}"
defaults
    mode http
    %%TIMEOUTS%%
frontend fe
    bind 127.0.0.1:%%PORT_8710%%
    http-request return status 200
EOF2
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $fport, Timeout => 3);
    is($s ? ask($s, 'inherited') : 'no connection', "0 inherited\n", 'on an inherited socket (fd@<n>)');
    close $s if $s;
}

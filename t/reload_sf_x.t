#!/usr/bin/perl
# Tests for the handover between two instances without master-worker reload: the new one
# takes the listening sockets of the old one over its stats socket ("expose-fd listeners",
# -x) and tells it to finish (-sf) once it serves; connection-per-request and keep-alive
# clients see no failure, and the old instance exits once its work is done.
use warnings;
use strict;
use Test::More;
use IO::Select;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http http_end http_parse port wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(7);
$t->origin_http(port(8081), body => "ok\n");
my $cfg = <<'EOF2';
global
    maxconn 500
    workers 2
    stats socket %%TESTDIR%%/admin.sock level admin expose-fd listeners
defaults
    mode http
    %%TIMEOUTS%%
backend be
    http-response set-header X-Instance %%NAME%%
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
(my $ca = $cfg) =~ s/%%NAME%%/old/;
(my $cb = $cfg) =~ s/%%NAME%%/new/;
$t->config($ca)->run();
$t->wait_workers(2, 5);

my $stop = $t->testdir . '/stop-load';
my $parent = $$;
my @kids;
sub load_child {
    my ($name, $ka) = @_;
    my $pid = fork() // die;
    if ($pid == 0) {
        my ($ok, $fail, $retry, @why) = (0, 0, 0);
        my ($s, $buf, $used);
        until (-e $stop || getppid() != $parent) {
            if (!$s) {
                $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => port(8080),
                    Timeout => 5) or do { $fail++; push @why, "connect: $!"; sleep 0.01; next };
                ($buf, $used) = ('', 0);
            }
            syswrite($s, "GET / HTTP/1.1\r\nHost: x\r\n" . ($ka ? '' : "Connection: close\r\n") . "\r\n");
            my $sel = IO::Select->new($s);
            my $end = time + 5;
            my ($st, $close);
            while (time < $end) {
                if ($buf =~ /\A(HTTP\/1\.1 (\d+)[^\r]*\r\n(.*?)\r\n\r\n)/s) {
                    my ($head, $code, $h) = ($1, $2, $3);
                    my ($len) = $h =~ /^content-length:\s*(\d+)/mi;
                    if (length($buf) >= length($head) + ($len // 0)) {
                        substr($buf, 0, length($head) + ($len // 0), '');
                        ($st, $close) = ($code, ($h =~ /^connection:\s*close/mi ? 1 : 0));
                        last;
                    }
                }
                last unless $sel->can_read($end - time);
                last unless sysread($s, $buf, 65536, length $buf);
            }
            if (($st // 0) == 200) {
                $ok++;
                $used++;
                undef $s if $close || !$ka;
            } elsif (!defined $st && $buf eq '' && $used) {
                $retry++;    # reused keep-alive connection closed before the response
                undef $s;
            } else {
                $fail++;
                push @why, "status " . ($st // 'none') . " buf " . length $buf;
                undef $s;
            }
        }
        open my $fh, '>', $t->testdir . "/load-$name";
        print $fh "$ok $fail $retry\n", map { "$_\n" } @why[0 .. ($#why > 9 ? 9 : $#why)];
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, [$name, $pid];
}
load_child("cpr$_", 0) for 1 .. 3;
load_child("ka$_", 1) for 1 .. 2;
sleep 0.5;

# the new instance: same ports, sockets fetched from the old one, which then finishes
my $old = $t->pid;
my @old_workers = $t->workers;
my $t2 = Test::Portico->new();
$t2->config($cb)->run(args => ['-x', $t->testdir . '/admin.sock', '-sf', $old]);
my $st = $t->wait_exit(10);
is($st, 0, 'the old instance finishes and exits 0');
like($t2->errlog, qr/took over 2 listening sockets/, 'the new instance took the 2 sockets over (-x)')
    or diag($t2->errlog);
like($t->errlog, qr/Sent 2 listening sockets/, 'the old instance sent them (_getsocks)');
sleep 0.5;
my $r = http_parse(http("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
is($r && $r->{h}{'x-instance'}, 'new', 'the new instance serves');

open my $sf, '>', $stop;
close $sf;
my ($ok, $fail, $retry, @why) = (0, 0, 0);
for my $k (@kids) {
    waitpid($k->[1], 0);
    my $c = $t->read_file("load-$k->[0]");
    my ($o, $f, $rt) = split /\n| /, $c;
    $ok += $o // 0;
    $fail += $f // 1;
    $retry += $rt // 0;
    push @why, "$k->[0]: $c" if $f;
}
ok($ok > 100, "requests served across the handover: $ok (keep-alive retries: $retry)");
is($fail, 0, 'no failed request across the handover') or diag(join "\n", @why);
ok(!grep({ my $s = Test::Portico::_stat($_); $s && $s->{state} ne 'Z' } @old_workers),
    'the old workers are gone');
$t2->stop;

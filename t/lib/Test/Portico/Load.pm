package Test::Portico::Load;
# SPDX-License-Identifier: MIT
# Load and fault helpers for t/fault_*.t: a keep-alive HTTP load generator that records the
# status (or failure) of every request, process-tree kills and percentiles.

use warnings;
use strict;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw/ time /;
use POSIX qw/ EAGAIN EINTR EINPROGRESS /;
use Exporter qw/ import /;

our @EXPORT_OK = qw/ http_load kill_tree children percentile /;

# http_load(port => P, conc => N, dur => S [, path => '/x' or CODE(i, n)] [, tick => CODE(t)]
#           [, close => 1] [, timeout => S] [, ka_retry => 1, ka_retried => \$count]
#           [, no_body => 1]): N clients send GET requests for S seconds, each
# on a keep-alive connection (reconnecting when it closes; close => 1 asks for
# "Connection: close"), the next as soon as a response is complete. Returns a list of
# { t0, t1, status, body, len, client } per request: status 0 when the connection failed,
# closed or timed out (timeout, default 5 s) before a complete response. With no_body the
# bodies are not kept (body undef), only their length (a long run of large bodies would
# otherwise hold them all in memory).
sub http_load {
    my (%o) = @_;
    my $port = $o{port};
    my $end = time + $o{dur};
    my $timeout = $o{timeout} // 5;
    my @cl = map { { id => $_, n => 0 } } 1 .. ($o{conc} // 8);
    my @res;
    my $sel = IO::Select->new;
    my %by;
    my $send = sub {
        my ($c) = @_;
        my $path = ref $o{path} ? $o{path}->($c->{id}, $c->{n}) : ($o{path} // '/');
        $c->{n}++;
        my $req = "GET $path HTTP/1.1\r\nHost: load\r\n"
            . ($o{close} ? "Connection: close\r\n" : '') . "\r\n";
        if (!$c->{s}) {
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port,
                Proto => 'tcp', Timeout => 2);
            if (!$s) {
                push @res, { t0 => time, t1 => time, status => 0, body => '', client => $c->{id},
                    why => 'connect' };
                return;
            }
            $s->blocking(0);
            $c->{s} = $s;
            $sel->add($s);
            $by{fileno $s} = $c;
        }
        $c->{buf} = '';
        $c->{t0} = time;
        $c->{busy} = 1;
        syswrite($c->{s}, $req);
    };
    my $drop = sub {
        my ($c) = @_;
        return unless $c->{s};
        $sel->remove($c->{s});
        delete $by{fileno $c->{s}};
        close $c->{s};
        delete $c->{s};
    };
    my $done = sub {
        my ($c, $status, $body, $why) = @_;
        push @res, { t0 => $c->{t0}, t1 => time, status => $status,
            body => $o{no_body} ? undef : $body, len => length($body // ''),
            client => $c->{id}, why => $why };
        $c->{busy} = 0;
        $c->{retried} = 0;
    };
    $send->($_) for @cl;
    while (1) {
        my $now = time;
        if ($o{tick} && (!$o{next_tick} || $now >= $o{next_tick})) {
            $o{tick}->($now);
            $o{next_tick} = $now + 0.1;
        }
        for my $c (@cl) {
            if ($c->{busy} && $now - $c->{t0} > $timeout) {
                $drop->($c);
                $done->($c, 0, '', 'timeout');
            }
            next if $c->{busy};
            last if $now >= $end;
            $send->($c);
        }
        last if $now >= $end && !grep { $_->{busy} } @cl;
        for my $s ($sel->can_read(0.02)) {
            my $c = $by{fileno $s} or next;
            my $n = sysread($s, $c->{buf}, 65536, length $c->{buf});
            next if !defined $n && ($! == EAGAIN || $! == EINTR);
            if (!$n) {
                $drop->($c);
                # ka_retry: as HTTP clients do, a request sent on a reused keep-alive
                # connection that closes before any response byte is sent again, once, on
                # a new connection (counted in ${$o{ka_retried}} when given)
                if ($c->{busy} && $o{ka_retry} && $c->{served} && $c->{buf} eq ''
                    && !$c->{retried}) {
                    ${$o{ka_retried}}++ if $o{ka_retried};
                    $c->{retried} = 1;
                    $c->{served} = 0;
                    $c->{n}--;
                    $send->($c);
                    next;
                }
                $c->{served} = 0;
                $done->($c, 0, '', 'closed') if $c->{busy};
                next;
            }
            next unless $c->{busy} && $c->{buf} =~ /\r\n\r\n/;
            my $he = $+[0];
            my $head = substr($c->{buf}, 0, $he);
            my ($st) = $head =~ m{^HTTP/1\.\d (\d{3})};
            my ($len) = $head =~ /\r\ncontent-length:\s*(\d+)/i;
            $len //= 0;
            next if length($c->{buf}) < $he + $len;
            my $body = substr($c->{buf}, $he, $len);
            $done->($c, $st // 0, $body, 'response');
            $c->{served}++;
            if ($o{close} || $head =~ /\r\nconnection:\s*close/i) {
                $drop->($c);
                $c->{served} = 0;
            }
        }
    }
    $drop->($_) for @cl;
    return @res;
}

# Live children of PID (from /proc).
sub children {
    my ($pid) = @_;
    my @k;
    opendir my $d, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $l = <$fh> // next;
        $l =~ s/^.*\)\s+// or next;
        my @f = split ' ', $l;
        push @k, $p if $f[1] == $pid && $f[0] ne 'Z';
    }
    return @k;
}

# SIGKILLs PID and its descendants (children first, so none is left serving).
sub kill_tree {
    my ($pid) = @_;
    # stopped first, so it cannot fork a child between the listing and the kill (an orphaned
    # origin child would go on serving its keep-alive connection)
    kill 'STOP', $pid;
    kill_tree($_) for children($pid);
    kill 'KILL', $pid;
}

sub percentile {
    my ($p, @v) = @_;
    return 0 unless @v;
    @v = sort { $a <=> $b } @v;
    my $i = int($p / 100 * $#v + 0.5);
    return $v[$i];
}

1;

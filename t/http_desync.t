#!/usr/bin/perl
# HTTP/1 desync corpus (t/data/http_desync.txt): each ambiguous or malformed request is sent
# through the proxy to a recording origin. The proxy either rejects it (4xx/5xx, then closes)
# or forwards exactly one request that a strict parser reads unambiguously (one request line,
# token names, no folding, no bare CR/LF or NUL, one framing, no bytes left over). Requests
# RFC 9112 allows are forwarded, those it forbids are rejected, and whatever Debian's
# HAProxy 2.6.12 rejects (the corpus's third column) portico rejects too.
# PORTICO_DESYNC_RECORD=FILE writes each case's verdict (A/R/other) to FILE.
use warnings;
use strict;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw/ time sleep /;
use Socket qw/ SHUT_WR /;
use POSIX qw/ EINTR EAGAIN /;
use Fcntl qw/ :flock /;
use JSON::PP ();
use lib 't/lib';
use Test::Portico qw/ port /;

# Known gaps (portico laxer than HAProxy 2.6 where no desync is at stake), by case name.
my %known_gap = (
    'oversized header name 10k' => 'no limit on a header name below tune.bufsize yet',
);

my @cases;
open my $cf, '<', 't/data/http_desync.txt' or die "corpus: $!";
while (my $l = <$cf>) {
    chomp $l;
    next if $l =~ /^#/ || $l eq '';
    my ($id, $expect, $hap, $name, $req) = split /\t/, $l, 5;
    $req =~ s/\\(x([0-9a-fA-F]{2})|r|n|t|0|\\)/
        defined $2 ? chr(hex $2) : { r => "\r", n => "\n", t => "\t", 0 => "\0", '\\' => '\\' }->{$1}/ge;
    $req =~ s/%ID%/$id/g;
    push @cases, { id => $id, expect => $expect, hap => $hap, name => $name, req => $req };
}
close $cf;

my $t = Test::Portico->new()->has(qw/ http /)->plan(@cases + 3);
my $is_portico = Test::Portico::portico();
my $oport = port(8081);
my $olog = $t->testdir . "/desync_origin.log";
my $JSON = JSON::PP->new->latin1->canonical;

# The recording origin: one request per connection. It reads the head, then whatever follows
# until 300 ms of silence, logs every byte received, answers 200 and closes.
my $ls = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Listen => 256,
    ReuseAddr => 1, Proto => 'tcp') or die "origin: $@";
$oport = $ls->sockport;
my $opid = fork() // die "fork: $!";
if ($opid == 0) {
    $SIG{PIPE} = 'IGNORE';
    $SIG{TERM} = sub { POSIX::_exit(0) };
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $ls->accept or next;
        my $k = fork();
        if (defined $k && $k == 0) {
            my $buf = '';
            my $sel = IO::Select->new($c);
            my $deadline = time + 5;
            while (time < $deadline) {
                my $wait = $buf =~ /\r?\n\r?\n/ ? 0.3 : $deadline - time;
                last unless $sel->can_read($wait);
                my $n = sysread($c, $buf, 65536, length $buf);
                last unless $n;
            }
            if (open my $fh, '>>', $olog) {
                flock $fh, LOCK_EX;
                syswrite $fh, $JSON->encode({ raw => $buf }) . "\n";
                close $fh;
            }
            syswrite $c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            shutdown $c, SHUT_WR;
            sleep 0.05;
            POSIX::_exit(0);
        }
        close $c;
    }
}
close $ls;
push @{$t->{procs}}, { pid => $opid, what => 'desync origin' };
$t->{origins}{$oport} = $opid;

$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
    timeout http-request 2s
    option http-server-close
    http-reuse never
backend be
    server a 127.0.0.1:$oport
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2

# Strict reading of what the origin got: returns '' if it is exactly one unambiguous request,
# else what is wrong.
sub strict_one {
    my ($raw) = @_;
    # RFC 9112 2.2 asks a server to ignore empty lines before the request line, but a proxy
    # has no reason to send them on (HAProxy 2.6 and portico drop them): strict here
    return 'empty line before the request line' if $raw =~ /\A[\r\n]/;
    my $e = index($raw, "\r\n\r\n");
    return 'no end of head' if $e < 0;
    my $head = substr($raw, 0, $e);
    my $rest = substr($raw, $e + 4);
    return 'NUL, bare CR or bare LF in head' if $head =~ /\0|\r(?!\n)|(?<!\r)\n/;
    my ($line, @hl) = split /\r\n/, $head, -1;
    return "request line '$line'" unless $line =~ m{^[!#\$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\x7e\x80-\xff]+ HTTP/1\.[01]\z};
    my (%n, $cl, $te);
    for my $h (@hl) {
        return "field line '$h'" unless $h =~ /^([!#\$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\0\r\n]*?)[ \t]*\z/;
        my ($k, $v) = (lc $1, $2);
        $n{$k}++;
        $cl = $v if $k eq 'content-length';
        $te = $v if $k eq 'transfer-encoding';
    }
    return 'several Content-Length' if ($n{'content-length'} // 0) > 1;
    return 'several Transfer-Encoding' if ($n{'transfer-encoding'} // 0) > 1;
    return 'several Host' if ($n{host} // 0) > 1;
    return 'Content-Length with Transfer-Encoding' if defined $cl && defined $te;
    if (defined $te) {
        # a list: empty elements allowed (RFC 9110 5.6.1), chunked last and only once
        my @codings = grep { length } map { s/^[ \t]+|[ \t]+\z//gr } split /,/, $te, -1;
        return "Transfer-Encoding '$te'" if !@codings || lc $codings[-1] ne 'chunked'
            || grep({ lc eq 'chunked' } @codings) > 1
            || grep { !/^[!#\$%&'*+.^_`|~0-9A-Za-z-]+\z/ } @codings;
        while (1) {
            my $tok = qr/[!#\$%&'*+.^_`|~0-9A-Za-z-]+/;
            $rest =~ s/\A0*([0-9a-fA-F]{1,15})(?:[ \t]*;[ \t]*$tok(?:[ \t]*=[ \t]*(?:$tok|"[^"\\\r\n]*"))?)*\r\n//
                or return 'chunk size line';
            my $size = hex $1;
            last if $size == 0;
            return 'chunk data' if length $rest < $size + 2 || substr($rest, $size, 2) ne "\r\n";
            substr($rest, 0, $size + 2, '');
        }
        while ($rest =~ s/\A([^\r\n]*)\r\n//) {
            my $tl = $1;
            last if $tl eq '';
            return "trailer '$tl'" unless $tl =~ /^[!#\$%&'*+.^_`|~0-9A-Za-z-]+:[^\0\r\n]*\z/;
        }
    } elsif (defined $cl) {
        return "Content-Length '$cl'" unless $cl =~ /^\d{1,15}\z/;
        return 'body shorter than Content-Length' if length $rest < $cl;
        substr($rest, 0, $cl, '');
    }
    return 'bytes after the request: ' . substr($rest, 0, 40) if length $rest;
    return '';
}

# Runs a batch of cases concurrently; fills status, closed, resp in each.
sub run_batch {
    my @b = @_;
    my $sel = IO::Select->new;
    my %by;
    for my $c (@b) {
        my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => port(8080),
            Proto => 'tcp', Timeout => 3);
        if (!$s) { $c->{status} = 'noconn'; next }
        $s->blocking(0);
        $c->{out} = $c->{req};
        $c->{resp} = '';
        $c->{sock} = $s;
        $sel->add($s);
        $by{fileno $s} = $c;
    }
    my $deadline = time + 4;
    while ($sel->count && time < $deadline) {
        for my $c (values %by) {
            next unless length($c->{out} // '');
            my $n = syswrite($c->{sock}, $c->{out});
            substr($c->{out}, 0, $n, '') if $n;
            $c->{out} = '' if !defined $n && $! != EAGAIN && $! != EINTR;
        }
        for my $s ($sel->can_read(0.05)) {
            my $c = $by{fileno $s};
            my $n = sysread($s, $c->{resp}, 65536, length $c->{resp});
            next if !defined $n && ($! == EAGAIN || $! == EINTR);
            if (!$n) { $c->{closed} = 1; $sel->remove($s); next }
            # a complete 200 (Content-Length framed) ends the case; an error waits for the close
            if ($c->{resp} =~ m{\AHTTP/1\.[01] 200 .*?\r\n\r\n}s) {
                my ($len) = $c->{resp} =~ /\r\ncontent-length:\s*(\d+)/i;
                if (defined $len && length($c->{resp}) >= $+[0] + $len) {
                    $sel->remove($s);
                }
            }
        }
    }
    for my $c (@b) {
        next unless $c->{sock};
        ($c->{status}) = $c->{resp} =~ m{\AHTTP/1\.[01] (\d{3})};
        $c->{status} //= $c->{resp} eq '' ? 'none' : 'garbage';
        close delete $c->{sock};
    }
}

for (my $i = 0; $i < @cases; $i += 20) {
    my $j = $i + 19 < $#cases ? $i + 19 : $#cases;
    run_batch(@cases[$i .. $j]);
}
sleep 0.5; # the origin logs before it answers; this is for requests still trickling in

my (%seen, @unmapped);
for my $line (split /\n/, $t->read_file($olog)) {
    my $r = eval { $JSON->decode($line) } or next;
    # a server connection on which nothing was sent (the request was refused once its body
    # showed the error, after the connection was opened) carries no request
    next if $r->{raw} eq '';
    if ($r->{raw} =~ m{[/?]c(\d+)(?!\d)}) { push @{$seen{$1}}, $r->{raw} }
    else { push @unmapped, $r->{raw} }
}

my ($acc, $rej) = (0, 0);
my @record;
my %hap_acc;
for my $c (@cases) {
    my $got = $seen{$c->{id}} || [];
    my $verdict;
    my @why;
    if (!@$got && $c->{status} =~ /^[45]\d\d$/ && $c->{closed}) {
        $verdict = 'R';
    } elsif (@$got == 1 && $c->{status} eq '200') {
        my $bad = strict_one($got->[0]);
        $verdict = 'A';
        push @why, "forwarded ambiguously: $bad" if $bad ne '';
    } else {
        $verdict = "X(status $c->{status}, closed " . ($c->{closed} ? 1 : 0) . ', origin saw '
            . scalar(@$got) . ')';
        push @why, "neither rejected nor forwarded once: $verdict";
    }
    $acc++ if $verdict eq 'A';
    $rej++ if $verdict eq 'R';
    push @record, "$c->{id}\t$verdict";
    push @why, 'RFC 9112 allows it but it was rejected' if $c->{expect} eq 'ok' && $verdict ne 'A';
    push @why, 'invalid but forwarded' if $c->{expect} eq 'bad' && $verdict ne 'R';
    push @why, 'HAProxy 2.6 rejects it, portico forwarded it'
        if $is_portico && $c->{hap} eq 'R' && $c->{expect} ne 'ok' && $verdict ne 'R';
    $hap_acc{$c->{hap}}++;
    # HAProxy 2.6 itself is laxer than the corpus asks in places (the recorded column says
    # where): run against it, the expectations are known gaps, not failures.
    local $TODO = !$is_portico ? 'HAProxy 2.6 is laxer than this corpus'
        : $known_gap{$c->{name}};
    ok(!@why, "$c->{id} $c->{name}: $verdict") or diag(join('; ', @why));
}

if (my $f = $ENV{PORTICO_DESYNC_RECORD}) {
    open my $fh, '>', $f or die "$f: $!";
    print $fh "$_\n" for @record;
    close $fh;
}

cmp_ok(scalar @cases, '>=', 200, 'at least 200 cases in the corpus');
{
local $TODO = $is_portico ? undef : 'HAProxy 2.6 is laxer than this corpus';
is(scalar @unmapped, 0, 'the origin got no request that belongs to no case')
    or diag(join "\n---\n", map { substr($_, 0, 200) } @unmapped);
}
pass(sprintf('%s forwarded %d, rejected %d of %d; HAProxy 2.6.12 (recorded) forwarded %d, '
    . 'rejected %d', $is_portico ? 'portico' : 'this binary', $acc, $rej, scalar @cases,
    $hap_acc{A} // 0, $hap_acc{R} // 0));
diag(sprintf('forwarded %d, rejected %d of %d (HAProxy recorded: A %d, R %d)', $acc, $rej,
    scalar @cases, $hap_acc{A} // 0, $hap_acc{R} // 0));

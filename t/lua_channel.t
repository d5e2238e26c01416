#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Lua's Channel class (txn.req, txn.res; lua/examples/channel.lua): data/line with offsets
# (negative ones from the end) and lengths, dup, get, getline, set, insert, append,
# prepend, remove, forward, send, input, output, is_resp, may_recv, is_full in
# tcp-request and tcp-response content actions, waiting for bytes as HAProxy 2.6 does;
# HAProxy's "Cannot manipulate HAProxy channels in HTTP mode." on an HTTP stream.
use warnings;
use strict;
use Test::More;
use File::Spec;
use IO::Socket::INET;
use Time::HiRes qw/ time sleep /;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ tcp http /);
plan(skip_all => 'no lua module') if $t->portico && !$t->has_feature('lua');
$t->plan(7);
my $script = File::Spec->rel2abs('lua/examples/channel.lua');
$t->origin_tcp(port(8085));
$t->config(<<"EOF2");
global
    nbthread 1
    lua-load $script
defaults
    mode tcp
    %%TIMEOUTS%%
frontend chan
    bind 127.0.0.1:%%PORT_8080%%
    tcp-request inspect-delay 5s
    tcp-request content lua.chan
    default_backend echo
frontend chanres
    bind 127.0.0.1:%%PORT_8081%%
    default_backend echores
frontend web
    mode http
    bind 127.0.0.1:%%PORT_8082%%
    http-request lua.chan_http
    http-request return status 200 content-type text/plain lf-string "%[var(txn.err)]|%[var(txn.err2)]|%[var(txn.flags)]"
backend echo
    server e 127.0.0.1:%%PORT_8085%%
backend echores
    tcp-response inspect-delay 5s
    tcp-response content lua.chan_res
    server e 127.0.0.1:%%PORT_8085%%
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'configuration is valid') or diag($out);
$t->run();

# Sends the chunks (a number: sleep that many seconds), reads until `want` bytes or 5 s.
sub talk {
    my ($port, $want, @chunks) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2)
        or return "connect: $!";
    for my $ch (@chunks) {
        if ($ch =~ /^[\d.]+$/) { sleep $ch; next }
        print $c $ch;
        $c->flush;
    }
    my $got = '';
    my $t0 = time;
    my $rin = '';
    vec($rin, fileno($c), 1) = 1;
    while (time - $t0 < 5 && length $got < $want) {
        my $rout = $rin;
        next unless select($rout, undef, undef, 0.2) > 0;
        my $n = sysread($c, my $buf, 4096);
        last unless $n;
        $got .= $buf;
    }
    close $c;
    return $got;
}

my $report = 'cmd=basic\n|data=hello world|input=12|line=hello world\n|neg=world\n|off=llo|zero=|'
    . 'line6=world\n|is_resp=false|res_is_resp=true|may_recv=true|is_full=false|output=0|'
    . 'set=5|insert=1|prepend=1|remove_end=1|remove_first=1|dup=HELLO <world|'
    . 'bad_off=offset out of range.|bad_len=length out of range.|forward=3|output3=3|'
    . 'input3=9|send=2|output5=5|';
my $want = "HELS:" . $report . "LO <world";
is(talk(port(8080), length $want, "bas", 0.1, "ic\n", 0.2, "hello world\n"), $want,
    'tcp-request content: waits for the line and the bytes, then reads, edits, forwards, sends');
$want = 'cmd=get\n|get1=|getline=abcdef\n|get2=rest|input=0|';
is(talk(port(8080), length $want, "get\n", 0.15, "abc", 0.15, "de", 0.15, "f\nrest"), $want,
    'get answers "" at once, getline waits for a line, get takes the rest');
SKIP: {
    skip 'HAProxy 2.6.12 closes the connection when forward() waits in a content rule', 1
        if !$t->portico;
    $want = 'abcdecmd=fwd\n|forward=5|input=2|output=5|fg';
    is(talk(port(8080), length $want, "fwd\nab", 0.15, "cdefg"), $want,
        'forward waits for the bytes to forward');
}
SKIP: {
    skip 'HAProxy 2.6.12 inserts in front of the input (portico follows its manual)', 1
        if !$t->portico;
    $want = 'cmd=append\n|append=1|dup=xy!|xy!';
    is(talk(port(8080), length $want, "append\nxy"), $want, 'append: at the end of the input');
}
$want = "R:true:false:<ping>\n";
is(talk(port(8081), length $want, "ping\n"), $want, 'tcp-response content: line, set, prepend on txn.res');
my $r = http_parse(http_get('/', port => port(8082)));
is($r && $r->{body}, 'Cannot manipulate HAProxy channels in HTTP mode.|'
    . 'Cannot manipulate HAProxy channels in HTTP mode.|false,true,number,number,boolean,boolean',
    'HTTP stream: data and append refused, the others answer');

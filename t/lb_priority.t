#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# set-priority-class / set-priority-offset and the prio_class / prio_offset fetches: requests
# waiting in a backend queue are served by priority class (lowest first), then by arrival
# time moved by the offset, as HAProxy 2.6 sorts its queues; values are clamped to
# -2047..2047 and -524287..524287.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http http_end http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(9);
$t->origin_http(port(8081), handler => sub {
    my ($req) = @_;
    my ($d) = $req->{uri} =~ /sleep=([\d.]+)/;
    select(undef, undef, undef, $d) if $d;
    return (200, ['Content-Type' => 'text/plain'], "$req->{uri} " . ($req->{h}{'x-prio'} // ''));
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
listen waits
    bind 127.0.0.1:%%PORT_8080%%
    timeout queue 10s
    http-request set-priority-class int(10) if { path_beg /low }
    http-request set-priority-class int(-10) if { path_beg /high }
    http-request set-priority-offset int(-5000) if { path_beg /early }
    http-request set-priority-class int(5000) if { path_beg /clamp }
    http-request set-priority-offset int(-999999) if { path_beg /clamp }
    http-request set-priority-offset str(12),add(1) if { path_beg /conv }
    http-request set-header X-Prio "%[prio_class] %[prio_offset]"
    server a 127.0.0.1:%%PORT_8081%% maxconn 1
EOF2

is(http_parse(http_get('/clamp'))->{body}, '/clamp 2047 -524287', 'values clamped');
is(http_parse(http_get('/conv'))->{body}, '/conv 0 13', 'an expression with converters');
is(http_parse(http_get('/plain'))->{body}, '/plain 0 0', 'defaults: class 0, offset 0');

my $hold = http("GET /hold?sleep=1.5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
select(undef, undef, undef, 0.3);
my %c;
for my $p (qw{ /low1 /mid /high1 /early /low2 }) {
    $c{$p} = http("GET $p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", start => 1);
    select(undef, undef, undef, 0.1);
}
my $h = http_parse(http_end($hold));
is($h && $h->{status}, 200, 'the request holding the slot completed');
my %r = map { $_ => http_parse(http_end($c{$_})) } keys %c;
is(scalar(grep { $r{$_} && $r{$_}{status} == 200 } keys %r), 5, 'every queued request served');

my @order = map { $_->{uri} } grep { $_->{uri} !~ m{^/(clamp|conv|plain)} }
    $t->origin_requests(port(8081));
is($order[0], '/hold?sleep=1.5', 'the holder first');
is($order[1], '/high1', 'then the lowest class (-10)');
is_deeply([@order[2, 3]], ['/early', '/mid'],
    'then class 0, the negative offset before the earlier arrival');
is_deeply([@order[4, 5]], ['/low1', '/low2'], 'class 10 last, in arrival order')
    or diag(join ' ', @order);

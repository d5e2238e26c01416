#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Health checks and slowstart together: a server the check module brings back UP ramps its
# effective weight (show stat's weight column) over its slowstart window, as HAProxy does
# after a failure, while the server that stayed up keeps its full weight.
use warnings;
use strict;
use Test::More;
use Time::HiRes qw/ sleep time /;
use lib 't/lib';
use Test::Portico qw/ port show_stat wait_until /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(6);
my $dir = $t->testdir;
sub health {
    my ($name) = @_;
    return sub {
        my $code = -e "$dir/fail_$name" ? 503 : 200;
        return ($code, ['Content-Type' => 'text/plain'], $name);
    };
}
$t->origin_http(port(8081), handler => health('a'));
$t->origin_http(port(8082), handler => health('b'));
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
    timeout check 1s
backend be
    option httpchk GET /health
    server s1 127.0.0.1:%%PORT_8081%% check inter 100ms rise 1 fall 1 weight 100
    server s2 127.0.0.1:%%PORT_8082%% check inter 100ms rise 1 fall 1 weight 100 slowstart 2s
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be
EOF2
my $sock = "$dir/cli.sock";
sub row { show_stat($sock)->{"be/$_[0]"} // {} }

# the cold start ramp (portico's) is over after 2 s
ok(wait_until(6, sub { (row('s2')->{weight} // 0) == 100 }, 0.1), 's2 at full weight after start-up');

open my $fh, '>', "$dir/fail_b" or die;
close $fh;
ok(wait_until(5, sub { (row('s2')->{status} // '') eq 'DOWN' }, 0.05), 's2 DOWN by its check');
unlink "$dir/fail_b";
ok(wait_until(5, sub { (row('s2')->{status} // '') =~ /^UP/ }, 0.02), 's2 UP again');
my @w;
my $t0 = time;
while (time - $t0 < 2.6) {
    push @w, row('s2')->{weight} // -1;
    sleep 0.25;
}
ok($w[0] < 60, "s2's weight starts low after coming back ($w[0])");
my $mono = 1;
$w[$_] < $w[$_ - 1] and $mono = 0 for 1 .. $#w;
ok($mono && $w[-1] == 100, "and grows to 100 over the window (@w)");
is(row('s1')->{weight}, 100, 's1 kept its weight');

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# hatop (the HAProxy runtime API console) against portico's stats socket: run inside a
# detached tmux session, its screen must show the proxies and servers and no error.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get port /;

for my $tool (qw/ hatop tmux /) {
    plan skip_all => "$tool is not installed (apt-get install hatop tmux)"
        unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}

my $t = Test::Portico->new()->has(qw/ http /)->plan(6);
$t->origin_http(port(8081), body => 'a');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    %%TIMEOUTS%%
frontend fe_hatop
    mode http
    bind 127.0.0.1:%%PORT_8080%%
    default_backend be_hatop
backend be_hatop
    mode http
    server srv_one 127.0.0.1:%%PORT_8081%%
    server srv_two 127.0.0.1:%%PORT_8082%% disabled
EOF2
http_get('/') for 1 .. 3;
my $sock = $t->testdir . '/cli.sock';
my $name = "portico_hatop_$$";
system('tmux', 'new-session', '-d', '-s', $name, '-x', '200', '-y', '50',
    "hatop -s $sock 2>&1; sleep 30");
my $screen = '';
for (1 .. 30) {
    select undef, undef, undef, 0.2;
    $screen = `tmux capture-pane -p -t $name 2>&1`;
    last if $screen =~ /srv_two/;
}
system('tmux', 'kill-session', '-t', $name);
like($screen, qr/HATop version/, 'hatop started');
like($screen, qr/portico Version: 2\.6/, 'hatop reads show info');
like($screen, qr/^>>> fe_hatop/m, 'hatop lists the frontend');
like($screen, qr/^srv_one\s+1\s/m, 'hatop lists the servers');
like($screen, qr/^srv_two\s+1\s+MAINT/m, 'hatop shows the server state');
unlike($screen =~ s/4-ERRORS//r, qr/error|Traceback|exception/i, 'hatop shows no error') or diag($screen);

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Named defaults sections that declare TCP/HTTP rules, refused where HAProxy 2.6 refuses
# them (its reg-test startup/default_rules.vtc): inherited by another defaults section, by
# a listen, by frontends and backends at once, 'tcp-request connection/session' rules by a
# backend, 'tcp-response content' rules by a frontend, a server reference without its
# backend; and accepted where it accepts them.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

my $t = Test::Portico->new()->plan(8);
my $to = "    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n";
my $bind = "    bind 127.0.0.1:" . port(8080) . "\n";

my @bad = (
    ["defaults invalid\n    tcp-response inspect-delay 5s\n    tcp-response content accept\n"
        . "defaults from invalid\n    mode tcp\n", 4, 'a defaults section from one with rules'],
    ["defaults invalid\n$to    tcp-request inspect-delay 5s\n    tcp-request content accept\n"
        . "listen li from invalid\n    mode tcp\n$bind    server www 127.0.0.1:80\n", 8, 'a listen'],
    ["defaults invalid\n$to    tcp-request connection accept\n"
        . "backend be from invalid\n    mode tcp\n    server www 127.0.0.1:80\n", 6,
        'tcp-request connection rules in a backend'],
    ["defaults invalid\n$to    tcp-request session accept\n"
        . "backend be from invalid\n    mode tcp\n    server www 127.0.0.1:80\n", 6,
        'tcp-request session rules in a backend'],
    ["defaults invalid\n$to    tcp-response inspect-delay 5s\n    tcp-response content accept\n"
        . "frontend fe from invalid\n    mode tcp\n$bind", 7, 'tcp-response rules in a frontend'],
    ["defaults invalid\n$to    mode http\n    http-request set-header x-test \"%[srv_conn(www)]\"\n"
        . "backend be from invalid\n    server www 127.0.0.1:80\n", 6,
        'a server reference without backend in defaults'],
);
for my $b (@bad) {
    $t->config($b->[0]);
    my ($rc, $out) = $t->check_config;
    is($rc, 1, "refused: $b->[2]") or diag $out;
}

# accepted: what HAProxy's h14 and h17 accept
$t->config("defaults tcp\n$to    tcp-response inspect-delay 5s\n    tcp-response content accept\n"
    . "backend be from tcp\n    mode tcp\n    server www 127.0.0.1:80\n"
    . "defaults\n$to    mode tcp\nfrontend fe\n$bind    default_backend be\n");
my ($rc, $out) = $t->check_config;
is($rc, 0, 'tcp-response rules inherited by a backend') or diag $out;
$t->config(<<"EOF2");
defaults common
    mode http
$to
defaults def_front from common
    http-request set-header x-test1 "%[fe_conn]"
defaults def_back from common
    http-request set-header x-test2 "%[be_conn]"
    http-request set-header x-test3 "%[srv_conn(be/www)]"
frontend fe from def_front
$bind    default_backend be
backend be from def_back
    server www 127.0.0.1:80
EOF2
($rc, $out) = $t->check_config;
is($rc, 0, 'defaults from defaults without rules; a server reference with its backend')
    or diag $out;

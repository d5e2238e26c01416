#!/usr/bin/perl
# Backup servers: used only when no active server is usable; the first backup only, or all
# of them with "option allbackups".
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(3);
$t->origin_http(port(8081), body => 'a');
$t->origin_http(port(8082), body => 'b');
$t->origin_http(port(8083), body => 'c');
$t->origin_http(port(8084), body => 'd');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
listen normal
    bind 127.0.0.1:%%PORT_8080%%
    server a 127.0.0.1:%%PORT_8081%%
    server b 127.0.0.1:%%PORT_8082%%
    server c 127.0.0.1:%%PORT_8083%% backup
    server d 127.0.0.1:%%PORT_8084%% backup
listen fallback
    bind 127.0.0.1:%%PORT_8090%%
    server a 127.0.0.1:%%PORT_8081%% disabled
    server b 127.0.0.1:%%PORT_8082%% disabled
    server d 127.0.0.1:%%PORT_8084%% backup id 20
    server c 127.0.0.1:%%PORT_8083%% backup id 10
listen all
    bind 127.0.0.1:%%PORT_8091%%
    option allbackups
    server a 127.0.0.1:%%PORT_8081%% disabled
    server c 127.0.0.1:%%PORT_8083%% backup
    server d 127.0.0.1:%%PORT_8084%% backup
EOF2

sub dist {
    my ($port, $n) = @_;
    my %d;
    for (1 .. $n) {
        my $r = http_parse(http_get('/', port => $port));
        $d{$r && $r->{status} == 200 ? $r->{body} : 'failed'}++;
    }
    return \%d;
}
is_deeply(dist(port(8080), 10), { a => 5, b => 5 }, 'actives up: backups unused');
is_deeply(dist(port(8090), 10), { c => 10 }, 'actives down: the first backup by id only');
is_deeply(dist(port(8091), 10), { c => 5, d => 5 }, 'option allbackups: every backup');

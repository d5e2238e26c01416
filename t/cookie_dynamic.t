#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# "cookie ... dynamic" with "dynamic-cookie-key": servers without their own cookie get
# HAProxy's derived value (XXH64 of the key, the server's address and port), so two
# independent instances of the same configuration agree on every cookie. The second
# instance is Debian's HAProxy 2.6 when installed (the values must be byte-identical),
# else another instance of the binary under test. Passes against HAProxy 2.6.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port /;

my $t = Test::Portico->new();
$t->has(qw/ stick /) if Test::Portico::portico();
$t->has(qw/ http /)->plan(6);

$t->origin_http(port(8081), handler => sub { (200, ['X-Srv' => 's1'], "s1\n") });
$t->origin_http(port(8082), handler => sub { (200, ['X-Srv' => 's2'], "s2\n") });
my $cfg = <<'EOF2';
defaults
    mode http
    %%TIMEOUTS%%
backend be
    balance roundrobin
    cookie SRV insert indirect nocache dynamic
    dynamic-cookie-key s3cr3t-k3y
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8082%%
frontend fe
    bind 127.0.0.1:%%PORT_LISTEN%%
    default_backend be
EOF2
(my $ca = $cfg) =~ s/%%PORT_LISTEN%%/%%PORT_8080%%/;
(my $cb = $cfg) =~ s/%%PORT_LISTEN%%/%%PORT_8090%%/;
$t->config($ca)->run();
my $peer = Test::Portico->new();
my $other = -x '/usr/sbin/haproxy' ? '/usr/sbin/haproxy' : undef;
$peer->{binary} = $other if $other;
$peer->config($cb)->run();

sub get {
    my ($port, @h) = @_;
    my $hs = join '', map { "$_\r\n" } @h;
    return http_parse(http("GET / HTTP/1.1\r\nHost: h\r\n${hs}Connection: close\r\n\r\n",
        port => $port)) // { h => {} };
}
sub cookies {
    my ($port) = @_;
    my %ck;
    for (1 .. 4) {
        my $r = get($port);
        my ($v) = ($r->{h}{'set-cookie'} // '') =~ /^SRV=([^;]*)/;
        $ck{$r->{h}{'x-srv'} // ''} = $v;
    }
    return \%ck;
}
my $a = cookies(port(8080));
like($a->{s1} // '', qr/^[0-9a-f]{16}$/, 'a server without cookie gets a 16-hex-digit dynamic one');
like($a->{s2} // '', qr/^[0-9a-f]{16}$/, 'so does the other');
isnt($a->{s1} // '', $a->{s2} // '', 'each server its own value');
my $b = cookies(port(8090));
is_deeply($b, $a, 'the other instance' . ($other ? ' (HAProxy 2.6)' : '') . ' derives the same cookies')
    or diag(explain([$a, $b]));
my %seen;
$seen{get(port(8090), "Cookie: SRV=$a->{s2}")->{h}{'x-srv'} // ''}++ for 1 .. 4;
is_deeply(\%seen, { s2 => 4 }, 'a cookie set by one instance persists on the other');

my $c = Test::Portico->new();
$c->config("defaults\n    mode http\nbackend b\n    dynamic-cookie-key\n    server s 127.0.0.1:1\n");
my ($rc, $o) = $c->check_config();
ok($rc != 0 && $o =~ /cfg:\d+\b.*dynamic-cookie-key/, 'dynamic-cookie-key without a key refused') or diag($o);

#!/usr/bin/perl
# hdr_ip / req.hdr_ip / res.hdr_ip fetches (IPv4, IPv4:port, IPv6, anything else is no
# sample) and the ipmask(<mask4>[,<mask6>]) converter with IPv6 masks given as a length or as
# an address (contiguous or not), and IPv4-mapped addresses masked as IPv4.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @hdrs = (
    'Addr1' => '2001:db8::1',
    'Addr2' => '2001:db8::bad:c0f:ffff',
    'Addr3' => '2001:db8:c001:c01a:ffff:ffff:10:ffff',
    'Addr4' => '::FFFF:192.168.1.101',
    'Addr5' => '192.168.1.2',
    'Addr6' => '192.168.1.255:8080',
    'Addr7' => '192.168.1.2:99999',
    'Addr8' => 'example.com',
    'Addr9' => '10.0.0.1',
    'Addr9' => '10.0.0.2',
);

my @cases = (
    # path => [expression, expected body: "F:<value>" when found, "NONE" when no sample]
    ['/h1',  'req.hdr_ip(Addr5)',                                   'F:192.168.1.2'],
    ['/h2',  'hdr_ip(Addr6)',                                       'F:192.168.1.255'],
    ['/h3',  'req.hdr_ip(Addr7)',                                   'NONE'],
    ['/h4',  'req.hdr_ip(Addr8)',                                   'NONE'],
    ['/h5',  'req.hdr_ip(Addr1)',                                   'F:2001:db8::1'],
    ['/h6',  'req.hdr_ip(Addr9)',                                   'F:10.0.0.2'],
    ['/h7',  'req.hdr_ip(Addr9,1)',                                 'F:10.0.0.1'],
    ['/h8',  'req.hdr_ip(Nope)',                                    'NONE'],
    ['/m1',  'req.hdr_ip(Addr1),ipmask(24,128)',                    'F:2001:db8::1'],
    ['/m2',  'req.hdr_ip(Addr2),ipmask(24,64)',                     'F:2001:db8::'],
    ['/m3',  'req.hdr_ip(Addr2),ipmask(24,120)',                    'F:2001:db8::bad:c0f:ff00'],
    ['/m4',  'req.hdr_ip(Addr2),ipmask(24,ffff:ffff:ffff:ffff:ffff:ffff:ffff:fee0)',
                                                                    'F:2001:db8::bad:c0f:fee0'],
    ['/m5',  'req.hdr_ip(Addr3),ipmask(24,ffff:ffff:ffff:ffff::)',  'F:2001:db8:c001:c01a::'],
    ['/m6',  'req.hdr_ip(Addr3),ipmask(24,ffff:ffff:ffff:ffff:0:ffff:ffff:0)',
                                                                    'F:2001:db8:c001:c01a:0:ffff:10:0'],
    ['/m7',  'req.hdr_ip(Addr3),ipmask(24,ffff:ffff:ffff:ffff:c001:c001:0000:0000)',
                                                                    'F:2001:db8:c001:c01a:c001:c001::'],
    ['/m8',  'req.hdr_ip(Addr4),ipmask(32,64)',                     'F:192.168.1.101'],
    ['/m9',  'req.hdr_ip(Addr4),ipmask(24)',                        'F:192.168.1.0'],
    ['/m10', 'req.hdr_ip(Addr1),ipmask(24)',                        'NONE'],
    ['/m11', 'req.hdr_ip(Addr6),ipmask(25)',                        'F:192.168.1.128'],
    ['/m12', 'req.hdr_ip(Addr5),ipmask(255.255.0.0)',               'F:192.168.0.0'],
);
my @res = (
    ['/r1', 'res.hdr_ip(X-Srv)', 'F:10.1.2.3'],
    ['/r2', 'res.hdr_ip(X-Srv),ipmask(8)', 'F:10.0.0.0'],
    ['/r3', 'res.hdr_ip(X-Bad)', 'NONE'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(@cases + @res + 2);
$t->origin_http(port(8081), handler => sub {
    return (200, ['X-Srv' => '10.1.2.3:80', 'X-Bad' => '10.1.2'], 'origin');
});
my $rules = join '', map {
    "    http-request return status 200 content-type text/plain lf-string \"F:%[$_->[1]]\""
        . " if { path $_->[0] } { $_->[1] -m found }\n"
        . "    http-request return status 200 content-type text/plain string NONE"
        . " if { path $_->[0] }\n"
} @cases;
my $rrules = join '', map {
    "    http-response set-header X-Out \"F:%[$_->[1]]\" if { var(txn.p) -m str $_->[0] } { $_->[1] -m found }\n"
        . "    http-response set-header X-Out NONE if { var(txn.p) -m str $_->[0] } !{ $_->[1] -m found }\n"
} @res;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.p) path
    acl net10 req.hdr_ip(Addr9) 10.0.0.0/8
    http-request return status 200 content-type text/plain string inacl if { path /acl } net10
$rules$rrules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0], headers => [@hdrs]));
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}
for my $c (@res) {
    my $r = http_parse(http_get($c->[0]));
    is($r && $r->{status} . ' ' . ($r->{h}{'x-out'} // ''), "200 $c->[2]", "$c->[1]");
}
my $r = http_parse(http_get('/acl', headers => [@hdrs]));
is($r && $r->{body}, 'inacl', 'ACL on req.hdr_ip matches a network');
$r = http_parse(http_get('/acl', headers => ['Addr9' => '11.0.0.1']));
is($r && $r->{status}, 200, 'no ACL match: forwarded');

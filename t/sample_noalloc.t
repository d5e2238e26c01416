#!/usr/bin/perl
# The sample engine allocates nothing per request: ACLs (beg -i, reg, ip, anonymous,
# predefined), set-var into txn/sess variables (short and long values), converters
# writing to the scratch buffers (hashes, digests, hmac, url_enc, base64url, be2hex/be2dec,
# dates, strcmp, uuid, protobuf/ungrpc, fix_*, mqtt_*...), and a dynamic use_backend through a map, over 2000
# keep-alive requests counted by the LD_PRELOAD shim of t/perf_noalloc.t.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http_keepalive port /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->no_sanitizer->plan(4);
my $env = $t->alloc_counter();
ok($env, 'counting shim built');

$t->origin_http(port(8081), body => 'x' x 100);
$t->write_file('m.map', "y 2\n");
$t->config(<<'EOF2')->run(env => $env || {});
global
    workers 1
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
backend be2
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    acl is_r   path_beg -i /R
    acl is_x   req.hdr(host) -m reg ^[a-z]+$
    http-request set-var(txn.host) req.hdr(host),lower,regsub('x','y','g')
    http-request set-var(sess.n) path,length,add(1)
    http-request set-var(txn.h) req.hdr(host),crc32,add(txn.h2),xxh64(3)
    http-request set-var(txn.e) path,url_enc(query),ub64enc,ub64dec,be2hex(:,2,1),ltrim(0),rtrim(:)
    http-request set-var(txn.d) date,http_date(3600),cut_crlf,strcmp(txn.host)
    http-request set-var(txn.t) int(1500000000),utime(%Y%m%d),hex2i,cpl,bool,iif(a,b)
    http-request set-var(txn.x) path,sha1,sha2(512),digest(sha256),hmac(sha256,a2V5),be2dec(-,4)
    http-request set-var(txn.a) path,add_item(;,txn.host,x),language(en;fr,d)
    http-request set-var(txn.u) uuid,secure_memcmp(txn.host),iif(y,n),djb2(1),sdbm,wt6,crc32c,xxh32
    http-request set-var(txn.j) str({\\\"a\\\":{\\\"b\\\":\\\"xy\\\"}}),json_query('$.a.b'),xxh3(5)
    http-request set-var(txn.pb) bin(1a080805120412023839),protobuf(3.2.2),ungrpc(1),protobuf(1,int32)
    http-request set-var(txn.pb2) bin(00000000041a026f6b),ungrpc(3)
    http-request set-var(txn.fix) str(8=FIX.4.4),fix_tag_value(BeginString),fix_is_valid
    http-request set-var(txn.mq) bin(20020100),mqtt_field_value(connack,flags),mqtt_is_valid
    http-request set-var(txn.mq2) bin(20020100),mqtt_field_value(connack,protocol_version)
    http-request set-src-port int(1234)
    http-request set-dst req.hdr(host),ipmask(24) if FALSE
    http-request set-priority-class int(1)
    http-request set-var(txn.rate) fe_req_rate,add(txn.j)
    http-request set-var(txn.long) str(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)
    use_backend be_%[var(txn.host),map(%%TESTDIR%%/m.map)] if is_r is_x !{ src 10.0.0.0/8 } || FALSE
    use_backend be if { path_end 0 }
    default_backend be
EOF2

my ($worker) = $t->wait_workers(1);
sub allocs { $t->allocations($worker) }

sub burst {
    my ($n) = @_;
    my @r = http_keepalive(map({ "GET /r$_ HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. $n));
    return scalar grep { $_ && $_->{status} == 200 } @r;
}

burst(50);   # warm up: pools and caches reach their steady size
my $before = allocs();
my $ok = burst(2000);
my $after = allocs();
is($ok, 2000, '2000 keep-alive requests answered');
cmp_ok($before, '>', 0, 'allocations of the worker are counted (its setup allocated)');
cmp_ok($after - $before, '<', 20,
    "no heap allocation per request (allocations during 2000 requests: "
    . ($after - $before) . ")");

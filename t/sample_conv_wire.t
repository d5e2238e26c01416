#!/usr/bin/perl
# HAProxy 2.6's wire-format converters in a configuration: protobuf and ungrpc on hand-built
# protocol buffers messages (nested paths, varint/zigzag/fixed/float/double types, strings,
# gRPC framing, HAProxy's lookup quirks), fix_tag_value/fix_is_valid and
# mqtt_field_value/mqtt_is_valid on the messages of HAProxy's reg-tests, compared byte for
# byte through "http-request return ... lf-string" bodies. Runs unchanged against HAProxy
# (PORTICO_TEST_BINARY=/usr/sbin/haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

# message { int32 a=1: 150; string s=2: "hi"; Inner in=3 { int64 x=1: 5; Inner2 i2=2 {
#   string t=3: "ok" } }; sint32 z=4: -3; fixed32 f=5: 0x01020304; double d=6: -3.7;
#   float fl=7: 2.5; float n=8: -2.5; int32 m=9: -1; uint64 u=10: 2^63; double big=11: 1e19 }
my $m = '089601' . '12026869' . '1a08080512041a026f6b' . '2005' . '2d04030201'
      . '319a99999999990dc0' . '3d00002040' . '45000020c0' . '48ffffffffffffffffff01'
      . '5080808080808080808001' . '59003d9160e458e143';
# field 3 holds a length-delimited field 5 then field 1: HAProxy restarts its match at the
# top level after skipping field 5, so 3.1 is not found
my $quirk = '1a06' . '2a027a7a' . '0807';
# two gRPC messages: {1: 1, 2: 2} and {3: "a"}
my $grpc = '0000000004' . '08011002' . '0000000003' . '1a0161';
# HAProxy's reg-tests: a FIX 4.0 logon and an MQTT 5.0 CONNECT with will, user, password
my $fix = '383d4649582e342e3001393d37300133353d410134393d434c49454e54310135363d4558454355544f52'
        . '0133343d310135323d32303230313032392d31303a35343a31392e3631370139383d30013130383d3330'
        . '0131303d30393001';
my $fixbad = $fix; $fixbad =~ s/30393001$/30393101/;   # checksum 091
my $mqtt = '107e00044d51545405ee003c182700000014170126000161000162260001630001642100140008746573'
         . '745f7375622a03000a746578742f706c61696e08000c77696c6c727370746f70696326000165000166'
         . '26000167000168000977696c6c746f706963000b77696c6c7061796c6f616400047465737400067061'
         . '73737764';
my $connack = '20250000221100000078217fff24012501270000ffff22000a2600016100016226000163000164';
my $mqtt311 = '101a00044d51545404c2003c00000004746573740006706173737764';

my @cases = (
    ['/pb1',     "bin($m),protobuf(1,int32)",          '150'],
    ['/pb1b',    "bin($m),protobuf(1),hex",            '9601'],
    ['/pb2',     "bin($m),protobuf(2)",                'hi'],
    ['/pb2u',    "bin($m),protobuf(2,uint32),hex",     ''],
    ['/pb31',    "bin($m),protobuf(3.1,int64)",        '5'],
    ['/pb323',   "bin($m),protobuf(3.2.3)",            'ok'],
    ['/pb32',    "bin($m),protobuf(3.2),hex",          '1A026F6B'],
    ['/pb4',     "bin($m),protobuf(4,sint32)",         '-3'],
    ['/pb4i',    "bin($m),protobuf(4,int32)",          '5'],
    ['/pb5',     "bin($m),protobuf(5,fixed32)",        '16909060'],
    ['/pb5b',    "bin($m),protobuf(5),hex",            '04030201'],
    ['/pb6',     "bin($m),protobuf(6,double)",         '-3'],
    ['/pb6s',    "bin($m),protobuf(6,sfixed64)",       '-4607857958744122982'],
    ['/pb7',     "bin($m),protobuf(7,float)",          '2'],
    ['/pb8',     "bin($m),protobuf(8,float)",          '4294967294'],
    ['/pb8s',    "bin($m),protobuf(8,sfixed32)",       '-1071644672'],
    ['/pb9',     "bin($m),protobuf(9,int32)",          '-1'],
    ['/pb10',    "bin($m),protobuf(10,uint64)",        '-9223372036854775808'],
    ['/pb11',    "bin($m),protobuf(11,double)",        '-8446744073709551616'],
    ['/pb12',    "bin($m),protobuf(12),hex",           ''],
    ['/pbquirk', "bin($quirk),protobuf(3.1,int32)",    ''],
    ['/pbtrunc', "bin(0896),protobuf(1,int32)",        ''],
    ['/grpc3',   "bin($grpc),ungrpc(3)",               'a'],
    ['/grpc2',   "bin($grpc),ungrpc(2,int32)",         '2'],
    ['/grpcpb',  "bin($grpc),protobuf(1,int32)",       ''],
    ['/fixok',   "bin($fix),fix_is_valid",             '1'],
    ['/fixbad',  "bin($fixbad),fix_is_valid",          '0'],
    ['/fixshort', "bin(383d),fix_is_valid",            ''],
    ['/fixsnd',  "bin($fix),fix_tag_value(SenderCompID)", 'CLIENT1'],
    ['/fix52',   "bin($fix),fix_tag_value(52)",        '20201029-10:54:19.617'],
    ['/fixsum',  "bin($fix),fix_tag_value(checksum)",  '090'],
    ['/fixnone', "bin($fix),fix_tag_value(1137)",      ''],
    ['/mqok',    "bin($mqtt),mqtt_is_valid",           '1'],
    ['/mqbad',   "bin(d000),mqtt_is_valid",            '0'],
    ['/mqflags', "bin($mqtt),mqtt_field_value(connect,flags)", '238'],
    ['/mqname',  "bin($mqtt),mqtt_field_value(1,protocol_name)", 'MQTT'],
    ['/mqvsn',   "bin($mqtt),mqtt_field_value(connect,protocol_version)", '5'],
    ['/mqid',    "bin($mqtt),mqtt_field_value(connect,client_identifier)", 'test_sub'],
    ['/mqwill',  "bin($mqtt),mqtt_field_value(connect,will_payload)", 'willpayload'],
    ['/mqpass',  "bin($mqtt),mqtt_field_value(CONNECT,password)", 'passwd'],
    ['/mq39',    "bin($mqtt),mqtt_field_value(connect,39)", '20'],
    ['/mq3',     "bin($mqtt),mqtt_field_value(connect,3)", 'text/plain'],
    ['/mq17',    "bin($mqtt),mqtt_field_value(connect,17)", '0'],
    ['/mq21',    "bin($mqtt),mqtt_field_value(connect,21)", ''],
    ['/mqca',    "bin($mqtt),mqtt_field_value(connack,flags)", ''],
    ['/mqka',    "bin($mqtt),mqtt_field_value(connect,keepalive)", '60'],
    ['/mq311',   "bin($mqtt311),mqtt_field_value(connect,username)", 'test'],
    ['/mq311p',  "bin($mqtt311),mqtt_field_value(connect,17)", ''],
    ['/mq311i',  "bin($mqtt311),mqtt_field_value(connect,client_identifier)", ''],
    ['/mqcak',   "bin($connack),mqtt_field_value(connack,33)", '32767'],
    ['/mqcak34', "bin($connack),mqtt_field_value(connack,34)", '10'],
    ['/mqcakv',  "bin($connack),mqtt_is_valid",        '1'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar(@cases));
$t->origin_http(port(8081));
my $rules = join '', map {
    "    http-request return status 200 content-type text/plain lf-string \"<%[$_->[1]]>\""
        . " if { path $_->[0] }\n"
} @cases;
$t->config(<<"EOF2")->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0]));
    is($r && "$r->{status} $r->{body}", "200 <$c->[2]>", "$c->[1]");
}

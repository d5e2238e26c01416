#!/usr/bin/perl
# HAProxy 2.6's hash, digest, encoding, date and string converters and the constant and
# internal fetches, compared byte for byte through "http-request return ... lf-string"
# bodies and "http-response set-header" values. Runs unchanged against HAProxy
# (PORTICO_TEST_BINARY=/usr/sbin/haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my @cases = (
    # path => [expression, expected body]
    ['/urlenc',   'req.hdr(x-in),url_enc(query)',              'a%20b%26c%3Dd%2F~x.y_z-'],
    ['/iif1',     'always_true,iif(yes,no)',                   'yes'],
    ['/iif0',     'always_false,iif(yes,no)',                  'no'],
    ['/sha1',     'str(1),sha1,hex,lower',                     '356a192b7913b04c54574d18c28d46e6395428ab'],
    ['/sha2',     'str(1),sha2,hex,lower',                     '6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b'],
    ['/sha224',   'str(1),sha2(224),hex,lower',                'e25388fde8290dc286a6164fa2d97e551b53498dcbf7bc378eb1f178'],
    ['/digest',   'str(2),digest(sha384),hex,lower',           'd063457705d66d6f016e4cdd747db3af8d70ebfd36badd63de6c8ca4a9d8bfb5d874e7fbd750aa804dcaddae7eeef51e'],
    ['/hmac',     'str(hello),hmac(sha256,a2V5),hex,lower',    '9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b'],
    ['/hmacvar',  'str(hello),hmac(sha256,txn.key),hex,lower', '9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b'],
    ['/crc32',    'str(hello),crc32',                          '907060870'],
    ['/crc32c',   'str(hello),crc32c',                         '2591144780'],
    ['/xxh32',    'str(hello),xxh32',                          '4211111929'],
    ['/xxh64',    'str(hello),xxh64',                          '2794345569481354659'],
    ['/be2dec',   'bin(01020304),be2dec(-,2)',                 '258-772'],
    ['/be2dect',  'bin(0102030405),be2dec(:,2,1)',             '258:772'],
    ['/be2hex',   'bin(0102030405),be2hex(:,2)',               '0102:0304:05'],
    ['/be2hext',  'bin(0102030405),be2hex(:,2,1)',             '0102:0304'],
    ['/be2hex0',  'bin(0102030405),be2hex',                    '0102030405'],
    ['/strcmp0',  'str(abc),strcmp(txn.s)',                    '0'],
    ['/strcmp1',  'str(abd),strcmp(txn.s)',                    '1'],
    ['/strcmpm',  'str(ab),strcmp(txn.s)',                     '-1'],
    ['/memcmp',   'str(abc),secure_memcmp(txn.s)',             '1'],
    ['/memcmp0',  'str(abd),secure_memcmp(txn.s)',             '0'],
    ['/utime',    'int(0),utime(%Y-%m-%d_%H:%M:%S)',           '1970-01-01_00:00:00'],
    ['/ltime',    'int(86400),ltime(%Y%m%d_%H)',               '19700102_01'],
    ['/utimeoff', 'int(0),utime(%H:%M,3660)',                  '01:01'],
    ['/httpdate', 'int(1500000000),http_date',                 'Fri, 14 Jul 2017 02:40:00 GMT'],
    ['/httpdoff', 'int(1500000000),http_date(3600)',           'Fri, 14 Jul 2017 03:40:00 GMT'],
    ['/httpdms',  'int(1500000000123),http_date(0,ms)',        'Fri, 14 Jul 2017 02:40:00.123 GMT'],
    ['/ub64enc',  'str(hi?>),ub64enc',                         'aGk_Pg'],
    ['/ub64dec',  'str(aGk_Pg),ub64dec',                       'hi?>'],
    ['/hex2i',    'str(1F),hex2i',                             '31'],
    ['/htonl',    'int(1),htonl,hex',                          '00000001'],
    ['/ltrim',    'str(xxabcxx),ltrim(x)',                     'abcxx'],
    ['/rtrim',    'str(xxabcxx),rtrim(x)',                     'xxabc'],
    ['/cpl',      'int(0),cpl',                                '-1'],
    ['/bin',      'bin(0a0B),hex',                             '0A0B'],
    ['/meth',     'meth(GET)',                                 'GET'],
    ['/date',     'date,sub(1500000000),bool',                 '1'],
    ['/datems',   'date(0,ms),div(1000),sub(1500000000),bool', '1'],
    ['/rand',     'rand(1)',                                   '0'],
    ['/uuid',     'uuid,length',                               '36'],
    ['/nbproc',   'nbproc',                                    '1'],
    ['/stopping', 'stopping',                                  '0'],
    ['/hostname', 'hostname,length,bool',                      '1'],
    ['/fieldneg', 'str(f1_f2),field(1,_,-1)',                  'f1_f2'],
    ['/fieldm2',  'str(f1_f2_f3__f5),field(-2,_,0)',           'f1_f2_f3_'],
    ['/wordm3',   'str(f1_f2_f3__f5),word(-3,_,2)',            'f1_f2'],
    ['/bytesneg', 'str(abcdef),bytes(2,-1)',                   'cdef'],
    ['/regsubi',  'str(AbAb),regsub(a,x,i)',                   'xbAb'],
    ['/regsubig', 'str(AbAb),regsub(a,x,ig)',                  'xbxb'],
    ['/intmin',   'int(-9223372036854775808),neg',             '9223372036854775807'],
    ['/addsat',   'int(9223372036854775807),add(1)',           '9223372036854775807'],
    ['/div0',     'int(7),div(0)',                             '9223372036854775807'],
    ['/utf8p',    'str(-\\xC0\\xAF-),json(utf8p)',         '-\\/-'],
    ['/utf8s',    'str(-\\xC0\\xAF-),json(utf8s)',         '--'],
    ['/strempty', 'str(),length',                              '0'],
    ['/srvup',    'srv_is_up(be/a)',                           '1'],
    ['/srvconn',  'srv_conn(be/a)',                            '0'],
    ['/srvqueue', 'srv_queue(be/a)',                           '0'],
    ['/queue',    'queue(be)',                                 '0'],
    ['/avgq',     'avg_queue(be)',                             '0'],
    ['/slots',    'connslots(be)',                             '-1'],
    ['/slots2',   'connslots(be2)',                            '15'],
    ['/mulvar',   'int(5),mul(txn.n),add(txn.n)',              '18'],
    ['/additem1', 'str(in),add_item(;,txn.s,_x)',              'in;abc_x'],
    ['/additem2', 'str(),add_item(;,txn.s,_x)',                'abc_x'],
    ['/additem3', 'str(in),add_item(;,,_x)',                   'in;_x'],
    ['/additem4', 'str(in),add_item(;,txn.none)',              'in'],
    ['/additem5', 'str(in),add_item(;,txn.n)',                 'in;3'],
    ['/feconn',   'fe_conn',                                   '1'],
);

my $t = Test::Portico->new()->has(qw/ http /)->plan(scalar(@cases) + 8);
$t->origin_http(port(8081));
my $rules = join '', map {
    "    http-request return status 200 content-type text/plain lf-string \"%[$_->[1]]\""
        . " if { path $_->[0] }\n"
} @cases;
$t->config(<<"EOF2")->run(env => { TZ => "CET-1" }); # ltime: a fixed zone one hour east, no DST
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    server a 127.0.0.1:%%PORT_8081%%
    http-response set-header X-Djb2 "%[str(hello),djb2]"
    http-response set-header X-Sdbm "%[str(hello),sdbm(1)]"
    http-response set-header X-Wt6 "%[str(hello),wt6]"
    http-response set-header X-Json0 "%[str(foo 1/2),json]"
    http-response set-header X-Json1 "%[str(\\xE0),json(utf8)]"
    http-response set-header X-Json2 "%[str(-\\xE0-),json(utf8s)]"
    http-response set-header X-Ids "%[fe_id] %[be_id]"
    http-response set-header X-Missing "%[res.hdr(x-none)]"
backend be2
    server a 127.0.0.1:%%PORT_8081%% maxconn 3 maxqueue 4
    server b 127.0.0.1:%%PORT_8081%% maxconn 5 maxqueue 3
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request set-var(txn.s) str(abc)
    http-request set-var(txn.n) int(3)
    http-request set-var(txn.key) str(a2V5)
$rules    default_backend be
EOF2

for my $c (@cases) {
    my $r = http_parse(http_get($c->[0], headers => ['X-In' => 'a b&c=d/~x.y_z-']));
    # fe_conn: the previous case's connection, closed by the client, may not be closed on
    # the proxy's side yet; ask again (bounded) until it is
    for (1 .. 40) {
        last unless $c->[1] eq 'fe_conn' && $r && $r->{body} ne $c->[2];
        select(undef, undef, undef, 0.05);
        $r = http_parse(http_get($c->[0], headers => ['X-In' => 'a b&c=d/~x.y_z-']));
    }
    is($r && "$r->{status} $r->{body}", "200 $c->[2]", "$c->[1]");
}

my $r = http_parse(http_get('/origin'));
is($r && $r->{h}{'x-djb2'}, '261238937', 'djb2 in http-response set-header');
is($r && $r->{h}{'x-sdbm'}, '2061535398', 'sdbm(1) (avalanche) in set-header');
is($r && $r->{h}{'x-wt6'}, '3538347703', 'wt6 in set-header');
is($r && $r->{h}{'x-json0'}, 'foo 1\\/2', 'json escapes the slash');
is($r && $r->{h}{'x-json1'}, '', 'json(utf8) on invalid UTF-8: no sample, an empty header');
is($r && $r->{h}{'x-json2'}, '--', 'json(utf8s) drops invalid UTF-8');
is($r && $r->{h}{'x-missing'}, '', 'a missing sample in set-header is an empty value');
is($r && $r->{h}{'x-ids'}, '3 1', 'fe_id and be_id number proxies in declaration order');

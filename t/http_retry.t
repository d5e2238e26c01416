#!/usr/bin/perl
# retry-on: L7 retries of idempotent requests (503 once, empty response), never of a POST,
# nor of a request that went through http-request disable-l7-retry.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port /;

my $t = Test::Portico->new()->has(qw/ http /)->plan(8);
my $dir = $t->testdir;
# Answers 503 (or closes without answering for /empty) to the first request of each path.
$t->origin_http(port(8081), raw => sub {
    my ($c, $req) = @_;
    (my $flag = "$dir/seen$req->{uri}") =~ s{(?<=seen)/}{_}g;
    my $first = !-e $flag;
    open my $fh, '>', $flag; close $fh;
    return if $first && $req->{uri} =~ /empty/;
    my $out = $first ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
                     : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    print $c "$out";
});
$t->config(<<'EOF2')->run();
%%GLOBAL%%
defaults
    mode http
    %%TIMEOUTS%%
backend be
    retries 3
    retry-on 503 empty-response
    server a 127.0.0.1:%%PORT_8081%%
backend be_none
    retry-on none
    server a 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    http-request disable-l7-retry if { path_beg /noretry }
    use_backend be_none if { path_beg /none }
    default_backend be
EOF2

my $r = http_parse(http_get('/get503'));
is("$r->{status} $r->{body}", '200 ok', 'GET replayed after a 503');
is(scalar(grep { $_->{uri} eq '/get503' } $t->origin_requests(port(8081))), 2,
    'origin saw the request twice');
$r = http_parse(http_get('/getempty'));
is("$r->{status} $r->{body}", '200 ok', 'GET replayed after an empty response');
$r = http_parse(http("POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    . "Connection: close\r\n\r\nhi"));
is($r->{status}, 503, 'POST not replayed: the 503 is forwarded');
is(scalar(grep { $_->{uri} eq '/post' } $t->origin_requests(port(8081))), 1, 'POST sent once');
is(http_parse(http_get('/none'))->{status}, 503, 'retry-on none');
$r = http_parse(http_get('/noretry'));
is($r->{status}, 503, 'disable-l7-retry: the 503 is forwarded');
is(scalar(grep { $_->{uri} eq '/noretry' } $t->origin_requests(port(8081))), 1,
    'disable-l7-retry: sent once');

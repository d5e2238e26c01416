#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The stats page (ABI 1.5 "stats" service): stats uri prefix, auth (401/200), ;csv equal to
# "show stat", ;up, refresh header, hide-version, admin POST changing a server's state as
# the runtime API sees it, scope, stats http-request deny, a backend's stats through a
# frontend, and a large page streamed through a small buffer.
use warnings;
use strict;
use Test::More;
use MIME::Base64 qw/ encode_base64 /;
use lib 't/lib';
use Test::Portico qw/ http http_get http_parse port cli_send /;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(38);
$t->origin_http(port(8081), body => 'origin');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
    tune.bufsize 4096
defaults
    mode http
    %%TIMEOUTS%%
listen st
    bind 127.0.0.1:%%PORT_8080%%
    stats uri /admin/stats
    stats refresh 5s
    stats admin if TRUE
    stats show-legends
    stats show-node n1
    stats show-desc "front desk"
    stats http-request deny if { src 127.0.0.2 }
    stats http-request deny if { req.hdr(x-deny) -m found }
    server unused 127.0.0.1:%%PORT_8081%%
listen hidden
    bind 127.0.0.1:%%PORT_8082%%
    stats enable
    stats hide-version
    stats scope be
    stats realm Private\ Area
    stats auth admin:s3cret
    stats auth ops:pw
    server o 127.0.0.1:%%PORT_8081%%
frontend fe
    bind 127.0.0.1:%%PORT_8083%%
    default_backend be
backend be
    stats enable
    stats uri /st
    server s1 127.0.0.1:%%PORT_8081%%
    server s2 127.0.0.1:%%PORT_8081%% backup
    server s3 127.0.0.1:%%PORT_8081%% disabled
EOF2
my $sock = $t->testdir . '/cli.sock';
sub cli { cli_send($sock, "$_[0]\n") }

sub get {
    my ($port, $path, %h) = @_;
    return http_parse(http_get($path, port => port($port), headers => \%h));
}

# --- uri prefix, headers, HTML ---
my $r = get(8080, '/admin/stats');
is($r->{status}, 200, 'stats uri answers 200');
is($r->{h}{'content-type'}, 'text/html', 'HTML page');
is($r->{h}{'refresh'}, '5', 'stats refresh: refresh header');
like($r->{body}, qr{<h1><a [^>]*>portico version \S+</a></h1>}, 'version shown');
like($r->{body}, qr{<th class="pxname" width="10%"><a name="be"></a>}, 'one table per proxy');
like($r->{body}, qr{<tr class="frontend">.*?>Frontend</a></td>}s, 'frontend row');
like($r->{body}, qr{<tr class="backend">.*?>Backend</a></td>}s, 'backend row');
like($r->{body}, qr{<tr class="maintain">.*?value="s3"}s, 'disabled server: maint row, admin checkbox');
like($r->{body}, qr{<tr class="backup_no_check">.*?value="s2"}s, 'backup row colour');
like($r->{body}, qr{<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>},
    'HAProxy column groups');
like($r->{body}, qr{</body></html>\n$}, 'complete page');
like($r->{body}, qr{<title>Statistics Report for \S+ on n1</title>}, 'show-node: in the title');
like($r->{body}, qr{<h2>Statistics Report for pid \d+ on n1: front desk</h2>},
    'show-node, show-desc: in the report title, as HAProxy');
is(get(8080, '/admin/stats;norefresh')->{h}{refresh}, undef, ';norefresh drops the header');
is(scalar($t->origin_requests(port(8081))), 0, 'nothing forwarded');
$r = get(8080, '/admin/other');
is($r->{body}, 'origin', 'outside the prefix: forwarded to the server') or diag $r->{raw};

# --- ;json: "show stat json"'s document ---
$r = get(8080, '/admin/stats;json');
is($r->{h}{'content-type'}, 'application/json', ';json content type');
my $doc = eval { require JSON::PP; JSON::PP::decode_json($r->{body}) };
ok(ref $doc eq 'ARRAY' && @$doc > 2, ';json parses: one array of fields per object')
    or diag($@ . " " . substr($r->{body}, 0, 300));

# --- ;csv equals show stat ---
$r = get(8080, '/admin/stats;csv');
is($r->{h}{'content-type'}, 'text/plain', 'CSV content type');
my $show = cli('show stat');
# live counters (scur, stot, bytes, rates, http counters) move with the requests themselves:
# compare the identifying and state columns (pxname svname status weight act bck pid iid sid type)
my $strip = sub { my $x = shift; $x =~ s/\n+\z//; join "\n", map { my @f = split /,/, $_, -1; join ',', @f[0, 1, 17 .. 20, 26 .. 28, 32] } split /\n/, $x };
is($strip->($r->{body}), $strip->($show), ';csv rows are show stat rows');
my @csv_lines = split /\n/, $r->{body};
my @show_lines = grep { length } split /\n/, $show;
is(scalar(@csv_lines), scalar(@show_lines), 'same number of rows');
is($csv_lines[0], $show_lines[0], 'same header');

# --- ;up ---
$r = get(8080, '/admin/stats;csv;up');
unlike($r->{body}, qr{^be,s3,}m, ';up hides the server in maintenance');
like($r->{body}, qr{^be,s1,}m, ';up keeps UP servers');

# --- auth, realm, hide-version, scope ---
$r = get(8082, '/haproxy?stats');
is($r->{status}, 401, 'stats auth: 401 without credentials');
is($r->{h}{'www-authenticate'}, 'Basic realm="Private Area"', 'realm');
$r = get(8082, '/haproxy?stats', Authorization => 'Basic ' . encode_base64('admin:bad', ''));
is($r->{status}, 401, 'wrong password: 401');
$r = get(8082, '/haproxy?stats', Authorization => 'Basic ' . encode_base64('ops:pw', ''));
is($r->{status}, 200, 'second user accepted');
unlike($r->{body}, qr{version}, 'hide-version');
ok($r->{body} =~ /name="be"/ && $r->{body} !~ /name="hidden"/ && $r->{body} !~ /name="st"/,
    'stats scope be: only be');

# --- stats http-request deny ---
is(get(8080, '/admin/stats', 'X-Deny' => 1)->{status}, 403, 'stats http-request deny');

# --- admin POST -> runtime state ---
my $body = 's=s1&s=s3&action=drain&b=%23' . (grep { /^be,BACKEND,/ } @show_lines)[0] =~ s/^(?:[^,]*,){27}([^,]*),.*/$1/r;
$r = http_parse(http("POST /admin/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " . length($body)
    . "\r\n\r\n$body", port => port(8080)));
is($r->{status}, 303, 'POST: redirect');
is($r->{h}{location}, '/admin/stats;st=DONE', 'redirect to ;st=DONE');
my $after = cli('show stat');
ok($after =~ /^be,s1,(?:[^,]*,){15}DRAIN,/m && $after =~ /^be,s3,(?:[^,]*,){15}DRAIN,/m,
    'both checked servers drained, seen by the runtime API') or diag $after;
$r = get(8080, '/admin/stats;st=DONE');
like($r->{body}, qr{<div class=active_up><a class=lfsb href="/admin/stats" title="Remove this message">\[X\]</a> Action processed successfully\.</div>},
    ';st=DONE message');

# --- ;typed and ;json-schema ---
$r = get(8080, '/admin/stats;typed');
ok($r->{status} == 200 && $r->{body} =~ /^B\.\d+\.0\.1\.svname\.1:KNS:str:BACKEND$/m
    && $r->{body} =~ /^S\.\d+\.\d+\.17\.status\.1:SGP:str:/m, ';typed: the typed stats');
$r = get(8080, '/admin/stats;json-schema');
is($r->{body} =~ s/\s+$//r, cli('show schema json') =~ s/\s+$//r, ';json-schema: the runtime API\'s schema');

# --- a backend's stats reached through a frontend ---
$r = get(8083, '/st');
is($r->{status}, 200, 'stats enable on a backend used by a frontend');

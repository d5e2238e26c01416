#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# -c on health-check configuration: a realistic HAProxy configuration using the check
# keywords (server check options, default-server inheritance, option httpchk, http-check,
# tcp-check, the protocol checks, agent checks, track, observe, log-health-checks,
# timeout check, spread-checks) is accepted; malformed values are errors naming file:line.
# Also passes against HAProxy 2.6 (PORTICO_TEST_BINARY=haproxy).
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ port /;

my @bad = (
    ['inter abc', "    server s1 127.0.0.1:8080 check inter abc\n"],
    ['rise 0', "    server s1 127.0.0.1:8080 check rise 0\n"],
    ['fall 0', "    server s1 127.0.0.1:8080 check fall 0\n"],
    ['fastinter with a unit typo', "    server s1 127.0.0.1:8080 check fastinter 2x\n"],
    ['http-check expect junk', "    option httpchk\n    http-check expect junk 200\n"],
    ['http-check expect without a pattern', "    option httpchk\n    http-check expect status\n"],
    ['tcp-check expect junk', "    option tcp-check\n    tcp-check expect whatever\n"],
    ['http-check send junk', "    option httpchk\n    http-check send nonsense x\n"],
    ['addr that does not resolve', "    server s1 127.0.0.1:8080 check addr no.such.host.invalid\n"],
    ['rise abc', "    server s1 127.0.0.1:8080 check rise abc\n"],
    ['observe layer9', "    server s1 127.0.0.1:8080 check observe layer9\n"],
    ['on-error bogus', "    server s1 127.0.0.1:8080 check observe layer4 on-error bogus\n"],
    ['error-limit abc', "    server s1 127.0.0.1:8080 check observe layer4 error-limit abc\n"],
    ['agent-inter without a value', "    server s1 127.0.0.1:8080 agent-check agent-port 9999 agent-inter\n"],
    ['timeout check abc', "    timeout check abc\n"],
);
my $t = Test::Portico->new()->has(qw/ http /)->plan(2 + 2 * @bad + 2 + 2);

$t->config(<<'EOF2');
global
    maxconn 1000
    spread-checks 5
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 3s
    option log-health-checks
    default-server inter 2s fastinter 500ms downinter 5s rise 3 fall 2 check
frontend fe
    bind 127.0.0.1:%%PORT_8080%%
    default_backend web
backend web
    balance roundrobin
    option httpchk
    http-check connect
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host www.example.com hdr User-Agent portico-check
    http-check expect status 200-399
    http-check disable-on-404
    http-check send-state
    server w1 127.0.0.1:8081 port 8181 observe layer7 error-limit 10 on-error mark-down on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions
    server w2 127.0.0.1:8082 addr 127.0.0.2 port 8182 inter 1s rise 2 fall 3 agent-check agent-port 9999 agent-inter 5s agent-addr 127.0.0.3 agent-send "ping\n"
    server w3 127.0.0.1:8083 weight 50 slowstart 10s observe layer4 error-limit 3 on-error fail-check
    server w4 127.0.0.1:8084 backup no-check
backend web_legacy
    option httpchk HEAD /ping HTTP/1.1
    http-check send hdr Host legacy.example
    http-check expect ! rstring ^5
    server l1 127.0.0.1:8085 check inter 3s
    server l2 127.0.0.1:8086 no-check track web_text/t1
backend web_text
    option httpchk GET /status
    http-check expect string ready
    http-check expect rstatus ^2
    server t1 127.0.0.1:8087 on-error sudden-death observe layer7
backend tcpsvc
    mode tcp
    option tcp-check
    tcp-check comment "banner then ping"
    tcp-check connect port 6380
    tcp-check expect rstring ^\+OK
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    tcp-check send-binary 50494e470d0a
    tcp-check expect binary 2b504f4e47
    tcp-check send QUIT\r\n
    server r1 127.0.0.1:6379 check inter 1s fall 2
backend redis
    mode tcp
    option redis-check
    server r1 127.0.0.1:6379 check
backend mysql
    mode tcp
    option mysql-check user haproxy post-41
    server m1 127.0.0.1:3306 check
backend pgsql
    mode tcp
    option pgsql-check user haproxy
    server p1 127.0.0.1:5432 check
backend smtp
    mode tcp
    option smtpchk EHLO portico.example
    server m1 127.0.0.1:25 check
backend ldap
    mode tcp
    option ldap-check
    server d1 127.0.0.1:389 check
backend tls
    mode tcp
    option ssl-hello-chk
    server s1 127.0.0.1:443 check
    server s2 127.0.0.1:444 check-send-proxy send-proxy
backend https
    server h1 127.0.0.1:8443 ssl verify none check no-check-ssl
    server h2 127.0.0.1:8444 ssl verify none check port 8080
    # an address with a port, as HAProxy takes it (the port is not used)
    server h3 127.0.0.1:80 verify none check check-ssl port 8443 addr 127.0.0.1:80
    server h4 127.0.0.1:80 verify none check check-ssl port 8443 addr [::1]:80
EOF2
my ($rc, $out) = $t->check_config();
is($rc, 0, 'a configuration using the health-check keywords is valid') or diag($out);
unlike($out, qr/\[(ALERT|WARNING)\]|error|warning/i, 'and draws neither error nor warning')
    or diag($out);

for my $b (@bad) {
    my ($what, $lines) = @$b;
    my $text = "global\n    maxconn 1000\ndefaults\n    mode http\n    timeout connect 2s\n"
        . "    timeout client 10s\n    timeout server 10s\nbackend be\n";    # 8 lines
    my @l = split /\n/, $lines;
    my $line = 8 + @l;              # the error is on the last line given
    (my $name = $what) =~ s/\W+/_/g;
    my $file = $t->write_file("bad_$name.cfg", $text . $lines);
    my ($rc2, $out2) = $t->run_binary('-c', '-f', $file);
    isnt($rc2, 0, "$what: -c fails");
    like($out2, qr/\Q$file\E:$line\b/, "$what: the error names file:line ($line)") or diag($out2);
}

# A server tracking one that does not exist, or that has no check.
my $file = $t->write_file('track.cfg', <<'EOF2');
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
backend a
    server s1 127.0.0.1:8081
backend b
    server s1 127.0.0.1:8082 track a/s1
EOF2
($rc, $out) = $t->run_binary('-c', '-f', $file);
isnt($rc, 0, 'track of a server without check: -c fails');
like($out, qr/\Q$file\E:9\b/, 'track: the error names file:line') or diag($out);

# Checks over TLS: 'ssl' with 'check' implies 'check-ssl' (t/check_ssl.t runs them).
$file = $t->write_file('tlscheck.cfg', <<'EOF2');
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:8080
    default_backend b
backend b
    server s1 127.0.0.1:8443 ssl verify none check
EOF2
($rc, $out) = $t->run_binary('-c', '-f', $file);
is($rc, 0, 'ssl + check: valid (checked over TLS)') or diag($out);
unlike($out, qr/\[(ALERT|WARNING)\]|error/i, 'ssl + check: no error') or diag($out);

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# ssl-load-extra-del-ext: the side files of a ".crt" certificate lose its extension ("a.crt"
# takes its key from "a.key", not "a.crt.key"); without it the key is looked for in
# "a.crt.key" and a lone "a.key" is not found.
use warnings;
use strict;
use Test::More;
use File::Copy qw/ copy /;
use lib 't/lib';
use Test::Portico qw/ port /;

BEGIN { eval { require IO::Socket::SSL; 1 } or plan(skip_all => 'no IO::Socket::SSL') }
use Test::PorticoTLS qw/ make_cert https_get /;

my $t = Test::Portico->new()->has(qw/ http ssl /)->plan(3);
my $d = $t->testdir;
make_cert($d, 'site', 'site.test');   # site.crt, site.key
mkdir "$d/k";
copy("$d/site.crt", "$d/k/site.crt") or die;
copy("$d/site.key", "$d/k/site.key") or die;

$t->config(<<"EOF2")->run();
%%GLOBAL%%
    ssl-load-extra-del-ext
defaults
    mode http
    %%TIMEOUTS%%
frontend f
    bind 127.0.0.1:%%PORT_8443%% ssl crt $d/k/site.crt
    http-request return status 200 content-type text/plain lf-string "%[ssl_f_s_dn(CN)]\\n"
EOF2

my ($r) = https_get(port(8443), '/', sni => 'site.test');
like($r // '', qr/\r\n\r\nsite\.test$/m, 'the key of site.crt is read from site.key');

$t->write_file('nodel.cfg', "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n"
    . "    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:1 ssl crt $d/k/site.crt\n");
my ($rc, $o) = $t->run_binary('-c', '-f', "$d/nodel.cfg");
isnt($rc, 0, 'without ssl-load-extra-del-ext: site.crt.key is looked for, and missing') or diag($o);
like($o, qr/site\.crt/, 'the error names the certificate') or diag($o);

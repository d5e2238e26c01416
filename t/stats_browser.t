#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# The stats page in a real browser: Debian's headless chromium loads it, the dumped DOM has
# the proxy tables and server rows with their state colours, a screenshot is taken (in the
# test directory), and the admin form is exercised with the exact fields the page holds
# (checkbox names/values, the action select, the hidden backend field) posted back: the
# server's state changes as the runtime API sees it, and the page shows it after the redirect.
use warnings;
use strict;
use Test::More;
use lib 't/lib';
use Test::Portico qw/ http http_parse port cli_send /;

my $chromium = '/usr/bin/chromium';
plan skip_all => "$chromium is absent (apt-get install -y chromium)" unless -x $chromium;

my $t = Test::Portico->new()->has(qw/ http /)->portico_only()->plan(12);
$t->origin_http(port(8081), body => 'origin');
$t->config(<<'EOF2')->run();
%%GLOBAL%%
    stats socket %%TESTDIR%%/cli.sock level admin
defaults
    mode http
    %%TIMEOUTS%%
listen stats
    bind 127.0.0.1:%%PORT_8080%%
    stats enable
    stats uri /stats
    stats admin if TRUE
    stats show-legends
backend be
    server web1 127.0.0.1:%%PORT_8081%%
    server web2 127.0.0.1:%%PORT_8081%%
    server spare 127.0.0.1:%%PORT_8081%% backup
EOF2
my $dir = $t->testdir;
my $base = 'http://127.0.0.1:' . port(8080);

sub chromium {
    my (@args) = @_;
    my $cmd = join ' ', map { "'$_'" } ('timeout', '60', $chromium, '--headless',
        '--disable-gpu', '--no-sandbox', '--no-first-run', '--disable-dev-shm-usage',
        "--user-data-dir=$dir/chromium-profile", @args);
    my $out = `$cmd 2>$dir/chromium.err`;
    return $out;
}

# --- the page in the browser ---
my $dom = chromium('--dump-dom', "$base/stats");
like($dom, qr{<table class="tbl"}, 'chromium loaded the page');
my %rows;
while ($dom =~ m{<tr class="([^"]+)">(.*?)</tr>}gs) {
    my ($cls, $cells) = ($1, $2);
    my ($name) = $cells =~ m{<a class="lfsb" href="#[^"/]+/([^"]+)">};
    $rows{$name} = $cls if defined $name;
}
is($rows{web1}, 'active_no_check', 'web1 row: active, not checked');
is($rows{spare}, 'backup_no_check', 'backup row colour');
is($rows{Backend}, 'backend', 'backend row');
is($rows{Frontend}, 'frontend', 'frontend row');

chromium('--window-size=1400,900', "--screenshot=$dir/stats.png", "$base/stats");
ok(-s "$dir/stats.png", "screenshot taken ($dir/stats.png)");

# --- the admin form, from the DOM ---
my ($form) = $dom =~ m{(<form method="post">.*?</form>)}s;
ok($form, 'admin form present');
my @boxes = $form =~ m{<input class="be-checkbox" type="checkbox" name="(s)" value="([^"]+)">}g;
my %values = @boxes;
my @srv = map { $boxes[2 * $_ + 1] } 0 .. $#boxes / 2;
is_deeply(\@srv, [qw/ web1 web2 spare /], 'one checkbox per server');
my ($select) = $form =~ m{<select name="(action)">};
my @actions = $form =~ m{<option value="(\w+)">}g;
ok($select && grep({ $_ eq 'maint' } @actions), 'action select offers maint');
my ($bname, $bval) = $form =~ m{<input type="hidden" name="(b)" value="([^"]+)">};
(my $benc = $bval) =~ s/#/%23/g;
my $body = "s=web2&$select=maint&$bname=$benc";
my $r = http_parse(http("POST /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " . length($body)
    . "\r\n\r\n$body", port => port(8080)));
is($r && $r->{h}{location}, '/stats;st=DONE', 'form POST redirected to ;st=DONE');
like(cli_send("$dir/cli.sock", "show stat\n"), qr{^be,web2,(?:[^,]*,){15}MAINT,}m,
    'web2 in maintenance, seen by the runtime API');

# --- the redirect target in the browser ---
$dom = chromium('--dump-dom', "$base/stats;st=DONE");
ok($dom =~ m{Action processed successfully} && $dom =~ m{<tr class="maintain"><td><input class="be-checkbox" type="checkbox" name="s" value="web2">},
    'browser shows the message and web2 in maintenance');

#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Every keyword listed by "portico -dK" is documented in man/portico.cfg.5, and every man
# page is lint-clean with mandoc.
#
# The page convention (also stated at the top of man/portico.cfg.5): each keyword entry
# starts with ".Ss <keyword>" under ".Sh GLOBAL KEYWORDS" (keywords valid in global),
# ".Sh PROXY KEYWORDS" (valid in defaults/frontend/backend/listen), ".Sh BIND OPTIONS"
# or ".Sh SERVER OPTIONS".
use warnings;
use strict;
use Test::More;
use IPC::Open3 qw/ open3 /;
use File::Spec ();

my $bin = $ENV{PORTICO_TEST_BINARY} // './portico';
my $page = 'man/portico.cfg.5';

# Runs a command (list form, no shell); returns (exit status, stdout+stderr).
sub run {
    my @cmd = @_;
    my ($in, $rd);
    # stderr is not given: open3 sends it to $rd with stdout
    my $pid = eval { open3($in, $rd, undef, @cmd) } or return (-1, "$@");
    close $in;
    local $/;
    my $out = <$rd> // '';
    waitpid($pid, 0);
    return ($? >> 8, $out);
}

sub in_path {
    my ($name) = @_;
    for my $d (File::Spec->path()) {
        my $f = File::Spec->catfile($d, $name);
        return $f if -f $f && -x _;
    }
    return undef;
}

my ($rc, $vv) = -x $bin ? run($bin, '-vv') : (-1, '');
plan skip_all => "$bin is not portico (-vv does not start with 'portico')"
    unless $vv =~ /\Aportico/;

# ---- keywords listed by the binary --------------------------------------------------------
# Lines: "<where>\t<name>\t<owner module>\t<help>"; where is "bind", "server", or a
# comma-separated list of global/defaults/frontend/backend/listen.
my ($dk_rc, $dk) = run($bin, '-dK');
is($dk_rc, 0, "$bin -dK exits 0") or diag($dk);

my @required;   # [ doc section, keyword, owner ]
for my $line (split /\n/, $dk) {
    next if $line =~ /^\s*$/;
    my ($where, $name, $owner) = split /\t/, $line;
    unless (defined $owner && length $name) {
        fail("unparsable -dK line: '$line'");
        next;
    }
    if ($where eq 'bind') {
        push @required, ['BIND OPTIONS', $name, $owner];
    } elsif ($where eq 'server') {
        push @required, ['SERVER OPTIONS', $name, $owner];
    } else {
        my %w = map { $_ => 1 } split /,/, $where;
        push @required, ['GLOBAL KEYWORDS', $name, $owner] if $w{global};
        push @required, ['PROXY KEYWORDS', $name, $owner]
            if grep { $w{$_} } qw/ defaults frontend backend listen /;
    }
}
ok(scalar @required, '-dK lists keywords');

# ---- entries documented in the page ---------------------------------------------------------
my %documented; # "SECTION\0keyword" => line number
{
    open(my $fh, '<', $page) or BAIL_OUT("cannot read $page: $!");
    my $sh = '';
    while (my $l = <$fh>) {
        chomp $l;
        if ($l =~ /^\.Sh\s+(.*?)\s*$/) {
            ($sh = $1) =~ s/"//g;
        } elsif ($l =~ /^\.Ss\s+(.*?)\s*$/) {
            (my $kw = $1) =~ s/"//g;
            $documented{"$sh\0$kw"} //= $.;
        }
    }
    close $fh;
}

for my $r (@required) {
    my ($sec, $name, $owner) = @$r;
    ok(exists $documented{"$sec\0$name"},
       "'$name' ($owner) has a '.Ss $name' entry under '.Sh $sec' in $page");
}

# Entries for keywords the binary does not list (a module not built, or a stale entry):
# reported, not failed, since -dK depends on the modules found next to the binary.
my %listed = map { ("$_->[0]\0$_->[1]" => 1) } @required;
for my $k (sort keys %documented) {
    my ($sec, $kw) = split /\0/, $k;
    next unless $sec =~ /^(GLOBAL KEYWORDS|PROXY KEYWORDS|BIND OPTIONS|SERVER OPTIONS)$/;
    diag("$page:$documented{$k}: '$kw' under '$sec' is not listed by -dK") unless $listed{$k};
}

# ---- mandoc lint ----------------------------------------------------------------------------
my @pages = sort grep { -f } glob('man/*.[1-9]');
SKIP: {
    my $mandoc = in_path('mandoc');
    skip 'mandoc is not installed', scalar(@pages) || 1 unless $mandoc;
    ok(0, 'no man page found in man/') unless @pages;
    for my $p (@pages) {
        my (undef, $out) = run($mandoc, '-Tlint', '-Wwarning', $p);
        is($out, '', "mandoc -Tlint -Wwarning $p is clean");
    }
}

done_testing();

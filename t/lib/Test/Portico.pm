package Test::Portico;
# SPDX-License-Identifier: MIT
# Integration test harness: runs portico (or HAProxy) with inline configs, Perl origins and clients.

use warnings;
use strict;

use Test::More ();
use File::Temp ();
use File::Spec ();
use IO::Socket::IP;
use IO::Select;
use Socket qw/ SHUT_WR /;
use POSIX qw/ WNOHANG WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG EINTR EAGAIN /;
use Fcntl qw/ F_GETFD F_SETFD FD_CLOEXEC :flock /;
use Time::HiRes qw/ sleep time /;
use Digest::MD5 qw/ md5_hex /;
use JSON::PP ();
use Exporter qw/ import /;

our @EXPORT_OK = qw/ keepalive_load response_shares http_get http http_end http_keepalive http_parse port portico cli_send
    tcp_transfer /;
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $CREATOR = $$;
my @INSTANCES;          # every Test::Portico object of this process
my %PORTS;              # symbolic name => port number
my %RESERVED;           # port number => socket holding it until released
my @CHILD_CLOSE;        # sockets forked origins must not keep
my $FEATURES;           # cached parse of BINARY -vv
my $JSON = JSON::PP->new->latin1->canonical;

###############################################################################
# Setup

sub binary {
    my $b = $ENV{PORTICO_TEST_BINARY} // './portico';
    return File::Spec->rel2abs($b);
}

sub new {
    my ($class) = @_;
    my $self = bless {
        binary => binary(),
        procs => [],            # { pid, what, status } for every process forked
        origins => {},          # port => pid
        known_workers => {},    # pid => starttime, seen as children of the proxy
        leftovers => [],        # descriptions of processes that outlived their parent
        env => {},
    }, $class;
    $self->{tmp} = File::Temp::tempdir('portico-test-XXXXXX', TMPDIR => 1,
        CLEANUP => !$ENV{PORTICO_TEST_LEAVE});
    push @INSTANCES, $self;
    $SIG{PIPE} = 'IGNORE';
    for my $sig (qw/ INT TERM HUP /) {
        $SIG{$sig} = sub { exit 1 } if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
    }
    Test::More::diag("testdir $self->{tmp}") if $ENV{PORTICO_TEST_LEAVE};
    return $self;
}

sub testdir { $_[0]{tmp} }
sub pid { $_[0]{pid} }

# Parses BINARY -vv once: kind (portico/haproxy/none), features hash.
sub _features {
    return $FEATURES if $FEATURES;
    my %f;
    my $kind = 'none';
    my $bin = binary();
    if (-x $bin) {
        my (undef, $out) = _capture(undef, 10, {}, $bin, '-vv');
        if ($out =~ /^HAProxy version/m) {
            $kind = 'haproxy';
            # what portico's modules do is built into HAProxy; TLS and Lua per its features
            $f{$_} = 1 for qw/ tcp http proxy_protocol check slowstart stick /;
            $f{ssl} = 1 if $out =~ /^Feature list :.*\+OPENSSL\b/m;
            $f{lua} = 1 if $out =~ /^Feature list :.*\+LUA\b/m;
        } elsif ($out ne '') {
            $kind = 'portico';
            if ($out =~ /^Loaded modules:\s*\n((?:[ \t]+\S.*\n?)*)/m) {
                for my $line (split /\n/, $1) {
                    $f{$1} = 1 if $line =~ /^\s+(\S+)\s+\S+\s+\(ABI\b/;
                }
            }
            $f{"poller:$1"} = 1 if $out =~ /^Poller:\s*(\S+)/m;
        }
    }
    return $FEATURES = { kind => $kind, features => \%f };
}

# True when the binary under test is portico (false under HAProxy).
sub portico { _features()->{kind} eq 'portico' }

sub has_feature {
    my ($self, $f) = @_;
    return _features()->{features}{$f} ? 1 : 0;
}

sub has {
    my ($self, @want) = @_;
    my $fe = _features();
    my @missing = grep { !$fe->{features}{$_} } @want;
    return $self unless @missing;
    my %expected = map { $_ => 1 } split /\s*,\s*/, ($ENV{PORTICO_TEST_FEATURES} // '');
    my @fatal = grep { $expected{$_} || $expected{all} } @missing;
    my $why = $fe->{kind} eq 'none' ? "binary $self->{binary} not found"
        : "no @missing in $fe->{kind}";
    if (@fatal) {
        Test::More::plan(tests => 1);
        Test::More::fail("required by PORTICO_TEST_FEATURES: @fatal ($why)");
        exit 1;
    }
    Test::More::plan(skip_all => $why);
}

sub portico_only {
    my ($self) = @_;
    Test::More::plan(skip_all => 'portico only') unless portico();
    return $self;
}

sub plan {
    my ($self, $n) = @_;
    Test::More::plan(tests => $n + 2);
    $self->{planned} = 1;
    return $self;
}

###############################################################################
# Ports and config

sub port {
    my ($name) = @_;
    return $PORTS{$name} if defined $PORTS{$name};
    my %seen = map { $_ => 1 } values %PORTS;
    for (1 .. 50) {
        my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
            Proto => 'tcp') or die "cannot reserve a port: $@";
        my $p = $s->sockport;
        next if $seen{$p};
        $RESERVED{$p} = $s;
        push @CHILD_CLOSE, $s;
        return $PORTS{$name} = $p;
    }
    die "cannot find a free port";
}

sub _release {
    my ($p) = @_;
    my $s = delete $RESERVED{$p} or return;
    @CHILD_CLOSE = grep { $_ != $s } @CHILD_CLOSE;
    close $s;
}

sub expand {
    my ($self, $text) = @_;
    $text =~ s/%%GLOBAL%%/global\n    maxconn 1000\n/g;
    $text =~ s/%%TIMEOUTS%%/timeout connect 2s\n    timeout client 10s\n    timeout server 10s/g;
    $text =~ s/%%TESTDIR%%/$self->{tmp}/g;
    $text =~ s/%%PORT_(\w+)%%/port($1)/ge;
    return $text;
}

sub config {
    my ($self, $text) = @_;
    $self->{config} = $text;
    return $self;
}

sub config_path { "$_[0]{tmp}/portico.cfg" }

# Writes NAME (relative to the test dir, directories created) with placeholders expanded.
sub write_file {
    my ($self, $name, $content) = @_;
    my $path = "$self->{tmp}/$name";
    my @parts = split m{/}, $name;
    pop @parts;
    my $dir = $self->{tmp};
    for (@parts) { $dir .= "/$_"; mkdir $dir unless -d $dir }
    open my $fh, '>', $path or die "write $path: $!";
    print $fh $self->expand($content);
    close $fh;
    return $path;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{tmp}/$name";
    open my $fh, '<', $path or return '';
    local $/;
    my $c = <$fh>;
    return $c // '';
}

# Creates a listening socket inherited by the proxy: its fd number goes to env var ENV_NAME.
sub listen_fd {
    my ($self, $env_name, $port_name) = @_;
    my $p = 0;
    my $s;
    if (defined $port_name) { $s = _script_listen(port($port_name)) }
    else {
        $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Listen => 128,
            ReuseAddr => 1, Proto => 'tcp') or die "listen_fd: $@";
    }
    my $flags = fcntl($s, F_GETFD, 0) or die "fcntl: $!";
    fcntl($s, F_SETFD, $flags & ~FD_CLOEXEC) or die "fcntl: $!";
    $self->{env}{$env_name} = fileno($s);
    push @{$self->{fds}}, $s;
    push @CHILD_CLOSE, $s;
    return $s->sockport;
}

###############################################################################
# Processes

sub _child_reset {
    for my $sig (qw/ INT TERM HUP PIPE USR1 USR2 ALRM CHLD QUIT /) { $SIG{$sig} = 'DEFAULT' }
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    alarm 0;
}

# Forks and execs ARGV; output to files. Returns the pid (tracked unless untracked).
sub _spawn {
    my ($self, $argv, %o) = @_;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        eval {
            _child_reset();
            open STDIN, '<', '/dev/null' or die "stdin: $!";
            my $mode = $o{truncate} ? '>' : '>>';
            open STDOUT, $mode, $o{stdout} or die "stdout: $!";
            if ($o{same}) { open STDERR, '>&', \*STDOUT or die "stderr: $!" }
            else { open STDERR, $mode, $o{stderr} or die "stderr: $!" }
            for my $k (keys %{$o{env} || {}}) {
                if (defined $o{env}{$k}) { $ENV{$k} = $o{env}{$k} } else { delete $ENV{$k} }
            }
            exec { $argv->[0] } @$argv or die "exec $argv->[0]: $!\n";
        };
        print STDERR "spawn failed: $@";
        POSIX::_exit(127);
    }
    push @{$self->{procs}}, { pid => $pid, what => $o{what} // "@$argv" } if ref $self;
    return $pid;
}

sub _proc {
    my ($self, $pid) = @_;
    my ($p) = grep { $_->{pid} == $pid } @{$self->{procs}};
    return $p;
}

# Waits up to TIMEOUT seconds for PID; returns its raw wait status or undef.
sub _reap {
    my ($self, $pid, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r == -1) {
            my $st = $r == $pid ? $? : -1;
            if (ref $self) {
                my $p = $self->_proc($pid);
                $p->{status} = $st if $p && !defined $p->{status};
                $st = $p->{status} if $p && $r == -1;
            }
            return $st;
        }
        return undef if time >= $deadline;
        sleep 0.02;
    }
}

# Module-level command capture (used before any object exists).
sub _capture {
    my ($self, $timeout, $env, @argv) = @_;
    my ($fh, $out) = File::Temp::tempfile('portico-out-XXXXXX', TMPDIR => 1, UNLINK => 1);
    my $pid = _spawn($self, \@argv, stdout => $out, same => 1, truncate => 1, env => $env,
        what => "@argv");
    my $st = _reap($self, $pid, $timeout);
    my $note = '';
    if (!defined $st) {
        kill 'KILL', $pid;
        $st = _reap($self, $pid, 3);
        $note = "\n[harness] command timed out after ${timeout}s\n";
    }
    local $/;
    my $text = <$fh> // '';
    close $fh;
    unlink $out;
    my $code = !defined $st ? -1 : $st == -1 ? -1 : WIFEXITED($st) ? WEXITSTATUS($st)
        : 128 + WTERMSIG($st);
    return ($code, $text . $note);
}

# Runs BINARY with ARGS (optional leading { env => {}, timeout => s }); returns (code, output).
sub run_binary {
    my ($self, @args) = @_;
    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    my %env = (%{$self->{env}}, %{$o->{env} || {}});
    Test::More::diag("run: $self->{binary} @args") if $ENV{PORTICO_TEST_VERBOSE};
    my ($code, $out) = $self->_capture($o->{timeout} // 10, \%env, $self->{binary}, @args);
    return wantarray ? ($code, $out) : $code;
}

# Runs any command (optional leading { env => {}, timeout => s }); returns (code, output).
sub run_command {
    my ($self, @cmd) = @_;
    my $o = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my ($code, $out) = $self->_capture($o->{timeout} // 60, $o->{env} || {}, @cmd);
    return wantarray ? ($code, $out) : $code;
}

# BINARY -c [-f CFG] EXTRA...; returns (exit code, combined output).
sub check_config {
    my ($self, @extra) = @_;
    my $o = ref $extra[0] eq 'HASH' ? shift @extra : {};
    my @args = ('-c');
    if (defined $self->{config}) {
        $self->write_file('portico.cfg', $self->{config});
        push @args, '-f', $self->config_path;
    }
    return $self->run_binary($o, @args, @extra);
}

# The kernel lists the listening sockets first: the scan stops at the first other one, so
# that it stays quick while another test holds tens of thousands of connections.
sub _listening {
    my ($port) = @_;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        <$fh>; # the header
        while (my $line = <$fh>) {
            my @c = split ' ', $line;
            last unless @c > 3 && $c[3] eq '0A';
            return 1 if $c[1] =~ /:([0-9A-F]{4})$/ && hex($1) == $port;
        }
    }
    return 0;
}

sub run {
    my ($self, %opts) = @_;
    die "run: already running (pid $self->{pid})\n" if $self->{pid};
    my @names = @{$opts{wait_ports} || []};
    my @args = ('-db');
    if (defined $self->{config}) {
        for my $line (split /\n/, $self->{config}) {
            push @names, $line =~ /%%PORT_(\w+)%%/g if $line =~ /^\s*bind\b/;
        }
        $self->write_file('portico.cfg', $self->{config});
        push @args, '-f', $self->config_path;
    }
    push @args, '-p', "$self->{tmp}/portico.pid" unless $opts{no_pidfile};
    push @args, @{$opts{args} || []};
    my @ports = map { port($_) } @names;
    _release($_) for @ports;

    my $errlog = "$self->{tmp}/stderr.log";
    $self->{errlog_offset} = -s $errlog // 0;
    my %env = (%{$self->{env}}, %{$opts{env} || {}});
    Test::More::diag("run: $self->{binary} @args") if $ENV{PORTICO_TEST_VERBOSE};
    my $pid = $self->_spawn([$self->{binary}, @args], stdout => "$self->{tmp}/stdout.log",
        stderr => $errlog, env => \%env, what => 'proxy');
    $self->{pid} = $pid;

    my $deadline = time + ($opts{timeout} // 5);
    my $settle = @ports ? 0 : time + 0.3;
    while (1) {
        my $st = $self->_reap($pid, 0);
        if (defined $st) {
            delete $self->{pid};
            die sprintf("%s exited early (status %d):\n%s", $self->{binary}, $st,
                $self->errlog);
        }
        last if @ports && !grep { !_listening($_) } @ports;
        last if !@ports && time >= $settle;
        if (time >= $deadline) {
            my @down = grep { !_listening($_) } @ports;
            $self->stop;
            die "ports @down not listening after ${\($opts{timeout} // 5)}s:\n"
                . $self->errlog;
        }
        sleep 0.02;
    }
    # The listeners answer before the runtime API's sockets exist (the master binds them
    # later): a test's first command must not find no socket. Bounded; a socket that never
    # appears is left for the test to notice.
    my @socks = _unix_stats_sockets($self);
    while (grep { !_cli_ready($_) } @socks) {
        my $st = $self->_reap($pid, 0);
        if (defined $st) {
            delete $self->{pid};
            die sprintf("%s exited early (status %d):\n%s", $self->{binary}, $st, $self->errlog);
        }
        last if time >= $deadline;
        sleep 0.02;
    }
    return $self;
}

# True if something accepts connections on UNIX socket PATH (a file left by a previous
# instance does not).
sub _cli_ready {
    my ($path) = @_;
    return 0 unless -S $path;
    require IO::Socket::UNIX;
    my $s = IO::Socket::UNIX->new(Peer => $path) or return 0;
    close $s;
    return 1;
}

# The UNIX paths of the configuration's "stats socket" lines (placeholders expanded).
sub _unix_stats_sockets {
    my ($self) = @_;
    return () unless defined $self->{config} && -f $self->config_path;
    my @p;
    for my $line (split /\n/, $self->read_file('portico.cfg')) {
        next unless $line =~ /^\s*stats\s+socket\s+"?([^\s"]+)"?/;
        my $a = $1;
        $a =~ s/^unix@//;
        push @p, $a if $a =~ m{^/};
    }
    return @p;
}

sub errlog {
    my ($self) = @_;
    my $all = $self->read_file('stderr.log');
    return substr($all, $self->{errlog_offset} // 0);
}

sub _stat {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return;
    my $line = <$fh> // return;
    $line =~ s/^.*\)\s+// or return;
    my @f = split ' ', $line;      # f[0] = state (field 3), f[1] = ppid, f[19] = starttime
    return { state => $f[0], ppid => $f[1], start => $f[19] };
}

# PIDs of live child processes of the proxy (or of PID).
sub workers {
    my ($self, $parent) = @_;
    $parent //= $self->{pid} or return ();
    my $track = defined $self->{pid} && $parent == $self->{pid};
    my @w;
    opendir my $d, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my $s = _stat($pid) or next;
        next unless $s->{ppid} == $parent && $s->{state} ne 'Z';
        push @w, $pid;
        $self->{known_workers}{$pid} = $s->{start} if $track;
    }
    @w = sort { $a <=> $b } @w;
    return @w;
}

# Waits (bounded by TIMEOUT seconds, default 10) until the proxy has N live workers; the
# master's listeners answer before its workers are forked, so tests that look at workers
# must wait for them. Returns the workers' PIDs (fewer than N on timeout).
sub wait_workers {
    my ($self, $n, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 10);
    my @w;
    while (1) {
        @w = $self->workers;
        return @w if @w >= $n || Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.05);
    }
}

sub _alive {
    my ($pid, $start) = @_;
    my $s = _stat($pid) or return 0;
    return 0 if $s->{state} eq 'Z';
    return !defined $start || $s->{start} == $start;
}

# After the proxy is gone: its workers must vanish too (bounded), else they are killed and noted.
sub _check_leftovers {
    my ($self) = @_;
    my $kw = $self->{known_workers};
    my $deadline = time + 3;
    while (grep { _alive($_, $kw->{$_}) } keys %$kw) {
        last if time >= $deadline;
        sleep 0.05;
    }
    for my $pid (grep { _alive($_, $kw->{$_}) } keys %$kw) {
        push @{$self->{leftovers}}, "worker $pid outlived the master";
        kill 'KILL', $pid;
    }
    $self->{known_workers} = {};
}

# Sends SIG to the proxy (snapshotting its workers first).
sub signal {
    my ($self, $sig, $pid) = @_;
    $pid //= $self->{pid} or die "signal: not running\n";
    $self->workers;
    return kill $sig, $pid;
}

# Waits up to TIMEOUT for the proxy to exit; returns raw wait status or undef.
sub wait_exit {
    my ($self, $timeout) = @_;
    my $pid = $self->{pid} or return;
    my $st = $self->_reap($pid, $timeout // 5);
    return undef unless defined $st;
    delete $self->{pid};
    $self->_check_leftovers;
    return $st;
}

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return;
    $self->workers;
    my $st = $self->_reap($pid, 0);
    for my $sig (qw/ USR1 TERM KILL /) {
        last if defined $st;
        kill $sig, $pid;
        $st = $self->_reap($pid, 3);
        Test::More::diag("proxy $pid ignored SIG$sig for 3s") if !defined $st && $sig ne 'KILL';
    }
    delete $self->{pid};
    $self->_check_leftovers;
    return $st;
}

# $t->reload([CONFIG]): writes CONFIG (if given) as the configuration, sends SIGUSR2 and
# waits (bounded, 10 s) for the master to report the reload complete or failed. Returns the
# log line ("Reload complete..." / "Reload failed..."), undef on timeout.
sub reload {
    my ($self, $config) = @_;
    if (defined $config) {
        $self->{config} = $config;
        $self->write_file('portico.cfg', $config);
    }
    my $mark = $self->errlog_mark;
    $self->workers;
    kill 'USR2', $self->{pid} or return undef;
    return $self->wait_log(qr/Reload (?:complete|failed)[^\n]*/, 10, $mark);
}

sub origin_pids { my @p = sort { $a <=> $b } values %{$_[0]{origins}}; return @p }

# Error log lines matching RE are not counted by the end-of-test "no alerts" check.
sub ignore_alerts {
    my ($self, $re) = @_;
    push @{$self->{ignore_alerts}}, $re;
    return $self;
}

sub stop_origins {
    my ($self) = @_;
    for my $port (keys %{$self->{origins}}) {
        my $pid = delete $self->{origins}{$port};
        my $st = $self->_reap($pid, 0);
        for my $sig (qw/ TERM KILL /) {
            last if defined $st;
            kill $sig, $pid;
            $st = $self->_reap($pid, 3);
        }
    }
    return $self;
}

sub _finish {
    my ($self) = @_;
    return if $self->{finished}++;
    $self->stop if $self->{pid};
    $self->stop_origins;
    for my $p (@{$self->{procs}}) {
        next if defined $p->{status};
        kill 'KILL', $p->{pid};
        $self->_reap($p->{pid}, 3);
        push @{$self->{leftovers}}, "$p->{what} ($p->{pid}) was not reaped by the test";
    }
    my $log = $self->read_file('stderr.log');
    if ($self->{planned}) {
        my @alerts = grep { /\[(?:ALERT|EMERG)\]|Sanitizer|runtime error:/ } split /\n/, $log;
        for my $re (@{$self->{ignore_alerts} || []}) { @alerts = grep { !/$re/ } @alerts }
        Test::More::is(join("\n", @alerts), '', 'no alerts in error log');
        my @bad = (@{$self->{leftovers}},
            map { "$_->{what} ($_->{pid}) not reaped" } grep { !defined $_->{status} }
            @{$self->{procs}});
        Test::More::ok(!@bad, 'all processes reaped') or Test::More::diag(join "\n", @bad);
    }
    Test::More::diag("error log:\n$log") if $ENV{PORTICO_TEST_CATLOG} && $log ne '';
}

END {
    my $saved = $?;
    if ($$ == $CREATOR) {
        for my $t (@INSTANCES) {
            eval { $t->_finish; 1 } or print STDERR "# harness cleanup: $@";
        }
    }
    $? = $saved;
}

###############################################################################
# Origins

# The reserving socket may still be open in an origin forked a moment ago (it closes its
# copies of the reservations at once, but not before the fork returns here): "address in
# use" is retried, bounded, as _script_listen does.
sub _origin_listen {
    my ($self, $port, $addr) = @_;
    return _script_listen($port, $addr);
}

# Waits (bounded, 5 s) until a just-forked origin has closed its copies of the port
# reservations (it closes its end of the pipe right after), so that the ports this process
# releases next can be bound at once by it or by the proxy.
sub _child_closed {
    my ($rd, $wr) = @_;
    close $wr;
    my $bits = '';
    vec($bits, fileno($rd), 1) = 1;
    my $deadline = time + 5;
    while (time < $deadline) {
        my $r = $bits;
        my $n = select($r, undef, undef, $deadline - time);
        next if $n < 0 && $!{EINTR};
        last if $n <= 0;
        my $got = sysread($rd, my $buf, 16);
        last if !defined $got && !$!{EINTR};
        last if defined $got && $got == 0;
    }
    close $rd;
}

sub _fork_origin {
    my ($self, $ls, $port, $what, $conn_code) = @_;
    my $err = "$self->{tmp}/origins.err";
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        eval {
            _child_reset();
            $SIG{PIPE} = 'IGNORE';
            close $rd;
            close $_ for grep { $_ != $ls } @CHILD_CLOSE;
            close $wr; # the parent may bind the released ports now
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $err;
            open STDERR, '>>', $err;
            _accept_loop($ls, $conn_code);
        };
        print STDERR "$what: $@" if $@;
        POSIX::_exit(0);
    }
    _child_closed($rd, $wr);
    close $ls;
    push @{$self->{procs}}, { pid => $pid, what => $what };
    $self->{origins}{$port} = $pid;
    return $self;
}

# Fork per connection; on SIGTERM kill and reap the connection children, then exit.
sub _accept_loop {
    my ($ls, $conn_code) = @_;
    my %kids;
    $SIG{TERM} = sub {
        kill 'KILL', keys %kids;
        waitpid($_, 0) for keys %kids;
        POSIX::_exit(0);
    };
    my $sel = IO::Select->new($ls);
    while (1) {
        while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k} }
        next unless $sel->can_read(0.5);
        my $c = $ls->accept or next;
        my $k = fork();
        if (!defined $k) { close $c; next }
        if ($k == 0) {
            $SIG{TERM} = 'DEFAULT';
            close $ls;
            eval { $conn_code->($c) };
            print STDERR "origin connection: $@" if $@ && $@ ne "timeout\n";
            POSIX::_exit(0);
        }
        $kids{$k} = 1;
        close $c;
    }
}

sub _write_all {
    my ($s, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, length($data) - $off, $off);
        if (!defined $n) { next if $! == EINTR || $! == EAGAIN; return 0 }
        $off += $n;
    }
    return 1;
}

# Reads more bytes into $$buf; returns bytes read (0 = EOF, undef = error).
sub _more {
    my ($s, $buf) = @_;
    while (1) {
        my $n = sysread($s, $$buf, 65536, length $$buf);
        return $n if defined $n || $! != EINTR;
    }
}

sub _parse_headers {
    my ($block) = @_;
    my @h;
    for my $line (split /\r?\n/, $block) {
        if ($line =~ /^[ \t]/ && @h) { $h[-1][1] .= " $line"; next }
        my ($n, $v) = $line =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
        push @h, [lc $n, $v];
    }
    my %h;
    for (@h) { $h{$_->[0]} = defined $h{$_->[0]} ? "$h{$_->[0]}, $_->[1]" : $_->[1] }
    return (\@h, \%h);
}

# Reads a chunked body via $more->(); returns (body, trailers) or dies.
sub _read_chunked {
    my ($buf, $more) = @_;
    my $body = '';
    while (1) {
        until ($$buf =~ /\A[0-9a-fA-F]+[^\r\n]*\r\n/) {
            $more->() or die "eof in chunk size\n";
        }
        $$buf =~ /\A([0-9a-fA-F]+)[^\r\n]*\r\n/;
        my $size = hex $1;
        substr($$buf, 0, $+[0], '');
        if ($size == 0) {
            until ($$buf =~ /\A(?:[^\r\n]+\r\n)*\r\n/) { $more->() or die "eof in trailers\n" }
            $$buf =~ /\A((?:[^\r\n]+\r\n)*)\r\n/;
            my $tr = $1;
            substr($$buf, 0, $+[0], '');
            return ($body, $tr);
        }
        while (length $$buf < $size + 2) { $more->() or die "eof in chunk data\n" }
        $body .= substr($$buf, 0, $size);
        substr($$buf, 0, $size + 2, '');
    }
}

# Reads one request from $s (buffer $buf); returns hashref, or undef on clean EOF.
sub _read_request {
    my ($s, $buf) = @_;
    my $more = sub { _more($s, $buf) };
    $$buf =~ s/\A(?:\r\n)+//;
    until ($$buf =~ /\r\n\r\n/) {
        my $n = $more->();
        return undef if !$n && $$buf eq '';
        die "eof in request head\n" unless $n;
        $$buf =~ s/\A(?:\r\n)+//;
    }
    my $end = index($$buf, "\r\n\r\n");
    my $head = substr($$buf, 0, $end + 4, '');
    my ($line, $block) = split /\r\n/, $head, 2;
    my ($method, $uri, $version) = split ' ', $line;
    my ($hl, $hh) = _parse_headers($block // '');
    my $req = { method => $method, uri => $uri, version => $version // 'HTTP/0.9',
        headers => $hl, h => $hh, head => $head, body => '' };
    if (($hh->{expect} // '') =~ /100-continue/i) {
        _write_all($s, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (($hh->{'transfer-encoding'} // '') =~ /chunked/i) {
        ($req->{body}, $req->{trailers}) = _read_chunked($buf, $more);
        $req->{chunked} = 1;
    } elsif (defined $hh->{'content-length'}) {
        my $len = $hh->{'content-length'};
        while (length $$buf < $len) { $more->() or die "eof in request body\n" }
        $req->{body} = substr($$buf, 0, $len, '');
    }
    return $req;
}

my %REASON = (100 => 'Continue', 200 => 'OK', 201 => 'Created', 204 => 'No Content',
    301 => 'Moved Permanently', 302 => 'Found', 304 => 'Not Modified', 400 => 'Bad Request',
    403 => 'Forbidden', 404 => 'Not Found', 500 => 'Internal Server Error',
    502 => 'Bad Gateway', 503 => 'Service Unavailable', 504 => 'Gateway Timeout');

sub _log_request {
    my ($log, $req) = @_;
    my %r = %$req;
    delete $r{head};
    open my $fh, '>>', $log or return;
    flock $fh, LOCK_EX;
    syswrite $fh, $JSON->encode(\%r) . "\n";
    close $fh;
}

# %opts: addr, a loopback address other than 127.0.0.1 to listen on (the same port may then
# have an origin on each address; its requests share the port's log).
sub origin_http {
    my ($self, $port, %opts) = @_;
    my $log = "$self->{tmp}/origin_$port.log";
    open my $fh, '>>', $log or die "$log: $!";
    close $fh;
    my $ls = $self->_origin_listen($port, $opts{addr});
    my $key = $opts{addr} ? "$opts{addr}:$port" : $port;
    return $self->_fork_origin($ls, $key, "origin_http:$key", sub {
        _http_conn($_[0], $log, \%opts);
    });
}

# origin_http on a UNIX stream socket at <path> (its requests are logged under the key
# "unix:<name of the socket file>" for origin_requests).
sub origin_http_unix {
    my ($self, $path, %opts) = @_;
    require IO::Socket::UNIX;
    unlink $path;
    my $ls = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Local => $path, Listen => 128)
        or die "listen on $path: $!";
    my ($key) = $path =~ m{([^/]+)$};
    $key = "unix:$key";
    my $log = "$self->{tmp}/origin_$key.log";
    open my $fh, '>>', $log or die "$log: $!";
    close $fh;
    return $self->_fork_origin($ls, $key, "origin_http_unix:$path", sub {
        _http_conn($_[0], $log, \%opts);
    });
}

# origin_http over TLS (IO::Socket::SSL): cert and key files in %opts (cert, key), and ca to
# ask for and verify a client certificate.
sub origin_https {
    my ($self, $port, %opts) = @_;
    require IO::Socket::SSL;
    my $log = "$self->{tmp}/origin_$port.log";
    open my $fh, '>>', $log or die "$log: $!";
    close $fh;
    my $ls = $self->_origin_listen($port);
    return $self->_fork_origin($ls, $port, "origin_https:$port", sub {
        my $c = IO::Socket::SSL->start_SSL($_[0], SSL_server => 1, Timeout => 5,
            SSL_cert_file => $opts{cert}, SSL_key_file => $opts{key},
            SSL_alpn_protocols => ['http/1.1'],
            ($opts{ca} ? (SSL_verify_mode => 3, SSL_ca_file => $opts{ca}) : ()))
            or return;
        _http_conn($c, $log, \%opts);
    });
}

sub _http_conn {
    my ($c, $log, $opts) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    my $buf = '';
    my $peer = $c->can('peerport') ? $c->peerport : undef; # none on a UNIX socket
    for (my $seq = 0; ; $seq++) {
        alarm($opts->{idle} // 60);
        my $req = _read_request($c, \$buf);
        alarm 0;
        last unless $req;
        @$req{qw/ conn seq peer_port /} = ("$$", $seq, $peer);
        _log_request($log, $req);
        if ($opts->{raw}) {
            alarm 120;
            $opts->{raw}->($c, $req);
            alarm 0;
            last;
        }
        my ($status, $hdrs, $body);
        if ($opts->{echo}) {
            $body = "$req->{head}$req->{body}";
            $hdrs = ['Content-Type' => 'text/plain', 'X-Echo-Method' => $req->{method},
                'X-Echo-Uri' => $req->{uri}, 'X-Echo-Body-Length' => length $req->{body},
                'X-Echo-Body-MD5' => md5_hex($req->{body})];
            $status = 200;
        } elsif ($opts->{handler}) {
            ($status, $hdrs, $body) = $opts->{handler}->($req);
        } else {
            ($status, $hdrs, $body) = (200, ['Content-Type' => 'text/plain'],
                $opts->{body} // "ok\n");
        }
        $body //= '';
        my @h = ref $hdrs eq 'HASH' ? %$hdrs : @{$hdrs || []};
        my $out = "HTTP/1.1 $status " . ($REASON{$status} // 'Unknown') . "\r\n";
        my ($has_len, $close);
        my $conn_hdr = lc($req->{h}{connection} // '');
        $close = $req->{version} eq 'HTTP/1.0' ? $conn_hdr !~ /keep-alive/
            : $conn_hdr =~ /close/;
        while (my ($n, $v) = splice @h, 0, 2) {
            $has_len = 1 if $n =~ /^(content-length|transfer-encoding)$/i;
            $close = 1 if $n =~ /^connection$/i && $v =~ /close/i;
            $out .= "$n: $v\r\n";
        }
        $out .= "Content-Length: " . length($body) . "\r\n" unless $has_len;
        $out .= "Connection: close\r\n" if $close && $out !~ /^connection:/mi;
        $out .= "\r\n";
        $out .= $body unless $req->{method} eq 'HEAD';
        alarm 60;
        my $ok = _write_all($c, $out);
        alarm 0;
        last if !$ok || $close;
    }
    close $c;
}

# Requests recorded by the origin on PORT, as hashrefs (method uri version headers h body conn seq).
sub origin_requests {
    my ($self, $port) = @_;
    my @r;
    for my $line (split /\n/, $self->read_file("origin_$port.log")) {
        push @r, $JSON->decode($line);
    }
    return @r;
}

sub origin_tcp {
    my ($self, $port, %opts) = @_;
    my $ls = $self->_origin_listen($port);
    return $self->_fork_origin($ls, $port, "origin_tcp:$port", sub {
        _tcp_echo($_[0], \%opts);
    });
}

sub _tcp_echo {
    my ($c, $opts) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    _write_all($c, $opts->{banner}) if defined $opts->{banner};
    my $sel = IO::Select->new($c);
    my $idle = $opts->{idle} // 60;
    while (1) {
        $sel->can_read($idle) or last;
        my $n = sysread($c, my $d, 65536);
        if (!defined $n) { next if $! == EINTR; last }
        if ($n == 0) {
            shutdown($c, SHUT_WR);
            my $deadline = time + 10;     # wait (bounded) for the peer to close
            while (time < $deadline && $sel->can_read($deadline - time)) {
                my $m = sysread($c, my $x, 65536);
                last if !$m;
            }
            last;
        }
        alarm 60;
        my $ok = _write_all($c, $d);
        alarm 0;
        last unless $ok;
    }
    close $c;
}

###############################################################################
# Clients

sub _connect {
    my (%o) = @_;
    my $port = $o{port} // port(8080);
    my $s = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
        Timeout => $o{connect_timeout} // 5);
    Test::More::diag("connect to 127.0.0.1:$port failed: $@") if !$s && !$o{quiet};
    return $s;
}

sub _headers_text {
    my ($h) = @_;
    return '' unless defined $h;
    if (!ref $h) { return $h =~ /\r\n\z/ || $h eq '' ? $h : "$h\r\n" }
    my @h = ref $h eq 'HASH' ? map { ($_, $h->{$_}) } sort keys %$h : @$h;
    my $t = '';
    while (my ($n, $v) = splice @h, 0, 2) { $t .= "$n: $v\r\n" }
    return $t;
}

sub http_get {
    my ($path, %o) = @_;
    my $host = $o{host} // 'localhost';
    my $h = _headers_text($o{headers});
    return http("GET $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n$h\r\n", %o);
}

# Sends REQUEST (string, or arrayref of chunks sent `sleep` seconds apart) and reads until
# close or timeout. Options: port, socket, start (return the socket after sending),
# half_close, sleep, timeout.
sub http {
    my ($req, %o) = @_;
    my $s = $o{socket} || _connect(%o) or return undef;
    my @chunks = ref $req eq 'ARRAY' ? @$req : ($req);
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($o{timeout} // 8);
        for my $i (0 .. $#chunks) {
            sleep $o{sleep} if $i && $o{sleep};
            _write_all($s, $chunks[$i]) or die "write: $!\n";
        }
        shutdown($s, SHUT_WR) if $o{half_close};
        alarm 0;
        1;
    };
    alarm 0;
    if (!$ok) {
        Test::More::diag("http send: $@") unless $o{quiet};
        return $o{start} ? $s : undef;
    }
    return $s if $o{start};
    return http_end($s, %o);
}

# Heap allocation counting (t/lib/malloc_count.c, an LD_PRELOAD shim): builds the shim in
# the test directory and returns the environment to pass to run(), or undef (with a
# diagnostic) if it cannot be built. allocations(PID) then reads PID's running count
# (-1 if unknown).
# no_sanitizer(): skips the whole test when the binary under test is an ASan build (its
# allocator replaces malloc: an LD_PRELOAD allocation counter cannot load before it, and
# memory figures include its shadow and quarantine). Call before plan.
sub no_sanitizer {
    my ($self) = @_;
    Test::More::plan(skip_all => 'an ASan build: allocation counts and memory figures are '
        . "the sanitizer's") if $self->sanitized;
    return $self;
}

# sanitized(): true when the binary under test is an ASan build (memory figures then
# include the sanitizer's shadow memory and quarantine).
sub sanitized {
    my ($self) = @_;
    return $self->{sanitized} //= ((`ldd '$self->{binary}' 2>/dev/null` // '') =~ /libasan/ ? 1 : 0);
}

sub alloc_counter {
    my ($self) = @_;
    my $so = "$self->{tmp}/malloc_count.so";
    my ($rc, $out) = $self->run_command('cc', '-O2', '-shared', '-fPIC', '-o', $so,
        't/lib/malloc_count.c', '-ldl');
    if ($rc != 0) {
        Test::More::diag($out);
        return undef;
    }
    mkdir "$self->{tmp}/alloc_counts";
    return { LD_PRELOAD => $so, PTC_MALLOC_COUNT_DIR => "$self->{tmp}/alloc_counts" };
}

sub allocations {
    my ($self, $pid) = @_;
    open my $fh, '<', "$self->{tmp}/alloc_counts/$pid" or return -1;
    binmode $fh;
    local $/;
    my $raw = <$fh>;
    return length($raw) == 8 ? unpack('Q<', $raw) : -1;
}

# Sends TEXT as is on the unix stream socket PATH (the runtime API) and returns everything
# read until the peer closes (bounded by a 5 s alarm; "[timeout]" is appended then).
sub cli_send {
    my ($path, $text) = @_;
    require IO::Socket::UNIX;
    my $s = IO::Socket::UNIX->new(Peer => $path) or return "connect: $!";
    my $r = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        print $s $text;
        local $/;
        $r = <$s> // '';
        alarm 0;
        1;
    } or $r .= "[$@]";
    alarm 0;
    close $s;
    return $r;
}

# Reads from SOCKET until EOF or timeout; returns what was read.
sub http_end {
    my ($s, %o) = @_;
    my $buf = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($o{timeout} // 8);
        while (_more($s, \$buf)) { }
        alarm 0;
        1;
    } or do {
        alarm 0;
        Test::More::diag("http read: $@") unless $o{quiet};
    };
    close $s;
    return $buf;
}

# Parses one response from $$buf, reading more via $more->() (returns 0 at EOF).
sub _read_response {
    my ($buf, $more, $method) = @_;
    my $r;
    while (1) {
        until ($$buf =~ /\r?\n\r?\n/) {
            next if $more->();
            return undef if $$buf eq '';
            return { raw => $$buf, incomplete => 1, status => 0, headers => [], h => {},
                body => '' };
        }
        $$buf =~ /\r?\n\r?\n/;
        my $end = $+[0];
        my $head = substr($$buf, 0, $end, '');
        my ($line, $block) = split /\r?\n/, $head, 2;
        my ($version, $status, $reason) = $line =~ m{^(HTTP/\d\.\d)\s+(\d{3})\s*(.*)$};
        my ($hl, $hh) = _parse_headers($block // '');
        $r = { version => $version, status => $status // 0, reason => $reason, headers => $hl,
            h => $hh, head => $head, raw => $head, body => '' };
        last unless defined $status && $status =~ /^1/ && $status != 101;
    }
    my $h = $r->{h};
    my $raw_start = length $$buf;
    if (($method // '') eq 'HEAD' || $r->{status} =~ /^(204|304|1\d\d)$/) {
        # no body
    } elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
        my $copy_before = $$buf;
        my ($body, $tr) = eval { _read_chunked($buf, $more) };
        if (defined $body) { $r->{body} = $body; $r->{trailers} = $tr }
        else { $r->{incomplete} = 1; $r->{body} = $$buf; $$buf = '' }
        $r->{chunked} = 1;
    } elsif (defined $h->{'content-length'}) {
        my $len = $h->{'content-length'};
        while (length $$buf < $len) { $more->() or last }
        if (length $$buf < $len) { $r->{incomplete} = 1; $r->{body} = $$buf; $$buf = '' }
        else { $r->{body} = substr($$buf, 0, $len, '') }
    } else {
        while ($more->()) { }
        $r->{body} = $$buf;
        $$buf = '';
    }
    $r->{raw} .= $r->{body} unless $r->{chunked};
    return $r;
}

# Parses a complete raw response string into a hashref:
# status reason version headers ([lc name, value] in order) h (lc name => value) body
# incomplete (body shorter than announced).
sub http_parse {
    my ($raw, $method) = @_;
    return undef unless defined $raw;
    my $buf = $raw;
    my $r = _read_response(\$buf, sub { 0 }, $method);
    $r->{raw} = $raw if $r;
    return $r;
}

# Sends each request on one connection, reading each response (by Content-Length/chunked)
# before the next one. A trailing hashref gives options (port, timeout, pipeline).
# Returns the list of parsed responses (undef for each one not received).
sub http_keepalive {
    my @reqs = @_;
    my %o = ref $reqs[-1] eq 'HASH' ? %{pop @reqs} : ();
    my $s = _connect(%o) or return map { undef } @reqs;
    my @out;
    my $buf = '';
    my $more = sub { _more($s, \$buf) };
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($o{timeout} // 10);
        if ($o{pipeline}) { _write_all($s, join '', @reqs) or die "write: $!\n" }
        for my $req (@reqs) {
            _write_all($s, $req) or die "write: $!\n" unless $o{pipeline};
            my ($method) = $req =~ /^(\S+)/;
            my $r = _read_response(\$buf, $more, $method);
            last unless $r;
            push @out, $r;
            last if $r->{incomplete};
        }
        alarm 0;
        1;
    } or do {
        alarm 0;
        Test::More::diag("http_keepalive: $@") unless $o{quiet};
    };
    close $s;
    push @out, undef while @out < @reqs;
    return @out;
}

# Full-duplex exchange over several TCP connections at once: sends each payload, half-closes,
# reads until EOF. Returns the received data per connection (undef if it failed to connect).
sub tcp_transfer {
    my ($port, @payloads) = @_;
    my %o = ref $payloads[-1] eq 'HASH' ? %{pop @payloads} : ();
    my (@socks, @recv, @off);
    for my $i (0 .. $#payloads) {
        $socks[$i] = _connect(port => $port);
        $recv[$i] = defined $socks[$i] ? '' : undef;
        $off[$i] = 0;
        $socks[$i]->blocking(0) if $socks[$i];
    }
    my %open_r = map { $_ => 1 } grep { $socks[$_] } 0 .. $#payloads;
    my %open_w = %open_r;
    my $deadline = time + ($o{timeout} // 30);
    while (%open_r && time < $deadline) {
        my $rs = IO::Select->new(map { $socks[$_] } keys %open_r);
        my $ws = IO::Select->new(map { $socks[$_] } keys %open_w);
        my ($r, $w) = IO::Select->select($rs, $ws, undef, 0.5);
        for my $i (keys %open_w) {
            next unless grep { $_ == $socks[$i] } @{$w || []};
            my $left = length($payloads[$i]) - $off[$i];
            my $n = $left ? syswrite($socks[$i], $payloads[$i], $left > 65536 ? 65536 : $left,
                $off[$i]) : 0;
            $off[$i] += $n if $n;
            if (!defined $n && $! != EAGAIN && $! != EINTR) { delete $open_w{$i}; next }
            if ($off[$i] >= length $payloads[$i]) {
                shutdown($socks[$i], SHUT_WR);
                delete $open_w{$i};
            }
        }
        for my $i (keys %open_r) {
            next unless grep { $_ == $socks[$i] } @{$r || []};
            my $n = sysread($socks[$i], $recv[$i], 65536, length $recv[$i]);
            next if !defined $n && ($! == EAGAIN || $! == EINTR);
            if (!$n) { delete $open_r{$i}; delete $open_w{$i} }
        }
    }
    Test::More::diag("tcp_transfer: timed out") if %open_r;
    close $_ for grep { defined } @socks;
    return @recv;
}

1;

###############################################################################
# Health-check helpers (t/check_*.t): scripted TCP targets, agents, stats readers, polling.
# Additions only: nothing above depends on them.
package Test::Portico;

# origin_script(PORT, phases => { NAME => [STEPS] }, phase => 'initial')
#
# A scripted TCP target for health checks (and anything else that needs a peer that talks
# a fixed dialogue). For each accepted connection it reads the current phase name from the
# file script_PORT.phase in the test directory (set it with script_phase; the initial one
# is 'phase', default 'up') and plays that phase's STEPS, a flat list of pairs run in order:
#   send    => BYTES     write BYTES
#   expect  => qr/RE/    read until the bytes received so far match RE (gives up, ending
#                        the connection, if the peer closes or after 10 s)
#   expect  => N         read until N bytes were received
#   read    => 1         read whatever comes within 0.2 s (or nothing)
#   garbage => N         write N bytes of junk ("\x00" .. "\xff" repeated), stopping quietly
#                        when the peer closes
#   sleep   => S         wait S seconds
#   hold    => S         keep the connection open, reading and discarding, until the peer
#                        closes (at most S seconds)
#   reset   => 1         close with an RST (SO_LINGER 0) and end
#   send_file => NAME    write the current content of file NAME (test directory)
# After the last step the connection is closed (FIN, then what the peer still sends is
# read for up to 1 s, so the close is not an RST). An empty list closes it at once.
# A phase given as the string 'refuse' closes the listening socket while it is current,
# so that connecting is refused (the listener comes back when the phase changes; the phase
# file is polled every 50 ms).
# Every accepted connection appends one JSON line {t, phase} to script_PORT.log (when
# accepted) and, when it ends, {t, phase, got, end} with up to 4 KiB of what was received;
# script_conns / script_received read them back.
sub origin_script {
    my ($self, $port, %opts) = @_;
    my $dir = $self->{tmp};
    my $log = "$dir/script_$port.log";
    my $phase_file = "$dir/script_$port.phase";
    open my $fh, '>>', $log or die "$log: $!";
    close $fh;
    $self->script_phase($port, $opts{phase} // 'up') unless -e $phase_file;
    my $phases = $opts{phases} || {};
    my $ls = _script_listen($port);
    my $err = "$dir/origins.err";
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        eval {
            _child_reset();
            $SIG{PIPE} = 'IGNORE';
            close $rd;
            close $_ for grep { $_ != $ls } @CHILD_CLOSE;
            close $wr; # the parent may bind the released ports now
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $err;
            open STDERR, '>>', $err;
            _script_loop($ls, $port, $dir, $phases);
        };
        print STDERR "origin_script:$port: $@" if $@;
        POSIX::_exit(0);
    }
    _child_closed($rd, $wr);
    close $ls;
    push @{$self->{procs}}, { pid => $pid, what => "origin_script:$port" };
    $self->{origins}{$port} = $pid;
    return $self;
}

# Listens on PORT, released from its reservation. A process forked a moment ago (another
# origin) may still hold the reserving socket, so "address in use" is retried for 2 s.
sub _script_listen {
    my ($port, $addr) = @_;
    _release($port);
    my $deadline = time + 2;
    while (1) {
        my $s = IO::Socket::IP->new(LocalHost => $addr // '127.0.0.1', LocalPort => $port,
            Listen => 128, ReuseAddr => 1, Proto => 'tcp');
        return $s if $s;
        die "origin on port $port: $@" unless $!{EADDRINUSE} && time < $deadline;
        sleep 0.02;
    }
}

# Sets the phase origin_script on PORT plays for the next connections.
sub script_phase {
    my ($self, $port, $name) = @_;
    my $f = "$self->{tmp}/script_$port.phase";
    open my $fh, '>', "$f.tmp" or die "$f: $!";
    print $fh $name;
    close $fh;
    rename "$f.tmp", $f or die "rename $f: $!";
    return $self;
}

sub _script_log {
    my ($log, $rec) = @_;
    open my $fh, '>>', $log or return;
    flock $fh, LOCK_EX;
    syswrite $fh, $JSON->encode($rec) . "\n";
    close $fh;
}

sub _script_phase_now {
    my ($file) = @_;
    open my $fh, '<', $file or return 'up';
    my $p = <$fh> // 'up';
    chomp $p;
    return $p;
}

sub _script_loop {
    my ($ls, $port, $dir, $phases) = @_;
    my %kids;
    $SIG{TERM} = sub {
        kill 'KILL', keys %kids;
        waitpid($_, 0) for keys %kids;
        POSIX::_exit(0);
    };
    my $log = "$dir/script_$port.log";
    my $phase_file = "$dir/script_$port.phase";
    my $sel;
    $sel = IO::Select->new($ls) if $ls;
    while (1) {
        while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k} }
        my $phase = _script_phase_now($phase_file);
        my $steps = $phases->{$phase};
        if (defined $steps && !ref $steps && $steps eq 'refuse') {
            if ($ls) { close $ls; undef $ls; undef $sel }
            sleep 0.05;
            next;
        }
        if (!$ls) {
            for (1 .. 100) {
                $ls = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $port,
                    Listen => 128, ReuseAddr => 1, Proto => 'tcp') and last;
                sleep 0.05;
            }
            die "origin_script: cannot listen again on $port: $@" unless $ls;
            $sel = IO::Select->new($ls);
        }
        next unless $sel->can_read(0.05);
        my $c = $ls->accept or next;
        $phase = _script_phase_now($phase_file);
        $steps = $phases->{$phase};
        $steps = [] if !ref $steps;
        _script_log($log, { t => time, phase => $phase });
        my $k = fork();
        if (!defined $k) { close $c; next }
        if ($k == 0) {
            $SIG{TERM} = 'DEFAULT';
            close $ls;
            my $got = '';
            eval { _script_conn($c, $dir, $steps, \$got) };
            print STDERR "origin_script connection: $@" if $@ && $@ ne "timeout\n";
            _script_log($log, { t => time, phase => $phase, end => 1,
                got => substr($got, 0, 4096) });
            POSIX::_exit(0);
        }
        $kids{$k} = 1;
        close $c;
    }
}

sub _script_conn {
    my ($c, $dir, $steps, $got) = @_;
    my $sel = IO::Select->new($c);
    my @s = @$steps;
    my $closed = 0;
    my $read_some = sub {       # one read within $wait s; false when closed or nothing came
        my ($wait) = @_;
        return 0 if $closed || !$sel->can_read($wait);
        my $n = sysread($c, $$got, 65536, length $$got);
        if (!defined $n) { return 1 if $! == EINTR; $closed = 1; return 0 }
        $closed = 1 if $n == 0;
        return $n;
    };
    while (my ($op, $arg) = splice @s, 0, 2) {
        if ($op eq 'send') {
            _write_all($c, $arg) or last;
        } elsif ($op eq 'send_file') {
            my $f = $arg =~ m{^/} ? $arg : "$dir/$arg";
            open my $fh, '<', $f or next;
            local $/;
            my $d = <$fh> // '';
            close $fh;
            _write_all($c, $d) or last;
        } elsif ($op eq 'expect') {
            my $deadline = time + 10;
            while (ref $arg ? $$got !~ $arg : length $$got < $arg) {
                last if $closed || time >= $deadline;
                $read_some->($deadline - time);
            }
        } elsif ($op eq 'read') {
            $read_some->(0.2);
        } elsif ($op eq 'garbage') {
            my $block = join('', map { chr } 0 .. 255) x 256;      # 64 KiB
            my $left = $arg;
            while ($left > 0) {
                my $n = syswrite($c, $block, $left < length $block ? $left : length $block);
                if (!defined $n) { next if $! == EINTR || $! == EAGAIN; last }
                $left -= $n;
            }
        } elsif ($op eq 'sleep') {
            sleep $arg;
        } elsif ($op eq 'hold') {
            my $deadline = time + $arg;
            while (!$closed && time < $deadline) { $read_some->($deadline - time) }
        } elsif ($op eq 'reset') {
            setsockopt($c, Socket::SOL_SOCKET(), Socket::SO_LINGER(), pack('ii', 1, 0));
            last;
        } else {
            die "origin_script: unknown step '$op'\n";
        }
    }
    if (!$closed && !grep { $_ eq 'reset' } @$steps) {
        # FIN, then drain briefly so that unread input does not turn the close into an RST
        shutdown($c, SHUT_WR);
        my $deadline = time + 1;
        while (!$closed && time < $deadline) { $read_some->($deadline - time) or last }
    }
    close $c;
}

# Connections accepted so far by origin_script on PORT: list of { t (epoch, fractional),
# phase }, in order.
sub script_conns {
    my ($self, $port) = @_;
    return grep { !$_->{end} } $self->_script_records($port);
}

sub _script_records {
    my ($self, $port) = @_;
    my @r;
    for my $line (split /\n/, $self->read_file("script_$port.log")) {
        my $rec = eval { $JSON->decode($line) } or next;     # a line being written
        push @r, $rec;
    }
    return @r;
}

# What each finished connection of origin_script on PORT received (first 4 KiB), in order.
sub script_received {
    my ($self, $port) = @_;
    return map { $_->{got} } grep { $_->{end} } $self->_script_records($port);
}

# origin_agent(PORT): an agent-check target. Each connection gets the current content of
# agent_PORT.txt (set with agent_say; initially "up") followed by "\n", then is closed;
# connections are counted like origin_script's (script_conns PORT).
sub origin_agent {
    my ($self, $port, %opts) = @_;
    $self->agent_say($port, $opts{say} // 'up');
    return $self->origin_script($port, phases => { up => [send_file => "agent_$port.txt"] });
}

# Sets the line the agent on PORT answers from its next connection on.
sub agent_say {
    my ($self, $port, $line) = @_;
    my $f = "$self->{tmp}/agent_$port.txt";
    open my $fh, '>', "$f.tmp" or die "$f: $!";
    print $fh "$line\n";
    close $fh;
    rename "$f.tmp", $f or die "rename $f: $!";
    return $self;
}

# show_stat(SOCKET_PATH [, ARGS]): "show stat" on the runtime API socket, as a hashref
# "proxy/service" => { column name => value } (the header's column names; e.g.
# $st->{'be/s1'}{status}, {check_status}, {chkfail}).
sub show_stat {
    my ($path, $args) = @_;
    my $csv = cli_send($path, 'show stat' . (defined $args ? " $args" : '') . "\n");
    my @lines = grep { length } split /\n/, $csv;
    my $hdr = shift @lines // return {};
    return {} unless $hdr =~ s/^# //;
    my @cols = split /,/, $hdr, -1;
    my %out;
    for my $l (@lines) {
        my @v = split /,/, $l, -1;
        my %row;
        @row{@cols} = @v;
        delete $row{''};
        $out{"$v[0]/$v[1]"} = \%row;
    }
    return \%out;
}

# servers_state(SOCKET_PATH [, BACKEND]): "show servers state" as a hashref
# "backend/server" => { header field => value } (be_name, srv_op_state, srv_check_status...).
sub servers_state {
    my ($path, $be) = @_;
    my $out = cli_send($path, 'show servers state' . (defined $be ? " $be" : '') . "\n");
    my @lines = split /\n/, $out;
    my ($hdr) = grep { /^# / } @lines or return {};
    $hdr =~ s/^# //;
    my @cols = split / /, $hdr;
    my %out;
    for my $l (grep { length && !/^#/ && !/^\d+$/ } @lines) {
        my %row;
        @row{@cols} = split / /, $l;
        $out{"$row{be_name}/$row{srv_name}"} = \%row;
    }
    return \%out;
}

# wait_until(TIMEOUT, CODE [, STEP]): calls CODE every STEP s (default 0.05) until it returns
# true or TIMEOUT seconds passed; returns CODE's last value.
sub wait_until {
    my ($timeout, $code, $step) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my $v = $code->();
        return $v if $v || time >= $deadline;
        sleep($step // 0.05);
    }
}

# $t->wait_log(RE [, TIMEOUT [, FROM]]): waits (bounded, default 10 s) until the proxy's
# stderr (since run, or since character offset FROM of errlog) matches RE; returns the first
# matching line (or the whole match when RE spans lines), undef on timeout.
sub wait_log {
    my ($self, $re, $timeout, $from) = @_;
    my $found;
    wait_until($timeout // 10, sub {
        my $log = substr($self->errlog, $from // 0);
        return 0 unless $log =~ $re;
        my ($s, $e) = ($-[0], $+[0]);
        my $ls = rindex($log, "\n", $s - 1) + 1;
        my $le = index($log, "\n", $e > $s ? $e - 1 : $e);
        $found = substr($log, $ls, ($le < 0 ? length $log : $le) - $ls);
        return 1;
    });
    return $found;
}

# $t->errlog_mark: the current length of errlog, to pass as FROM to wait_log later.
sub errlog_mark { length $_[0]->errlog }

push @EXPORT_OK, qw/ show_stat servers_state wait_until /;

# $t->spawn(NAME, ARGV...): runs a helper program (prometheus, an exporter...) in the
# background, its stdout and stderr in NAME.log of the test directory; returns its pid,
# which the end-of-test checks expect to be stopped with $t->stop_proc(PID).
sub spawn {
    my ($self, $name, @argv) = @_;
    my $log = "$self->{tmp}/$name.log";
    return $self->_spawn(\@argv, stdout => $log, same => 1, what => $name);
}

# $t->stop_proc(PID): SIGTERM, then SIGKILL after 5 s; returns the raw wait status.
sub stop_proc {
    my ($self, $pid) = @_;
    my $st = $self->_reap($pid, 0);
    for my $sig (qw/ TERM KILL /) {
        last if defined $st;
        kill $sig, $pid;
        $st = $self->_reap($pid, 5);
    }
    return $st;
}


# keepalive_load(port => P, uri => U, conc => N, ref => T0, dur => S [, tick => CODE]):
# drives <conc> keep-alive connections to <port> for <dur> seconds,
# each sending "GET <uri>" again as soon as its response is complete. Returns a list of
# [time since <ref>, body] per response. <tick>(elapsed) is called every ~0.5 s.
sub keepalive_load {
    my (%o) = @_;
    my ($port, $conc, $ref, $end) = ($o{port}, $o{conc} // 8, $o{ref}, $o{ref} + $o{dur});
    my $req = "GET $o{uri} HTTP/1.1\r\nHost: x\r\n\r\n";
    my (%buf, @out);
    my $sel = IO::Select->new;
    my $open = sub {
        my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port) or return;
        $s->blocking(0);
        syswrite($s, $req);
        $buf{fileno $s} = '';
        $sel->add($s);
    };
    $open->() for 1 .. $conc;
    my $next_tick = time;
    while (time < $end) {
        if ($o{tick} && time >= $next_tick) {
            $o{tick}->(time - $ref);
            $next_tick = time + 0.5;
        }
        for my $s ($sel->can_read(0.05)) {
            my $b = \$buf{fileno $s};
            my $n = sysread($s, $$b, 65536, length $$b);
            if (!$n) {
                $sel->remove($s);
                close $s;
                $open->();
                next;
            }
            while ($$b =~ /\A(.*?\r\n\r\n)/s) {
                my $head = $1;
                my ($len) = $head =~ /content-length:\s*(\d+)/i;
                $len //= 0;
                last if length($$b) < length($head) + $len;
                my $body = substr($$b, length($head), $len);
                substr($$b, 0, length($head) + $len, '');
                push @out, [time - $ref, $body];
                syswrite($s, $req) if time < $end;
            }
        }
    }
    $_->close for $sel->handles;
    return @out;
}

# response_shares(\@responses, NAME, BOUNDS...): the share of responses whose body is NAME
# in each bucket [lo, hi) of time (-1 for an empty bucket).
sub response_shares {
    my ($res, $name, @bounds) = @_;
    my @sh;
    for my $i (0 .. $#bounds - 1) {
        my @in = grep { $_->[0] >= $bounds[$i] && $_->[0] < $bounds[$i + 1] } @$res;
        my $n = grep { $_->[1] eq $name } @in;
        push @sh, @in ? $n / @in : -1;
    }
    return @sh;
}

1;

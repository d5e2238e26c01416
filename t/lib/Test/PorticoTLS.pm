package Test::PorticoTLS;
# SPDX-License-Identifier: MIT
# TLS helpers for the t/ssl_*.t tests: certificates generated at test time with openssl(1)
# (no private key is committed), and clients (IO::Socket::SSL, openssl s_client).

use warnings;
use strict;

use IO::Select;
use IO::Socket::SSL;
use Socket qw/ SHUT_WR /;
use Time::HiRes qw/ time /;
use Exporter qw/ import /;

our @EXPORT_OK = qw/ make_ca make_cert https_get tls_connect s_client /;

# Runs openssl with ARGS; dies with its output on failure.
sub _openssl {
    my (@args) = @_;
    my $out = qx{openssl @args 2>&1};
    die "openssl @args: $out" if $?;
    return $out;
}

# A CA in DIR: DIR/NAME.crt, DIR/NAME.key. Returns the certificate path.
sub make_ca {
    my ($dir, $name) = @_;
    _openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30",
        "-keyout $dir/$name.key -out $dir/$name.crt -subj /CN=$name -addext basicConstraints=critical,CA:TRUE");
    return "$dir/$name.crt";
}

# A certificate for CN (and SANS, arrayref of DNS names) in DIR/NAME.{crt,key,pem}, signed by
# CA (a make_ca name in DIR) or self-signed. Options: days, rsa => 1, client => 1,
# serial => hex, expired => 1 (self-signed, valid in January 2020 only). Returns the PEM path (certificate then key).
sub make_cert {
    my ($dir, $name, $cn, %o) = @_;
    my $days = $o{days} // 30;
    my $key = $o{rsa} ? '-newkey rsa:2048' : '-newkey ec -pkeyopt ec_paramgen_curve:P-256';
    my @sans = @{$o{sans} || []};
    my $ext = "$dir/$name.ext";
    open my $fh, '>', $ext or die "$ext: $!";
    print $fh "basicConstraints=CA:FALSE\n";
    print $fh "subjectAltName=" . join(',', map { "DNS:$_" } @sans) . "\n" if @sans;
    print $fh "extendedKeyUsage=" . ($o{client} ? 'clientAuth' : 'serverAuth') . "\n";
    close $fh;
    if ($o{expired}) {
        # valid in January 2020 only: "openssl ca" is the one 3.0 tool that sets dates
        my $cd = "$dir/$name.ca";
        mkdir $cd;
        open my $ix, '>', "$cd/index.txt" or die;
        close $ix;
        open my $sr, '>', "$cd/serial" or die;
        print $sr "01\n";
        close $sr;
        open my $cf, '>', "$cd/ca.cnf" or die;
        print $cf "[ca]\ndefault_ca = d\n[d]\ndir = $cd\ndatabase = $cd/index.txt\n"
            . "new_certs_dir = $cd\nserial = $cd/serial\ndefault_md = sha256\npolicy = p\n"
            . "[p]\ncommonName = supplied\n";
        close $cf;
        _openssl("req -new $key -nodes -keyout $dir/$name.key -out $dir/$name.csr -subj /CN=$cn");
        _openssl("ca -batch -config $cd/ca.cnf -selfsign -keyfile $dir/$name.key",
            "-in $dir/$name.csr -out $dir/$name.crt -startdate 20200101000000Z",
            "-enddate 20200201000000Z");
    } elsif ($o{ca}) {
        _openssl("req -new $key -nodes -keyout $dir/$name.key -out $dir/$name.csr -subj '/O=portico tests/CN=$cn'");
        _openssl("x509 -req -in $dir/$name.csr -CA $dir/$o{ca}.crt -CAkey $dir/$o{ca}.key",
            ($o{serial} ? "-set_serial 0x$o{serial}" : '-CAcreateserial'),
            "-days $days -extfile $ext -out $dir/$name.crt");
    } else {
        _openssl("req -x509 $key -nodes -days $days -keyout $dir/$name.key -out $dir/$name.crt",
            "-subj '/O=portico tests/CN=$cn' -addext basicConstraints=CA:FALSE",
            (@sans ? "-addext subjectAltName=" . join(',', map { "DNS:$_" } @sans) : ''));
    }
    open my $out, '>', "$dir/$name.pem" or die;
    for my $f ("$dir/$name.crt", "$dir/$name.key") {
        open my $in, '<', $f or die "$f: $!";
        local $/;
        my $txt = <$in>;
        print $out $txt;
    }
    close $out;
    return "$dir/$name.pem";
}

# A TLS connection to 127.0.0.1:PORT (IO::Socket::SSL), or undef with $@ set. Options: sni,
# alpn (arrayref), cert/key (client certificate), ca (verify the server against it, else no
# verification), session_cache (an IO::Socket::SSL::Session_Cache), version ('TLSv1_2'),
# cipher (the TLS 1.2 cipher list).
sub tls_connect {
    my ($port, %o) = @_;
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5,
        SSL_hostname => $o{sni} // '',
        ($o{ca} ? (SSL_verify_mode => SSL_VERIFY_PEER, SSL_ca_file => $o{ca},
            SSL_verifycn_name => $o{sni}, SSL_verifycn_scheme => 'http')
            : (SSL_verify_mode => SSL_VERIFY_NONE)),
        ($o{alpn} ? (SSL_alpn_protocols => $o{alpn}) : ()),
        ($o{cert} ? (SSL_cert_file => $o{cert}, SSL_key_file => $o{key} // $o{cert}) : ()),
        ($o{session_cache} ? (SSL_session_cache => $o{session_cache},
            SSL_session_key => 'k') : ()),
        ($o{version} ? (SSL_version => $o{version}) : ()),
        ($o{cipher} ? (SSL_cipher_list => $o{cipher}) : ()),
    );
    $@ = $IO::Socket::SSL::SSL_ERROR || $@ unless $s;
    return $s;
}

# GET PATH over TLS on PORT (Connection: close); returns (response text, socket info hash)
# or (undef, error). Options as tls_connect, plus host (Host header).
sub https_get {
    my ($port, $path, %o) = @_;
    my $s = tls_connect($port, %o) or return (undef, "$@");
    my %info = (cipher => $s->get_cipher, version => $s->get_sslversion,
        alpn => $s->alpn_selected, reused => $s->get_session_reused,
        subject => eval { $s->peer_certificate('subject') } // '');
    my $host = $o{host} // $o{sni} // 'localhost';
    print $s "GET $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    my $r = '';
    my $t0 = time;
    while (time - $t0 < 5) {
        my $n = sysread($s, my $d, 65536);
        last unless $n;
        $r .= $d;
    }
    close $s;
    return ($r, \%info);
}

# Runs "openssl s_client" against PORT with ARGS (list), sending INPUT; returns its output.
sub s_client {
    my ($port, $input, @args) = @_;
    my $in = "/tmp/portico-sclient-$$.in";
    open my $fh, '>', $in or die;
    print $fh $input // '';
    close $fh;
    my $out = qx{timeout 10 openssl s_client -connect 127.0.0.1:$port -ign_eof @args < $in 2>&1};
    unlink $in;
    return $out;
}

1;

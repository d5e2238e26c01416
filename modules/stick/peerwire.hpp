// SPDX-License-Identifier: MIT
// HAProxy's peers protocol (2.1) wire encoding: its variable-length integers and the
// message header, written from the protocol's description (doc/peers-v2.0.txt) and
// checked against HAProxy 2.6 (t/stick_peers_haproxy.t). Pure code, unit-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

namespace stick::peerwire {

// Message classes and types.
constexpr uint8_t CLASS_CONTROL = 0, CLASS_ERROR = 1, CLASS_STKT = 10;
constexpr uint8_t CTRL_RESYNCREQ = 0, CTRL_RESYNCFINISHED = 1, CTRL_RESYNCPARTIAL = 2,
                  CTRL_RESYNCCONFIRM = 3, CTRL_HEARTBEAT = 4;
constexpr uint8_t STKT_UPDATE = 0x80, STKT_INCUPDATE = 0x81, STKT_DEFINE = 0x82,
                  STKT_SWITCH = 0x83, STKT_ACK = 0x84, STKT_UPDATE_TIMED = 0x85,
                  STKT_INCUPDATE_TIMED = 0x86;
// Key types on the wire.
constexpr uint32_t KT_SINT = 2, KT_IPV4 = 4, KT_IPV6 = 5, KT_STR = 6, KT_BIN = 7;

// Appends <v> in the protocol's variable-length format (1 to 10 bytes).
void put_varint(std::string& out, uint64_t v);
// Decodes one; advances *p. False (and *p unchanged) when [*p, end) ends too early.
bool get_varint(const unsigned char** p, const unsigned char* end, uint64_t* v);

void put_u32(std::string& out, uint32_t v); // network order
bool get_u32(const unsigned char** p, const unsigned char* end, uint32_t* v);

// A whole message: the 2-byte header, and for stick-table messages (type bit 7 set) the
// varint length and the payload.
std::string message(uint8_t cls, uint8_t type, const std::string& payload = std::string());

// Splits the first complete message off [p, end): 1 with *cls, *type, the payload and
// *used set; 0 when more bytes are needed; -1 when malformed (a length over <max>).
int next_message(const unsigned char* p, const unsigned char* end, size_t max, uint8_t* cls,
                 uint8_t* type, const unsigned char** payload, size_t* len, size_t* used);

// Expands "$NAME" and "${NAME}" as HAProxy does in addresses (an unset one gives nothing).
std::string env_expand(std::string_view in);

// A peer's address: "<ip>:<port>", "[<ipv6>]:<port>", "*:<port>", ":<port>", with an
// optional "ipv4@" or "ipv6@" prefix, environment variables expanded first; the port 1 to
// 65535. With <port_optional> (a remote peer, as HAProxy accepts it) the port may be
// missing or 0 (such a peer is never reached). False when malformed.
bool parse_addr(std::string_view a, struct sockaddr_storage* ss, socklen_t* len, bool port_optional = false);

// The hello a connecting peer sends: "HAProxyS <maj>.<min>\n<our name>\n<its name> <pid>
// <relative pid>\n".
struct hello {
    int status;            // 0: usable; 501: not the protocol, 502: a version other
                           // than 2.0 or 2.1
    std::string_view host; // the name it gives us (to compare with the local peer's)
    std::string_view peer; // its own name
    bool bad_last;         // the third line has no pid (HAProxy answers 501 once the
                           // host name matched)
};
// Parses the hello at the start of [p, p + n): 1 with *h and *used (the three lines) set,
// 0 when more bytes are needed, -1 when it is too long (its three lines over 1024 bytes, or
// over 1024 bytes read without them).
int parse_hello(const char* p, size_t n, hello* h, size_t* used);

// The words of a peers section's "log" line (words[0] is "log"), checked as HAProxy 2.6
// checks a log line: "" when valid, else HAProxy's message ("log : unknown log facility
// 'x'").
std::string log_line_error(const std::vector<std::string_view>& words);

// HAProxy's human_time() of <ms> milliseconds: at most two units ("1d2h", "3m4s", "0s").
std::string human_ms(uint64_t ms);

} // namespace stick::peerwire

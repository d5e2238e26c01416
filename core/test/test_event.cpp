// SPDX-License-Identifier: MIT
// Unit tests of the event-loop backends (io_uring, emulated multishot, epoll).
#define BOOST_TEST_MODULE event
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "event/poller.hpp"

using namespace portico::event;
namespace bdata = boost::unit_test::data;

// Named (not anonymous) so that test-case templates may capture these types.
namespace event_test {

int g_depth = 0;          // callbacks currently running
int g_nested = 0;         // callbacks that ran inside another one

struct rec : completion {
    std::vector<std::pair<int, uint32_t>> got;
    std::function<void(rec*, int, uint32_t)> then; // optional follow-up inside the callback
    rec() { fn = on_done; }
    static void on_done(completion* c, int res, uint32_t flags)
    {
        if (g_depth)
            ++g_nested;
        ++g_depth;
        auto* r = static_cast<rec*>(c);
        r->got.emplace_back(res, flags);
        if (r->then)
            r->then(r, res, flags);
        --g_depth;
    }
};

const char* const kinds[] = {"epoll", "uring", "uring-emu"};

std::unique_ptr<poller> make(const std::string& kind)
{
    std::string why;
    std::unique_ptr<poller> p;
    if (kind == "epoll") {
        p = make_poller(64, true, &why);
        BOOST_REQUIRE(p);
        BOOST_TEST(std::string(p->name()) == "epoll");
        BOOST_TEST(!why.empty());
    } else {
        if (kind == "uring-emu")
            setenv("PORTICO_URING_EMULATE_MULTISHOT", "1", 1);
        p = make_uring_poller(256, &why);
        unsetenv("PORTICO_URING_EMULATE_MULTISHOT");
        if (!p)
            BOOST_TEST_MESSAGE("io_uring unavailable, skipping: " << why);
        else
            BOOST_TEST(std::string(p->name()) == "io_uring");
    }
    g_nested = 0;
    return p;
}

// Run the loop until <pred> holds or <ms> elapse; returns pred().
bool run_until(poller& p, const std::function<bool()>& pred, int ms = 3000)
{
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!pred() && std::chrono::steady_clock::now() < end) {
        int r = p.run_once(20);
        BOOST_REQUIRE(r >= 0);
    }
    return pred();
}

void spin(poller& p, int turns, int timeout_ms = 0)
{
    for (int i = 0; i < turns; ++i)
        BOOST_REQUIRE(p.run_once(timeout_ms) >= 0);
}

sockaddr_in loopback(uint16_t port)
{
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

int listener(uint16_t* port, bool nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    BOOST_REQUIRE(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa = loopback(0);
    BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    BOOST_REQUIRE(listen(fd, 64) == 0);
    socklen_t l = sizeof(sa);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

int blocking_client(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in sa = loopback(port);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    return fd;
}

// A connected TCP pair: client end blocking, server end non-blocking.
std::pair<int, int> tcp_pair()
{
    uint16_t port;
    int lfd = listener(&port, false);
    int cfd = blocking_client(port);
    int sfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    BOOST_REQUIRE(sfd >= 0);
    ::close(lfd);
    return {cfd, sfd};
}

} // namespace event_test

using namespace event_test;

BOOST_DATA_TEST_CASE(accept_multishot, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    uint16_t port;
    int lfd = listener(&port, true);
    rec acc;
    p->accept_multishot(lfd, &acc);
    BOOST_TEST(acc.busy == 1);
    std::vector<int> clients;
    for (int i = 0; i < 3; ++i)
        clients.push_back(blocking_client(port));
    BOOST_TEST(acc.got.empty());
    BOOST_TEST(run_until(*p, [&] { return acc.got.size() >= 3; }));
    BOOST_TEST(acc.got.size() == 3u);
    for (auto [res, flags] : acc.got) {
        BOOST_TEST(res >= 0);
        BOOST_TEST(flags == CF_MORE);
        BOOST_TEST((fcntl(res, F_GETFL) & O_NONBLOCK) != 0);
        BOOST_TEST((fcntl(res, F_GETFD) & FD_CLOEXEC) != 0);
        ::close(res);
    }
    BOOST_TEST(acc.busy == 1);

    p->cancel(&acc);
    BOOST_TEST(acc.got.size() == 3u);
    BOOST_TEST(run_until(*p, [&] { return acc.got.size() > 3; }));
    BOOST_TEST(acc.got.back().first == -ECANCELED);
    BOOST_TEST(acc.got.back().second == 0u);
    BOOST_TEST(acc.busy == 0);

    // Re-arm after the final completion; it keeps working.
    acc.got.clear();
    p->accept_multishot(lfd, &acc);
    spin(*p, 2);
    clients.push_back(blocking_client(port));
    clients.push_back(blocking_client(port));
    BOOST_TEST(run_until(*p, [&] { return acc.got.size() >= 2; }));
    for (auto [res, flags] : acc.got) {
        BOOST_TEST(res >= 0);
        BOOST_TEST(flags == CF_MORE);
        ::close(res);
    }
    acc.got.clear();
    p->cancel(&acc);
    BOOST_TEST(run_until(*p, [&] { return !acc.got.empty(); }));
    BOOST_TEST(acc.got.size() == 1u);
    BOOST_TEST(acc.got[0].first == -ECANCELED);
    spin(*p, 3, 10);
    BOOST_TEST(acc.got.size() == 1u);
    for (int c : clients)
        ::close(c);
    p->forget_fd(lfd);
    ::close(lfd);
    BOOST_TEST(g_nested == 0);
}

BOOST_DATA_TEST_CASE(echo_round_trip, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    auto [cfd, sfd] = tcp_pair();
    char buf[64];
    rec r, w;
    p->recv(sfd, buf, sizeof(buf), &r);
    spin(*p, 3);
    BOOST_TEST(r.got.empty());
    BOOST_TEST(r.busy == 1);

    // A send on the same fd while the recv is pending.
    p->send(sfd, "world!", 6, &w);
    BOOST_TEST(run_until(*p, [&] { return !w.got.empty(); }));
    BOOST_TEST(w.got[0].first == 6);
    BOOST_TEST(w.busy == 0);
    char in[16] = {};
    BOOST_TEST(::read(cfd, in, sizeof(in)) == 6);
    BOOST_TEST(std::string(in, 6) == "world!");
    BOOST_TEST(r.got.empty());

    BOOST_TEST(::write(cfd, "hello", 5) == 5);
    BOOST_TEST(run_until(*p, [&] { return !r.got.empty(); }));
    BOOST_TEST(r.got.size() == 1u);
    BOOST_TEST(r.got[0].first == 5);
    BOOST_TEST(r.got[0].second == 0u);
    BOOST_TEST(r.busy == 0);
    BOOST_TEST(std::string(buf, 5) == "hello");

    // Echo it back through the poller.
    p->send(sfd, buf, 5, &w);
    BOOST_TEST(run_until(*p, [&] { return w.got.size() == 2; }));
    BOOST_TEST(w.got[1].first == 5);
    BOOST_TEST(::read(cfd, in, sizeof(in)) == 5);
    BOOST_TEST(std::string(in, 5) == "hello");

    // A second recv after data already arrived (the fd may be known drained).
    BOOST_TEST(::write(cfd, "again", 5) == 5);
    spin(*p, 2, 10);
    p->recv(sfd, buf, sizeof(buf), &r);
    BOOST_TEST(run_until(*p, [&] { return r.got.size() == 2; }));
    BOOST_TEST(r.got[1].first == 5);
    p->forget_fd(sfd);
    ::close(sfd);
    ::close(cfd);
    BOOST_TEST(g_nested == 0);
}

BOOST_DATA_TEST_CASE(recv_eof, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    auto [cfd, sfd] = tcp_pair();
    char buf[64];
    rec r;
    p->recv(sfd, buf, sizeof(buf), &r);
    spin(*p, 2);
    BOOST_TEST(r.got.empty());
    shutdown(cfd, SHUT_WR);
    BOOST_TEST(run_until(*p, [&] { return !r.got.empty(); }));
    BOOST_TEST(r.got[0].first == 0);
    // EOF is sticky: another recv reports it again.
    p->recv(sfd, buf, sizeof(buf), &r);
    BOOST_TEST(run_until(*p, [&] { return r.got.size() == 2; }));
    BOOST_TEST(r.got[1].first == 0);
    p->forget_fd(sfd);
    ::close(sfd);
    ::close(cfd);
}

BOOST_DATA_TEST_CASE(connect_ok, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    uint16_t port;
    int lfd = listener(&port, false);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    rec c;
    {
        sockaddr_in sa = loopback(port);
        p->connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), &c);
        std::memset(&sa, 0xff, sizeof(sa)); // the address need only live during the call
    }
    BOOST_TEST(c.got.empty());
    BOOST_TEST(run_until(*p, [&] { return !c.got.empty(); }));
    BOOST_TEST(c.got[0].first == 0);
    BOOST_TEST(c.busy == 0);
    int sfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    BOOST_TEST(sfd >= 0);

    // The connected socket is usable through the poller.
    rec w;
    p->send(fd, "ping", 4, &w);
    BOOST_TEST(run_until(*p, [&] { return !w.got.empty(); }));
    BOOST_TEST(w.got[0].first == 4);
    char in[8];
    BOOST_TEST(::read(sfd, in, sizeof(in)) == 4);
    p->forget_fd(fd);
    ::close(fd);
    ::close(sfd);
    ::close(lfd);
}

BOOST_DATA_TEST_CASE(connect_refused, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    // A port that was just free and has no listener.
    int tmp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa = loopback(0);
    BOOST_REQUIRE(bind(tmp, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    socklen_t l = sizeof(sa);
    getsockname(tmp, reinterpret_cast<sockaddr*>(&sa), &l);
    ::close(tmp);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    rec c;
    p->connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), &c);
    BOOST_TEST(c.got.empty());
    BOOST_TEST(run_until(*p, [&] { return !c.got.empty(); }));
    BOOST_TEST(c.got.size() == 1u);
    BOOST_TEST(c.got[0].first == -ECONNREFUSED);
    spin(*p, 3, 10);
    BOOST_TEST(c.got.size() == 1u);
    p->forget_fd(fd);
    ::close(fd);
}

BOOST_DATA_TEST_CASE(cancel_pending_recv, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    auto [cfd, sfd] = tcp_pair();
    char buf[64];
    rec r;
    p->cancel(&r); // nothing in flight: no-op
    p->recv(sfd, buf, sizeof(buf), &r);
    spin(*p, 3);
    BOOST_TEST(r.got.empty());
    p->cancel(&r);
    BOOST_TEST(r.got.empty()); // never synchronous
    BOOST_TEST(run_until(*p, [&] { return !r.got.empty(); }));
    spin(*p, 5, 10);
    BOOST_TEST(r.got.size() == 1u);
    BOOST_TEST(r.got[0].first == -ECANCELED);
    BOOST_TEST(r.busy == 0);
    p->cancel(&r);
    spin(*p, 3, 10);
    BOOST_TEST(r.got.size() == 1u);

    // Data sent after the cancel is still there for the next recv.
    BOOST_TEST(::write(cfd, "abc", 3) == 3);
    p->recv(sfd, buf, sizeof(buf), &r);
    BOOST_TEST(run_until(*p, [&] { return r.got.size() == 2; }));
    BOOST_TEST(r.got[1].first == 3);
    p->forget_fd(sfd);
    ::close(sfd);
    ::close(cfd);
}

BOOST_DATA_TEST_CASE(no_synchronous_callbacks, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    auto [c1, s1] = tcp_pair();
    auto [c2, s2] = tcp_pair();
    BOOST_TEST(::write(c1, "one", 3) == 3);
    BOOST_TEST(::write(c2, "two", 3) == 3);
    spin(*p, 1, 10);
    char b1[8], b2[8];
    rec r1, r2, w;
    // r1's callback submits r2 whose data is already there, and a send that can complete
    // at once: neither may run inside r1's callback.
    r1.then = [&](rec*, int, uint32_t) {
        p->recv(s2, b2, sizeof(b2), &r2);
        p->send(s1, "x", 1, &w);
        BOOST_TEST(r2.got.empty());
        BOOST_TEST(w.got.empty());
    };
    p->recv(s1, b1, sizeof(b1), &r1);
    BOOST_TEST(r1.got.empty());
    BOOST_TEST(run_until(*p, [&] { return r2.got.size() == 1 && w.got.size() == 1; }));
    BOOST_TEST(r1.got.size() == 1u);
    BOOST_TEST(r1.got[0].first == 3);
    BOOST_TEST(r2.got[0].first == 3);
    BOOST_TEST(w.got[0].first == 1);
    BOOST_TEST(g_nested == 0);
    for (int fd : {s1, s2})
        p->forget_fd(fd);
    for (int fd : {c1, s1, c2, s2})
        ::close(fd);
}

BOOST_DATA_TEST_CASE(poll_in_eventfd, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    rec r;
    p->poll_in(efd, &r);
    spin(*p, 3);
    BOOST_TEST(r.got.empty());
    uint64_t one = 1;
    BOOST_TEST(::write(efd, &one, 8) == 8);
    BOOST_TEST(r.got.empty());
    BOOST_TEST(run_until(*p, [&] { return !r.got.empty(); }));
    BOOST_TEST((r.got[0].first & POLLIN) != 0);
    uint64_t v;
    BOOST_TEST(::read(efd, &v, 8) == 8);
    // Re-armed after draining: waits for the next write.
    p->poll_in(efd, &r);
    spin(*p, 3, 5);
    BOOST_TEST(r.got.size() == 1u);
    BOOST_TEST(::write(efd, &one, 8) == 8);
    BOOST_TEST(run_until(*p, [&] { return r.got.size() == 2; }));
    p->forget_fd(efd);
    ::close(efd);
}

// Both ends driven by the poller: partial sends, EAGAIN and write readiness.
BOOST_DATA_TEST_CASE(bulk_transfer, bdata::make(kinds), kind)
{
    auto p = make(kind);
    if (!p)
        return;
    auto [a, b] = tcp_pair();
    fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
    int small = 16384;
    setsockopt(a, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    const size_t total = 4u << 20;
    std::vector<unsigned char> out(64 * 1024), in(3000);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<unsigned char>(i * 7);
    size_t sent = 0, received = 0;
    bool bad = false, eof = false;
    rec w, r;
    w.then = [&](rec*, int res, uint32_t) {
        if (res <= 0) {
            bad = true;
            return;
        }
        sent += size_t(res);
        if (sent < total) {
            size_t off = sent % out.size();
            size_t n = std::min(out.size() - off, total - sent);
            p->send(a, out.data() + off, n, &w);
        } else {
            shutdown(a, SHUT_WR);
        }
    };
    r.then = [&](rec*, int res, uint32_t) {
        if (res < 0) {
            bad = true;
            return;
        }
        if (res == 0) {
            eof = true;
            return;
        }
        for (int i = 0; i < res; ++i)
            if (in[size_t(i)] != static_cast<unsigned char>((received + size_t(i)) * 7))
                bad = true;
        received += size_t(res);
        p->recv(b, in.data(), in.size(), &r);
    };
    p->send(a, out.data(), out.size(), &w);
    p->recv(b, in.data(), in.size(), &r);
    BOOST_TEST(run_until(*p, [&] { return eof || bad; }, 20000));
    BOOST_TEST(!bad);
    BOOST_TEST(sent == total);
    BOOST_TEST(received == total);
    BOOST_TEST(w.got.size() > 1u); // partial sends happened
    p->forget_fd(a);
    p->forget_fd(b);
    ::close(a);
    ::close(b);
}

BOOST_AUTO_TEST_CASE(epoll_forget_fd_cancels)
{
    auto p = make("epoll");
    auto [cfd, sfd] = tcp_pair();
    char buf[16];
    rec r;
    p->recv(sfd, buf, sizeof(buf), &r);
    spin(*p, 2);
    p->forget_fd(sfd);
    BOOST_TEST(r.got.empty());
    ::close(sfd);
    ::close(cfd);
    BOOST_TEST(run_until(*p, [&] { return !r.got.empty(); }));
    BOOST_TEST(r.got[0].first == -ECANCELED);

    // The fd number is likely reused at once; its fresh state must work.
    auto [c2, s2] = tcp_pair();
    p->recv(s2, buf, sizeof(buf), &r);
    BOOST_TEST(::write(c2, "zz", 2) == 2);
    BOOST_TEST(run_until(*p, [&] { return r.got.size() == 2; }));
    BOOST_TEST(r.got[1].first == 2);
    p->forget_fd(s2);
    ::close(s2);
    ::close(c2);
}

BOOST_AUTO_TEST_CASE(selection)
{
    std::string why;
    auto p = make_poller(64, true, &why);
    BOOST_REQUIRE(p);
    BOOST_TEST(std::string(p->name()) == "epoll");
    BOOST_TEST(why.find("forced") != std::string::npos);

    setenv("PORTICO_POLLER", "epoll", 1);
    p = make_poller(64, false, &why);
    unsetenv("PORTICO_POLLER");
    BOOST_TEST(std::string(p->name()) == "epoll");
    BOOST_TEST(why.find("PORTICO_POLLER") != std::string::npos);

    p = make_poller(64, false, &why);
    BOOST_REQUIRE(p);
    BOOST_TEST_MESSAGE("default poller: " << p->name() << (why.empty() ? "" : " (") << why
                                          << (why.empty() ? "" : ")"));
    if (std::string(p->name()) == "io_uring")
        BOOST_TEST(why.empty());
    else
        BOOST_TEST(!why.empty());
}

BOOST_AUTO_TEST_CASE(run_once_timeout)
{
    for (const char* kind : kinds) {
        auto p = make(kind);
        if (!p)
            continue;
        // A wait may end early on EINTR (io_uring task work of a ring torn down just
        // before can interrupt the next blocking call), but never return completions.
        auto t0 = std::chrono::steady_clock::now();
        long ms = 0;
        for (int i = 0; i < 5 && ms < 40; ++i) {
            BOOST_TEST(p->run_once(50) == 0);
            ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
        }
        BOOST_TEST_CONTEXT(kind) BOOST_TEST(ms >= 40);
        BOOST_TEST(ms < 1000);
        BOOST_TEST(p->run_once(0) == 0);
    }
}

// More ops than SQ and CQ entries: exercises the SQ-full flush and CQ overflow paths.
BOOST_AUTO_TEST_CASE(many_ops_small_ring)
{
    for (const char* kind : kinds) {
        BOOST_TEST_CONTEXT(kind)
        {
            std::string why;
            std::unique_ptr<poller> p;
            if (std::string(kind) == "epoll") {
                p = make_epoll_poller(&why);
            } else {
                if (std::string(kind) == "uring-emu")
                    setenv("PORTICO_URING_EMULATE_MULTISHOT", "1", 1);
                p = make_uring_poller(8, &why); // SQ 8, CQ 32
                unsetenv("PORTICO_URING_EMULATE_MULTISHOT");
            }
            if (!p)
                continue;
            constexpr int n = 100;
            std::vector<std::pair<int, int>> pairs;
            std::vector<rec> rs(n);
            std::vector<char> bufs(n * 8);
            for (int i = 0; i < n; ++i) {
                int sv[2];
                BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
                pairs.emplace_back(sv[0], sv[1]);
                p->recv(sv[1], &bufs[size_t(i) * 8], 8, &rs[size_t(i)]);
            }
            spin(*p, 2);
            // Half get data, half get cancelled, all in one turn.
            for (int i = 0; i < n; ++i) {
                if (i % 2)
                    p->cancel(&rs[size_t(i)]);
                else
                    BOOST_REQUIRE(::write(pairs[size_t(i)].first, "d", 1) == 1);
            }
            auto done = [&] {
                for (auto& r : rs)
                    if (r.got.empty())
                        return false;
                return true;
            };
            BOOST_TEST(run_until(*p, done));
            spin(*p, 3, 5);
            int data = 0, cancelled = 0;
            for (int i = 0; i < n; ++i) {
                BOOST_TEST(rs[size_t(i)].got.size() == 1u);
                if (rs[size_t(i)].got[0].first == 1)
                    ++data;
                else if (rs[size_t(i)].got[0].first == -ECANCELED)
                    ++cancelled;
            }
            BOOST_TEST(data == n / 2);
            BOOST_TEST(cancelled == n / 2);
            for (auto [a, b] : pairs) {
                p->forget_fd(b);
                ::close(a);
                ::close(b);
            }
        }
    }
}

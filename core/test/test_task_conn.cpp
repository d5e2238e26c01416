// SPDX-License-Identifier: MIT
// Unit tests of module tasks and outgoing connections (ABI 1.3, task.h) through the host
// table, on a minimal worker engine (poller + timer wheel) driven like worker_run() does,
// with both pollers.
#define BOOST_TEST_MODULE task_conn
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "event/clock.hpp"
#include "module/module.hpp"
#include "stream/stream.hpp"
#include "stream/task.hpp"

using namespace portico;
namespace bdata = boost::unit_test::data;

namespace task_conn_test {

const char* const kinds[] = {"epoll", "uring"};

// A worker with just what tasks and connections need.
struct engine {
    std::unique_ptr<worker> w;
    explicit engine(const std::string& kind)
    {
        std::string why;
        auto p = kind == "epoll" ? event::make_poller(64, true, &why)
                                 : event::make_uring_poller(256, &why);
        if (!p) {
            BOOST_TEST_MESSAGE(kind << " unavailable, skipping: " << why);
            return;
        }
        w = std::make_unique<worker>();
        w->poller = std::move(p);
        event::update_clock();
        w->timers = std::make_unique<event::timer_wheel>(event::now_ms());
        w->slot = 0;
        g_worker = w.get();
    }
    ~engine()
    {
        if (!w)
            return;
        // let cancelled operations complete so that closed connections are freed
        run_for(50);
        if (w->tsched) {
            BOOST_TEST(w->tsched->nconns == 0u);
            BOOST_TEST(w->tsched->ntasks == 0u);
        }
        delete w->tsched;
        g_worker = nullptr;
    }
    explicit operator bool() const { return w != nullptr; }

    // One loop turn as worker_run() does it (the wait capped at <max_wait> ms).
    void turn(int max_wait = 20)
    {
        int tmo = tasks_pending(w.get()) ? 0 : w->timers->next_timeout_ms(event::now_ms());
        if (tmo < 0 || tmo > max_wait)
            tmo = max_wait;
        BOOST_REQUIRE(w->poller->run_once(tmo) >= 0);
        event::update_clock();
        w->timers->run(event::now_ms());
        tasks_run(w.get());
    }
    bool run_until(const std::function<bool()>& pred, int ms = 3000)
    {
        uint64_t end = event::monotonic_ms() + (uint64_t)ms;
        while (!pred() && event::monotonic_ms() < end)
            turn();
        return pred();
    }
    void run_for(int ms)
    {
        uint64_t end = event::monotonic_ms() + (uint64_t)ms;
        while (event::monotonic_ms() < end)
            turn();
    }
};

const ptc_host* H() { return &g_host; }

// ---- tasks --------------------------------------------------------------------------------

struct tctx {
    int runs = 0;
    std::vector<uint64_t> at;          // now_ms() of each run
    std::function<uint64_t(ptc_task*, tctx*)> then; // return value
};

uint64_t task_cb(ptc_task* t, void* p)
{
    auto* c = static_cast<tctx*>(p);
    c->runs++;
    c->at.push_back(event::now_ms());
    return c->then ? c->then(t, c) : 0;
}

BOOST_DATA_TEST_CASE(task_timed_reschedules_by_return_value, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    tctx c;
    c.then = [](ptc_task*, tctx* c) -> uint64_t {
        return c->runs == 1 ? event::now_ms() + 50 : 0; // once more, then sleep
    };
    ptc_task* t = H()->task_new(nullptr, task_cb, &c);
    BOOST_REQUIRE(t);
    uint64_t start = event::now_ms();
    H()->task_schedule(t, start + 50);
    e.turn(0);
    BOOST_TEST(c.runs == 0);
    BOOST_TEST(e.run_until([&] { return c.runs >= 1; }));
    BOOST_TEST(c.at[0] >= start + 50);
    BOOST_TEST(e.run_until([&] { return c.runs >= 2; }));
    BOOST_TEST(c.at[1] >= c.at[0] + 50);
    e.run_for(200);
    BOOST_TEST(c.runs == 2); // returned 0: sleeps
    H()->task_free(t);
}

BOOST_DATA_TEST_CASE(task_schedule_now_runs_next_turn, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    tctx c;
    ptc_task* t = H()->task_new(nullptr, task_cb, &c);
    H()->task_schedule(t, 0);
    BOOST_TEST(c.runs == 0); // never from inside the host call
    BOOST_TEST(tasks_pending(g_worker));
    e.turn(1000);
    BOOST_TEST(c.runs == 1);
    // a task that asks for a past time runs again on the next turn, not in this one
    c.then = [](ptc_task*, tctx* c) -> uint64_t { return c->runs < 3 ? 1 : 0; };
    H()->task_schedule(t, 1);
    e.turn(1000);
    BOOST_TEST(c.runs == 2);
    e.turn(1000);
    BOOST_TEST(c.runs == 3);
    e.turn(0);
    BOOST_TEST(c.runs == 3);
    // task_schedule() from the callback stands when it returns 0
    c.then = [](ptc_task* t, tctx* c) -> uint64_t {
        if (c->runs == 4)
            H()->task_schedule(t, 0);
        return 0;
    };
    H()->task_schedule(t, 0);
    e.turn(1000);
    e.turn(1000);
    BOOST_TEST(c.runs == 5);
    H()->task_free(t);
}

BOOST_DATA_TEST_CASE(task_free_cancels, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    tctx a, b, self;
    ptc_task* ta = H()->task_new(nullptr, task_cb, &a);
    ptc_task* tb = H()->task_new(nullptr, task_cb, &b);
    H()->task_schedule(ta, event::now_ms() + 30);
    H()->task_schedule(tb, 0);
    H()->task_free(ta);
    H()->task_free(tb);
    // freed from its own callback: no further run whatever it returns
    self.then = [](ptc_task* t, tctx*) -> uint64_t {
        H()->task_free(t);
        return 1;
    };
    ptc_task* ts = H()->task_new(nullptr, task_cb, &self);
    H()->task_schedule(ts, 0);
    e.run_for(100);
    BOOST_TEST(a.runs == 0);
    BOOST_TEST(b.runs == 0);
    BOOST_TEST(self.runs == 1);
    BOOST_TEST(g_worker->tsched->ntasks == 0u);
}

// ---- connections --------------------------------------------------------------------------

sockaddr_in loopback(uint16_t port)
{
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

int listener(uint16_t* port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa = loopback(0);
    BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    BOOST_REQUIRE(listen(fd, 16) == 0);
    socklen_t l = sizeof(sa);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &l);
    *port = ntohs(sa.sin_port);
    return fd;
}

struct cctx {
    std::vector<uint32_t> ev;   // events of each call
    uint32_t all = 0;
    std::string got;
    bool eof = false;
    int err = 0;
    bool closed = false;
    std::function<void(ptc_conn*, cctx*, uint32_t)> then;
};

void conn_cb(ptc_conn* c, void* p, uint32_t events)
{
    auto* x = static_cast<cctx*>(p);
    BOOST_REQUIRE(!x->closed); // no callback after conn_close
    x->ev.push_back(events);
    x->all |= events;
    if (events & PTC_CEV_DATA) {
        ptc_str in;
        uint32_t f = H()->conn_data(c, &in);
        x->got.append(in.ptr, in.len);
        H()->conn_consume(c, in.len);
        if (f & PTC_CONN_EOF)
            x->eof = true;
    }
    if (events & PTC_CEV_ERROR)
        x->err = H()->conn_error(c);
    if (x->then)
        x->then(c, x, events);
}

BOOST_DATA_TEST_CASE(conn_echo_and_eof, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    uint16_t port;
    int lfd = listener(&port);
    // the peer: accepts, echoes what it reads until "ping" is complete, then closes
    std::thread peer([lfd] {
        int fd = accept(lfd, nullptr, nullptr);
        if (fd < 0)
            return;
        std::string buf;
        char b[64];
        while (buf.size() < 4) {
            ssize_t n = read(fd, b, sizeof(b));
            if (n <= 0)
                break;
            buf.append(b, (size_t)n);
        }
        if (write(fd, buf.data(), buf.size()) < 0)
            buf.clear();
        close(fd);
    });
    cctx x;
    x.then = [](ptc_conn* c, cctx* x, uint32_t ev) {
        if (ev & PTC_CEV_CONNECTED)
            BOOST_TEST(H()->conn_send(c, "ping", 4) == 4u);
        if (x->eof) {
            H()->conn_close(c); // from inside the callback
            x->closed = true;
        }
    };
    sockaddr_in sa = loopback(port);
    ptc_conn* c = H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr,
                                0, conn_cb, &x);
    BOOST_REQUIRE(c);
    BOOST_TEST(x.ev.empty()); // never from inside conn_new
    BOOST_TEST(e.run_until([&] { return x.closed; }));
    peer.join();
    close(lfd);
    BOOST_TEST(!x.ev.empty());
    BOOST_TEST(x.ev.front() == PTC_CEV_CONNECTED);
    BOOST_TEST((x.all & PTC_CEV_SENT) != 0u);
    BOOST_TEST((x.all & PTC_CEV_ERROR) == 0u);
    BOOST_TEST(x.got == "ping");
    BOOST_TEST(x.eof);
}

BOOST_DATA_TEST_CASE(conn_refused, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    uint16_t port;
    int lfd = listener(&port);
    close(lfd); // nothing listens there any more
    cctx x;
    x.then = [](ptc_conn* c, cctx* x, uint32_t ev) {
        if (ev & PTC_CEV_ERROR) {
            H()->conn_close(c);
            x->closed = true;
        }
    };
    sockaddr_in sa = loopback(port);
    ptc_conn* c = H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr,
                                0, conn_cb, &x);
    BOOST_REQUIRE(c);
    // queued before the connection exists: dropped with the error
    BOOST_TEST(H()->conn_send(c, "x", 1) == 1u);
    BOOST_TEST(e.run_until([&] { return x.closed; }));
    BOOST_TEST(x.ev.size() == 1u);
    BOOST_TEST(x.ev.front() == PTC_CEV_ERROR);
    BOOST_TEST(x.err == ECONNREFUSED);
}

BOOST_DATA_TEST_CASE(conn_timeout_on_silent_peer, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    uint16_t port;
    int lfd = listener(&port); // the kernel completes the handshake; nobody ever answers
    cctx x;
    uint64_t armed = 0;
    x.then = [&armed](ptc_conn* c, cctx* x, uint32_t ev) {
        if (ev & PTC_CEV_CONNECTED) {
            armed = event::now_ms();
            H()->conn_set_timeout(c, 100);
        }
        if (ev & PTC_CEV_TIMEOUT) {
            H()->conn_close(c); // a recv is in flight: freed on its completion
            x->closed = true;
        }
    };
    sockaddr_in sa = loopback(port);
    ptc_conn* c = H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr,
                                0, conn_cb, &x);
    BOOST_REQUIRE(c);
    BOOST_TEST(e.run_until([&] { return x.closed; }));
    BOOST_TEST(event::now_ms() >= armed + 100);
    BOOST_TEST(x.ev.size() == 2u);
    BOOST_TEST(x.ev.back() == PTC_CEV_TIMEOUT);
    e.run_for(50);
    BOOST_TEST(g_worker->tsched->nconns == 0u); // the cancelled recv came back
    close(lfd);
}

BOOST_DATA_TEST_CASE(conn_close_outside_callback, bdata::make(kinds), kind)
{
    engine e(kind);
    if (!e)
        return;
    uint16_t port;
    int lfd = listener(&port);
    cctx x;
    sockaddr_in sa = loopback(port);
    // closed while its connect is in flight: no callback ever
    ptc_conn* c = H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr,
                                0, conn_cb, &x);
    BOOST_REQUIRE(c);
    H()->conn_close(c);
    // closed with events pending (connected, not delivered yet) and a timer armed
    cctx y;
    ptc_conn* d = H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr,
                                0, conn_cb, &y);
    H()->conn_set_timeout(d, 10);
    BOOST_TEST(g_worker->poller->run_once(100) >= 0); // connect completes, not delivered
    H()->conn_close(d);
    e.run_for(100);
    BOOST_TEST(x.ev.empty());
    BOOST_TEST(y.ev.empty());
    BOOST_TEST(g_worker->tsched->nconns == 0u);
    close(lfd);
}

BOOST_AUTO_TEST_CASE(worker_slot_and_count)
{
    BOOST_TEST(H()->worker_slot() == -1); // no worker: the master
    BOOST_TEST(H()->worker_count() >= 1u);
    BOOST_TEST(H()->task_new(nullptr, task_cb, nullptr) == nullptr);
    sockaddr_in sa = loopback(1);
    errno = 0;
    BOOST_TEST(H()->conn_new(nullptr, reinterpret_cast<sockaddr*>(&sa), sizeof(sa), nullptr, 0,
                             conn_cb, nullptr) == nullptr);
    BOOST_TEST(errno == EPERM);
}

} // namespace task_conn_test

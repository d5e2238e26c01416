// SPDX-License-Identifier: MIT
// epoll backend: completion semantics emulated on edge-triggered readiness.
//
// Every fd gets one read slot (recv, accept, poll_in) and one write slot (send, connect),
// each holding at most one operation. The fd is registered once, edge-triggered, for
// EPOLLIN|EPOLLOUT|EPOLLRDHUP, so ops coming and going never need EPOLL_CTL_MOD. A newly
// submitted op is tried at the start of the next run_once() if the fd may be ready (no
// EAGAIN seen since the last edge); otherwise it waits for the next edge. Results are
// queued and dispatched at the end of run_once(), never from the submitting call.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "event/clock.hpp"
#include "event/poller.hpp"

namespace portico::event {

namespace {

enum op_kind : uint8_t { K_NONE, K_RECV, K_SEND, K_CONNECT, K_ACCEPT, K_POLLIN };

// completion::op_ values while the record sits in a slot.
enum : uint8_t { IN_NONE = 0, IN_READ = 1, IN_WRITE = 2 };

constexpr int accept_batch = 64; // accepts per listener per turn, for fairness

struct op {
    completion* c = nullptr;
    void* buf = nullptr;
    size_t len = 0;
    op_kind kind = K_NONE;
};

struct fd_state {
    op rd;                   // recv / accept / poll_in
    op wr;                   // send / connect
    bool registered = false; // added to the epoll set
    bool rd_ready = false;   // no EAGAIN on the read side since the last edge
    bool wr_ready = false;   // same for the write side
    bool rdhup = false;      // peer shut down / error seen: reads never block again
    bool in_try = false;     // listed in try_
};

struct ready_item {
    completion* c;
    int res;
    uint32_t flags;
};

class epoll_poller final : public poller {
public:
    explicit epoll_poller(int epfd) : epfd_(epfd)
    {
        events_.resize(256);
        ready_.reserve(1024);
        dispatching_.reserve(1024);
        try_.reserve(256);
        try_work_.reserve(256);
    }

    ~epoll_poller() override { ::close(epfd_); }

    const char* name() const override { return "epoll"; }

    void accept_multishot(int lfd, completion* c) override
    {
        start(lfd, IN_READ, op{c, nullptr, 0, K_ACCEPT}, true);
    }

    void recv(int fd, void* buf, size_t len, completion* c) override
    {
        start(fd, IN_READ, op{c, buf, len, K_RECV}, true);
    }

    void send(int fd, const void* buf, size_t len, completion* c) override
    {
        start(fd, IN_WRITE, op{c, const_cast<void*>(buf), len, K_SEND}, true);
    }

    void poll_in(int fd, completion* c) override
    {
        start(fd, IN_READ, op{c, nullptr, 0, K_POLLIN}, true);
    }

    void connect(int fd, const sockaddr* sa, socklen_t len, completion* c) override
    {
        int r = ::connect(fd, sa, len);
        if (r == 0) {
            queue(c, 0, 0);
        } else if (errno == EINPROGRESS || errno == EINTR) {
            // An interrupted connect goes on asynchronously, like EINPROGRESS.
            start(fd, IN_WRITE, op{c, nullptr, 0, K_CONNECT}, false);
        } else {
            queue(c, -errno, 0);
        }
    }

    void cancel(completion* c) override
    {
        if (!c->busy || c->op_ == IN_NONE)
            return; // nothing in flight, or its result is already queued
        fd_state& s = fds_[size_t(c->fd_)];
        op& o = c->op_ == IN_READ ? s.rd : s.wr;
        if (o.c != c)
            return;
        finish(o, -ECANCELED);
    }

    void forget_fd(int fd) override
    {
        if (fd < 0 || size_t(fd) >= fds_.size())
            return;
        fd_state& s = fds_[size_t(fd)];
        if (s.rd.c)
            finish(s.rd, -ECANCELED);
        if (s.wr.c)
            finish(s.wr, -ECANCELED);
        if (s.registered)
            epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
        bool in_try = s.in_try;
        s = fd_state{};
        s.in_try = in_try; // its try_ entry is still there
    }

    int run_once(int timeout_ms) override
    {
        process_try_list();
        int timeout = (ready_.empty() && try_.empty()) ? timeout_ms : 0;
        int n = epoll_wait(epfd_, events_.data(), int(events_.size()), timeout);
        if (n < 0) {
            if (errno != EINTR)
                return -errno;
            n = 0;
        }
        update_clock(); // completion handlers must see the time after the wait
        for (int i = 0; i < n; ++i)
            handle_event(events_[size_t(i)].data.fd, events_[size_t(i)].events);
        return dispatch();
    }

private:
    fd_state& state(int fd)
    {
        if (size_t(fd) >= fds_.size()) {
            size_t n = fds_.size() ? fds_.size() : 64;
            while (n <= size_t(fd))
                n *= 2;
            fds_.resize(n);
        }
        return fds_[size_t(fd)];
    }

    // Result for <c> to be delivered by the next dispatch.
    void queue(completion* c, int res, uint32_t flags)
    {
        c->busy = 1;
        ready_.push_back(ready_item{c, res, flags});
    }

    // Take the op out of its slot and queue its final result.
    void finish(op& o, int res)
    {
        completion* c = o.c;
        o.c = nullptr;
        o.kind = K_NONE;
        c->op_ = IN_NONE;
        queue(c, res, 0);
    }

    void schedule_try(int fd, fd_state& s)
    {
        if (s.in_try)
            return;
        s.in_try = true;
        try_.push_back(fd);
    }

    void start(int fd, uint8_t side, op o, bool try_soon)
    {
        completion* c = o.c;
        if (fd < 0) {
            queue(c, -EBADF, 0);
            return;
        }
        fd_state& s = state(fd);
        op& slot = side == IN_READ ? s.rd : s.wr;
        if (slot.c) {
            queue(c, -EBUSY, 0); // caller bug: one op per direction per fd
            return;
        }
        if (!s.registered) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
            ev.data.fd = fd;
            if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
                queue(c, -errno, 0);
                return;
            }
            s.registered = true;
            s.rd_ready = s.wr_ready = true;
        }
        slot = o;
        c->busy = 1;
        c->op_ = side;
        c->fd_ = fd;
        if (try_soon && (side == IN_READ ? s.rd_ready : s.wr_ready))
            schedule_try(fd, s);
    }

    void process_try_list()
    {
        if (try_.empty())
            return;
        try_work_.swap(try_);
        for (int fd : try_work_) {
            fd_state& s = fds_[size_t(fd)];
            s.in_try = false;
            if (s.rd.c && s.rd_ready)
                try_read(fd, s, 0);
            if (s.wr.c && s.wr_ready && s.wr.kind != K_CONNECT)
                try_write(fd, s, 0);
        }
        try_work_.clear();
    }

    void handle_event(int fd, uint32_t ev)
    {
        if (fd < 0 || size_t(fd) >= fds_.size())
            return;
        fd_state& s = fds_[size_t(fd)];
        if (!s.registered)
            return;
        if (ev & (EPOLLRDHUP | EPOLLERR | EPOLLHUP))
            s.rdhup = true;
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
            s.rd_ready = true;
            if (s.rd.c)
                try_read(fd, s, ev);
        }
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            s.wr_ready = true;
            if (s.wr.c)
                try_write(fd, s, ev);
        }
    }

    // Attempt the read-side op. <ev> is the epoll event mask, 0 when not from an event.
    void try_read(int fd, fd_state& s, uint32_t ev)
    {
        op& o = s.rd;
        switch (o.kind) {
        case K_RECV: {
            size_t len = o.len > size_t(INT_MAX) ? size_t(INT_MAX) : o.len;
            ssize_t n;
            do
                n = ::recv(fd, o.buf, len, MSG_DONTWAIT);
            while (n < 0 && errno == EINTR);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                s.rd_ready = false;
                return;
            }
            // A short read drained the socket: new data will raise a new edge. EOF and
            // errors are sticky (no further edge), so the fd stays ready for them.
            if (n > 0 && size_t(n) < len && !s.rdhup)
                s.rd_ready = false;
            finish(o, n < 0 ? -errno : int(n));
            return;
        }
        case K_ACCEPT:
            for (int i = 0; i < accept_batch; ++i) {
                int a = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (a >= 0) {
                    queue(o.c, a, CF_MORE);
                    continue;
                }
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    s.rd_ready = false;
                    return;
                }
                finish(o, -errno); // ends the multishot, as io_uring does
                return;
            }
            schedule_try(fd, s); // more may be pending; let others run first
            return;
        case K_POLLIN: {
            uint32_t revents = ev & (EPOLLIN | EPOLLPRI | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
            if (!revents) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 0) <= 0 || !p.revents) {
                    s.rd_ready = false;
                    return;
                }
                revents = uint32_t(p.revents);
            }
            finish(o, int(revents));
            return;
        }
        default:
            return;
        }
    }

    void try_write(int fd, fd_state& s, uint32_t ev)
    {
        op& o = s.wr;
        switch (o.kind) {
        case K_SEND: {
            size_t len = o.len > size_t(INT_MAX) ? size_t(INT_MAX) : o.len;
            ssize_t n;
            do
                n = ::send(fd, o.buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            while (n < 0 && errno == EINTR);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                s.wr_ready = false;
                return;
            }
            finish(o, n < 0 ? -errno : int(n));
            return;
        }
        case K_CONNECT: {
            int err = 0;
            socklen_t l = sizeof(err);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                err = errno;
            if (err == 0 && !(ev & EPOLLOUT))
                return; // not connected yet
            finish(o, -err);
            return;
        }
        default:
            return;
        }
    }

    int dispatch()
    {
        if (ready_.empty())
            return 0;
        // Results queued by the callbacks (cancel, immediate errors) wait for the next turn.
        dispatching_.swap(ready_);
        int n = 0;
        for (const ready_item& it : dispatching_) {
            completion* c = it.c;
            c->busy = (it.flags & CF_MORE) ? 1 : 0;
            c->fn(c, it.res, it.flags);
            ++n;
        }
        dispatching_.clear();
        return n;
    }

    int epfd_;
    std::vector<fd_state> fds_;           // indexed by fd
    std::vector<epoll_event> events_;
    std::vector<int> try_, try_work_;     // fds whose ops may complete without an edge
    std::vector<ready_item> ready_, dispatching_;
};

} // namespace

std::unique_ptr<poller> make_epoll_poller(std::string* why)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        if (why)
            *why = std::string("epoll_create1: ") + std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<epoll_poller>(epfd);
}

} // namespace portico::event

// SPDX-License-Identifier: MIT
// io_uring backend: one ring per worker, SQEs queued during dispatch, one submit per turn.
//
// user_data is the completion record's address; its low bits (records are pointer
// aligned) tag internal requests: UD_IGNORE for cancel requests whose CQEs are dropped,
// UD_EMU_ACCEPT for the single-shot accepts that emulate multishot accept on kernels
// older than 5.19.
//
// Compiled only with liburing (PTC_HAVE_URING, ./configure without --without-uring); the
// stub make_uring_poller() of a build without it is in poller.cpp.
#include "autoconf.h"

#if PTC_HAVE_URING
#include <liburing.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "event/clock.hpp"
#include "event/poller.hpp"

namespace portico::event {

namespace {

constexpr uint64_t UD_IGNORE = 1;
constexpr uint64_t UD_EMU_ACCEPT = 2;
constexpr uint64_t UD_TAGS = 7;
constexpr int accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;

// completion::op_ values.
enum : uint8_t { OP_NONE = 0, OP_EMU_ACCEPT = 1, OP_CANCELLED = 0x80 };

enum deferred_kind : uint8_t {
    D_ACCEPT_MS, D_ACCEPT, D_RECV, D_SEND, D_CONNECT, D_POLLIN, D_CANCEL
};

// An operation that found the SQ full even after a flush (the kernel refused to consume
// it, e.g. -EBUSY under CQ overflow); it is prepared again at the next run_once().
struct deferred_op {
    deferred_kind kind;
    int fd;
    completion* c;
    void* buf;
    unsigned len;
    uint64_t target; // D_CANCEL: user_data to cancel
    socklen_t salen;
    sockaddr_storage sa;
};

struct cqe_copy {
    uint64_t ud;
    int res;
    uint32_t flags;
};

struct synth {
    completion* c;
    int res;
};

unsigned clamp_len(size_t len)
{
    return len > size_t(INT_MAX) ? unsigned(INT_MAX) : unsigned(len);
}

class uring_poller final : public poller {
public:
    uring_poller() = default;
    ~uring_poller() override
    {
        if (ring_ok_)
            io_uring_queue_exit(&ring_);
    }

    // Set up the ring and probe it; on failure returns false with the reason in <why>.
    bool init(unsigned entries, std::string* why);

    const char* name() const override { return "io_uring"; }

    void accept_multishot(int lfd, completion* c) override
    {
        c->busy = 1;
        c->fd_ = lfd;
        if (multishot_accept_) {
            c->op_ = OP_NONE;
            if (io_uring_sqe* sqe = get_sqe())
                prep_accept_ms(sqe, lfd, c);
            else
                defer(D_ACCEPT_MS, lfd, c);
        } else {
            c->op_ = OP_EMU_ACCEPT;
            arm_emulated_accept(c);
        }
    }

    void recv(int fd, void* buf, size_t len, completion* c) override
    {
        c->busy = 1;
        c->op_ = OP_NONE;
        c->fd_ = fd;
        if (io_uring_sqe* sqe = get_sqe()) {
            io_uring_prep_recv(sqe, fd, buf, clamp_len(len), 0);
            io_uring_sqe_set_data(sqe, c);
        } else {
            defer(D_RECV, fd, c, buf, clamp_len(len));
        }
    }

    void send(int fd, const void* buf, size_t len, completion* c) override
    {
        c->busy = 1;
        c->op_ = OP_NONE;
        c->fd_ = fd;
        if (io_uring_sqe* sqe = get_sqe()) {
            io_uring_prep_send(sqe, fd, buf, clamp_len(len), MSG_NOSIGNAL);
            io_uring_sqe_set_data(sqe, c);
        } else {
            defer(D_SEND, fd, c, const_cast<void*>(buf), clamp_len(len));
        }
    }

    void connect(int fd, const sockaddr* sa, socklen_t len, completion* c) override
    {
        c->busy = 1;
        c->op_ = OP_NONE;
        c->fd_ = fd;
        io_uring_sqe* sqe = get_sqe();
        if (!sqe) {
            deferred_op& d = defer(D_CONNECT, fd, c);
            d.salen = len > sizeof(d.sa) ? socklen_t(sizeof(d.sa)) : len;
            std::memcpy(&d.sa, sa, d.salen);
            return;
        }
        io_uring_prep_connect(sqe, fd, sa, len);
        io_uring_sqe_set_data(sqe, c);
        // The kernel reads <sa> while issuing the request: submit now so the caller's
        // address need not outlive this call. No completion is dispatched here.
        io_uring_submit(&ring_);
    }

    void poll_in(int fd, completion* c) override
    {
        c->busy = 1;
        c->op_ = OP_NONE;
        c->fd_ = fd;
        if (io_uring_sqe* sqe = get_sqe()) {
            io_uring_prep_poll_add(sqe, fd, POLLIN);
            io_uring_sqe_set_data(sqe, c);
        } else {
            defer(D_POLLIN, fd, c);
        }
    }

    void cancel(completion* c) override
    {
        if (!c->busy)
            return;
        for (size_t i = 0; i < deferred_.size(); ++i) {
            if (deferred_[i].c == c && deferred_[i].kind != D_CANCEL) {
                deferred_.erase(deferred_.begin() + long(i));
                c->op_ = OP_NONE;
                synth_.push_back(synth{c, -ECANCELED});
                return;
            }
        }
        uint64_t target = reinterpret_cast<uintptr_t>(c);
        if (c->op_ & OP_EMU_ACCEPT) {
            c->op_ |= OP_CANCELLED;
            target |= UD_EMU_ACCEPT;
        }
        submit_cancel(target);
    }

    void forget_fd(int) override {}

    int run_once(int timeout_ms) override;

private:
    io_uring_sqe* get_sqe()
    {
        if (!deferred_.empty())
            return nullptr; // keep submission order behind older deferred ops
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) [[unlikely]] {
            io_uring_submit(&ring_);
            sqe = io_uring_get_sqe(&ring_);
        }
        return sqe;
    }

    deferred_op& defer(deferred_kind k, int fd, completion* c, void* buf = nullptr,
                       unsigned len = 0)
    {
        deferred_op& d = deferred_.emplace_back();
        d.kind = k;
        d.fd = fd;
        d.c = c;
        d.buf = buf;
        d.len = len;
        d.target = 0;
        d.salen = 0;
        return d;
    }

    void prep_accept_ms(io_uring_sqe* sqe, int lfd, completion* c)
    {
        io_uring_prep_multishot_accept(sqe, lfd, nullptr, nullptr, accept_flags);
        io_uring_sqe_set_data(sqe, c);
    }

    void prep_accept_emu(io_uring_sqe* sqe, int lfd, completion* c)
    {
        io_uring_prep_accept(sqe, lfd, nullptr, nullptr, accept_flags);
        io_uring_sqe_set_data64(sqe, reinterpret_cast<uintptr_t>(c) | UD_EMU_ACCEPT);
    }

    void arm_emulated_accept(completion* c)
    {
        if (io_uring_sqe* sqe = get_sqe())
            prep_accept_emu(sqe, c->fd_, c);
        else
            defer(D_ACCEPT, c->fd_, c);
    }

    void submit_cancel(uint64_t target)
    {
        if (io_uring_sqe* sqe = get_sqe()) {
            io_uring_prep_cancel64(sqe, target, 0);
            io_uring_sqe_set_data64(sqe, UD_IGNORE);
        } else {
            defer(D_CANCEL, -1, nullptr).target = target;
        }
    }

    void flush_deferred();
    int dispatch_synth();
    int handle(const cqe_copy& q);

    io_uring ring_{};
    bool ring_ok_ = false;
    bool multishot_accept_ = false;
    std::vector<deferred_op> deferred_;
    std::vector<synth> synth_, synth_work_;
};

void uring_poller::flush_deferred()
{
    size_t done = 0;
    for (; done < deferred_.size(); ++done) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) {
            io_uring_submit(&ring_);
            sqe = io_uring_get_sqe(&ring_);
            if (!sqe)
                break;
        }
        deferred_op& d = deferred_[done];
        switch (d.kind) {
        case D_ACCEPT_MS:
            prep_accept_ms(sqe, d.fd, d.c);
            break;
        case D_ACCEPT:
            prep_accept_emu(sqe, d.fd, d.c);
            break;
        case D_RECV:
            io_uring_prep_recv(sqe, d.fd, d.buf, d.len, 0);
            io_uring_sqe_set_data(sqe, d.c);
            break;
        case D_SEND:
            io_uring_prep_send(sqe, d.fd, d.buf, d.len, MSG_NOSIGNAL);
            io_uring_sqe_set_data(sqe, d.c);
            break;
        case D_CONNECT:
            io_uring_prep_connect(sqe, d.fd, reinterpret_cast<const sockaddr*>(&d.sa), d.salen);
            io_uring_sqe_set_data(sqe, d.c);
            io_uring_submit(&ring_); // d.sa goes away with the vector entry
            break;
        case D_POLLIN:
            io_uring_prep_poll_add(sqe, d.fd, POLLIN);
            io_uring_sqe_set_data(sqe, d.c);
            break;
        case D_CANCEL:
            io_uring_prep_cancel64(sqe, d.target, 0);
            io_uring_sqe_set_data64(sqe, UD_IGNORE);
            break;
        }
    }
    deferred_.erase(deferred_.begin(), deferred_.begin() + long(done));
}

int uring_poller::dispatch_synth()
{
    if (synth_.empty())
        return 0;
    synth_work_.swap(synth_);
    for (const synth& s : synth_work_) {
        s.c->busy = 0;
        s.c->fn(s.c, s.res, 0);
    }
    int n = int(synth_work_.size());
    synth_work_.clear();
    return n;
}

// Deliver one CQE; returns the number of callbacks run.
int uring_poller::handle(const cqe_copy& q)
{
    if (q.ud & UD_TAGS) {
        if (!(q.ud & UD_EMU_ACCEPT))
            return 0; // UD_IGNORE, or liburing's own timeout
        completion* c = reinterpret_cast<completion*>(uintptr_t(q.ud & ~UD_TAGS));
        bool cancelled = c->op_ & OP_CANCELLED;
        if (q.res >= 0 && !cancelled) {
            arm_emulated_accept(c); // re-armed before the callback may cancel it
            c->busy = 1;
            c->fn(c, q.res, CF_MORE);
            return 1;
        }
        c->op_ = OP_NONE;
        if (q.res >= 0) {
            // Accepted while being cancelled: hand the fd over, then end the multishot.
            c->busy = 1;
            c->fn(c, q.res, CF_MORE);
            c->busy = 0;
            c->fn(c, -ECANCELED, 0);
            return 2;
        }
        c->busy = 0;
        c->fn(c, q.res, 0);
        return 1;
    }
    if (q.ud == 0)
        return 0;
    completion* c = reinterpret_cast<completion*>(uintptr_t(q.ud));
    bool more = q.flags & IORING_CQE_F_MORE;
    c->busy = more ? 1 : 0;
    if (!more)
        c->op_ = OP_NONE;
    c->fn(c, q.res, more ? CF_MORE : 0);
    return 1;
}

int uring_poller::run_once(int timeout_ms)
{
    if (!deferred_.empty())
        flush_deferred();

    if (!synth_.empty() || io_uring_cq_ready(&ring_) || io_uring_cq_has_overflow(&ring_))
        timeout_ms = 0;

    int ret;
    if (timeout_ms == 0) {
        ret = io_uring_submit_and_get_events(&ring_);
    } else {
        io_uring_cqe* cqe = nullptr;
        __kernel_timespec ts{};
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (timeout_ms % 1000) * 1000000LL;
        ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout_ms < 0 ? nullptr : &ts,
                                               nullptr);
    }
    if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
        return ret;
    update_clock(); // completion handlers must see the time after the wait, not before it

    int n = dispatch_synth();
    constexpr unsigned batch = 256;
    cqe_copy copies[batch];
    // Copy CQEs out and release their slots before running callbacks, so the kernel can
    // post more while we dispatch; loop a bounded number of times for fairness.
    for (int round = 0; round < 16; ++round) {
        unsigned k = 0, head;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&ring_, head, cqe)
        {
            copies[k++] = cqe_copy{cqe->user_data, cqe->res, cqe->flags};
            if (k == batch)
                break;
        }
        if (k)
            io_uring_cq_advance(&ring_, k);
        for (unsigned i = 0; i < k; ++i)
            n += handle(copies[i]);
        if (k == batch)
            continue;
        if (!io_uring_cq_has_overflow(&ring_))
            break;
        io_uring_get_events(&ring_); // flush the kernel's overflow list into the CQ
    }
    return n;
}

// Arm a multishot accept on a throw-away AF_UNIX listener and see whether the kernel
// takes it (5.19+) or rejects it with -EINVAL.
bool probe_multishot_accept(io_uring* ring)
{
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return false;
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    // Binding with only the family autobinds to a unique abstract address.
    if (bind(lfd, reinterpret_cast<sockaddr*>(&sun), sizeof(sa_family_t)) < 0 ||
        listen(lfd, 1) < 0) {
        ::close(lfd);
        return false;
    }
    constexpr uint64_t probe_ud = 8;
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_multishot_accept(sqe, lfd, nullptr, nullptr, accept_flags);
    io_uring_sqe_set_data64(sqe, probe_ud);
    sqe = io_uring_get_sqe(ring);
    io_uring_prep_cancel64(sqe, probe_ud, 0);
    io_uring_sqe_set_data64(sqe, UD_IGNORE);
    io_uring_submit(ring);

    bool ok = false, done = false;
    for (int i = 0; i < 10 && !done; ++i) {
        io_uring_cqe* cqe = nullptr;
        __kernel_timespec ts{0, 100000000};
        if (io_uring_wait_cqe_timeout(ring, &cqe, &ts) < 0 || !cqe)
            continue;
        if (cqe->user_data == probe_ud && !(cqe->flags & IORING_CQE_F_MORE)) {
            ok = cqe->res == -ECANCELED;
            done = true;
        } else if (cqe->user_data == probe_ud && cqe->res >= 0) {
            ::close(cqe->res);
        }
        io_uring_cqe_seen(ring, cqe);
    }
    // Drain the cancel's own CQE if it is still there.
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(ring, &cqe) == 0 && cqe)
        io_uring_cqe_seen(ring, cqe);
    ::close(lfd);
    return ok && done;
}

bool uring_poller::init(unsigned entries, std::string* why)
{
    if (entries < 8)
        entries = 8;
    // Newest flags first; each older kernel rejects what it does not know with -EINVAL.
    static const unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL, // 6.1
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,  // 6.0
        IORING_SETUP_SUBMIT_ALL,                                                           // 5.18
        0,
    };
    int ret = -EINVAL;
    io_uring_params p{};
    for (;;) {
        for (unsigned flags : attempts) {
            p = io_uring_params{};
            p.flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
            p.cq_entries = entries * 4;
            ret = io_uring_queue_init_params(entries, &ring_, &p);
            if (ret != -EINVAL)
                break;
        }
        // Before 5.12 ring memory counts against RLIMIT_MEMLOCK: try a smaller ring.
        if (ret != -ENOMEM || entries <= 64)
            break;
        entries /= 2;
    }
    if (ret < 0) {
        *why = std::string("io_uring_queue_init: ") + std::strerror(-ret);
        return false;
    }
    ring_ok_ = true;

    const unsigned need_feat = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_FAST_POLL;
    if ((p.features & need_feat) != need_feat) {
        *why = "kernel lacks io_uring NODROP/EXT_ARG/FAST_POLL (needs 5.11+)";
        return false;
    }
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (!probe) {
        *why = "io_uring opcode probe failed";
        return false;
    }
    static const struct {
        int op;
        const char* name;
    } ops[] = {
        {IORING_OP_ACCEPT,       "ACCEPT"},
        {IORING_OP_RECV,         "RECV"},
        {IORING_OP_SEND,         "SEND"},
        {IORING_OP_CONNECT,      "CONNECT"},
        {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
        {IORING_OP_POLL_ADD,     "POLL_ADD"},
        {IORING_OP_TIMEOUT,      "TIMEOUT"},
    };
    for (const auto& o : ops) {
        if (!io_uring_opcode_supported(probe, o.op)) {
            io_uring_free_probe(probe);
            *why = std::string("io_uring lacks opcode ") + o.name;
            return false;
        }
    }
    io_uring_free_probe(probe);

    const char* emu = std::getenv("PORTICO_URING_EMULATE_MULTISHOT"); // test knob
    multishot_accept_ = !(emu && *emu && *emu != '0') && probe_multishot_accept(&ring_);
    io_uring_register_ring_fd(&ring_); // optional optimisation, failure is harmless
    deferred_.reserve(64);
    synth_.reserve(64);
    synth_work_.reserve(64);
    return true;
}

} // namespace

std::unique_ptr<poller> make_uring_poller(unsigned entries, std::string* why)
{
    std::string reason;
    auto p = std::make_unique<uring_poller>();
    if (!p->init(entries, &reason)) {
        if (why)
            *why = reason;
        return nullptr;
    }
    return p;
}

} // namespace portico::event

#endif // PTC_HAVE_URING

// SPDX-License-Identifier: MIT
// Completion-oriented event-loop backend interface (io_uring first, epoll behind it).
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>

#include <cstdint>
#include <memory>
#include <string>

namespace portico::event {

struct completion;

// Called from poller::run_once() with <res> (>= 0 result, or -errno) and CF_* <flags>.
using completion_fn = void (*)(completion* c, int res, uint32_t flags);

// A caller-owned record that one in-flight operation points at. It must stay alive until
// the operation's final completion (the one without CF_MORE) has been delivered. At most
// one operation is in flight per record, except multishot accept which stays armed.
// Callers usually embed it in a bigger object and recover that object in <fn>.
struct completion {
    completion_fn fn = nullptr; // called with res and flags
    uint8_t busy = 0;           // 1 while an op is in flight; cleared before fn runs unless
                                // CF_MORE (multishot still armed)
    uint8_t op_ = 0;            // poller-private: kind of the in-flight op and state bits
    int32_t fd_ = -1;           // poller-private: fd of the in-flight op
};

constexpr uint32_t CF_MORE = 1; // multishot: more completions will follow for this record

// One poller per worker process, used from a single thread. Operations submitted here are
// only queued (or tried without blocking); their callbacks run exclusively from run_once(),
// never from inside a submit call, cancel() or forget_fd().
class poller {
public:
    virtual ~poller() = default;
    poller() = default;
    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;

    // "io_uring" or "epoll".
    virtual const char* name() const = 0;

    // Multishot accept on listening socket <lfd>: each accepted fd (already
    // SOCK_NONBLOCK|SOCK_CLOEXEC, owned by the callback) is delivered as res >= 0 with
    // CF_MORE. When the multishot ends (error, or cancel) the last completion comes
    // without CF_MORE and the caller may re-arm; -ECANCELED after cancel(). With io_uring
    // that last completion can still carry an accepted fd (res >= 0, e.g. when the kernel
    // stopped the multishot on CQ overflow): the caller owns it and should re-arm.
    virtual void accept_multishot(int lfd, completion* c) = 0;

    // Receive up to <len> bytes into <buf>: res = bytes, 0 = EOF. <buf> must stay valid
    // until the completion.
    virtual void recv(int fd, void* buf, size_t len, completion* c) = 0;

    // Send up to <len> bytes (MSG_NOSIGNAL); the result may be partial. <buf> must stay
    // valid until the completion.
    virtual void send(int fd, const void* buf, size_t len, completion* c) = 0;

    // Connect non-blocking socket <fd> to <sa>: res 0 or -errno. <sa> need only be valid
    // during the call.
    virtual void connect(int fd, const sockaddr* sa, socklen_t len, completion* c) = 0;

    // One-shot readability watch (signalfd, eventfd, ...): res = revents mask (POLL*).
    virtual void poll_in(int fd, completion* c) = 0;

    // Cancel the in-flight op(s) of <c>: the completion still arrives from a later
    // run_once(), typically -ECANCELED, or the real result if it raced. No-op if nothing
    // is in flight.
    virtual void cancel(completion* c) = 0;

    // Called by the owner of <fd> right before close(2). Both backends want the fd's ops
    // cancelled first (with io_uring a pending op holds its own reference to the file, so
    // close(2) alone would not end it). With epoll any op still registered on <fd> is
    // cancelled here (-ECANCELED from the next run_once) and the fd's state is dropped, so
    // a reused fd number starts clean. No-op for io_uring. Either way the completion
    // records must live until their final completions are delivered.
    virtual void forget_fd(int fd) = 0;

    // Submit queued operations, wait until at least one completion or <timeout_ms>
    // (-1 = infinite, 0 = don't wait), then dispatch all available completions. The wait
    // may end early on a signal (EINTR is not an error). Returns the number of completions
    // dispatched, or -errno on a fatal backend error.
    virtual int run_once(int timeout_ms) = 0;

    // Closes a socket that has recv/send/connect records: cancels the ones still in flight
    // (their completions follow with -ECANCELED), forgets and closes <fd>, sets it to -1.
    void close_socket(int& fd, completion& rx, completion& tx, completion& cx)
    {
        for (completion* c : {&rx, &tx, &cx})
            if (c->busy)
                cancel(c);
        if (fd >= 0) {
            forget_fd(fd);
            ::close(fd);
            fd = -1;
        }
    }
};

// Create the epoll backend. Returns nullptr (and sets *why) if epoll_create1 fails.
std::unique_ptr<poller> make_epoll_poller(std::string* why);

// Create the io_uring backend with <entries> SQ entries (CQ four times larger). Returns
// nullptr and sets *why if the ring cannot be set up or lacks a required feature/opcode.
std::unique_ptr<poller> make_uring_poller(unsigned entries, std::string* why);

// Create the best available poller: io_uring unless <force_epoll> or the environment
// variable PORTICO_POLLER=epoll, falling back to epoll on any io_uring setup/probe
// failure. <why> (may be null) receives the reason for using epoll, or is cleared.
std::unique_ptr<poller> make_poller(unsigned entries, bool force_epoll, std::string* why);

} // namespace portico::event

// SPDX-License-Identifier: MIT
// Backend selection: io_uring when usable, epoll otherwise.
#include "event/poller.hpp"

#include "autoconf.h"

#include <cstdlib>
#include <cstring>

namespace portico::event {

#if !PTC_HAVE_URING
// Built with --without-uring: uring.cpp is empty and nothing links liburing.
std::unique_ptr<poller> make_uring_poller(unsigned, std::string* why)
{
    if (why)
        *why = "built without io_uring";
    return nullptr;
}
#endif

std::unique_ptr<poller> make_poller(unsigned entries, bool force_epoll, std::string* why)
{
    std::string reason;
    const char* env = std::getenv("PORTICO_POLLER");
    if (force_epoll) {
        reason = "epoll forced by configuration";
    } else if (env && std::strcmp(env, "epoll") == 0) {
        reason = "epoll forced by PORTICO_POLLER=epoll";
    } else if (!PTC_HAVE_URING) {
        reason = "built without io_uring";
    } else {
        std::string uring_why;
        if (auto p = make_uring_poller(entries, &uring_why)) {
            if (why)
                why->clear();
            return p;
        }
        reason = "io_uring unavailable: " + uring_why;
    }
    std::string epoll_why;
    auto p = make_epoll_poller(&epoll_why);
    if (!p)
        reason += "; " + epoll_why;
    if (why)
        *why = reason;
    return p;
}

} // namespace portico::event

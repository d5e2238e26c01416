// SPDX-License-Identifier: MIT
// Protocol error snapshots ("show errors"): the last invalid request a frontend received and
// the last invalid response a backend received, with the bytes as they came and the offset
// where parsing stopped. Workers record (host->stream_report_error), the master dumps them.
//
// Layout: one shared anonymous mapping created by the master before the workers fork, two
// slots per proxy (request, response), each a header and tune.bufsize bytes. Pages are only
// touched when an error is recorded, so the reservation costs address space, not memory.
#include <sys/mman.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cli/cli.hpp"
#include "log/log.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream-t.hpp"

namespace portico {

namespace {

struct errsnap_meta {
    uint32_t used;              // 0: nothing recorded yet
    uint32_t ev_id;             // instance-wide event number
    int64_t when_sec;
    int32_t when_usec;
    int32_t oe;                 // the other end's proxy index, -1 none
    int32_t srv_id;             // server "id", -1 none
    char srv_name[64];
    sockaddr_storage src;
    uint32_t len;               // bytes kept in buf
    uint32_t err;               // error position
    char reason[80];
};

struct errsnap {
    shm_lock lock;
    errsnap_meta m;
    // followed by the snapshot's bytes
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
};

struct errsnap_area {
    std::atomic<uint32_t> events; // error_snapshot_id: events captured so far
    uint32_t nproxies;
    uint32_t bufsize;
    uint32_t slot_size;
};

errsnap_area* g_area;

errsnap* slot(uint32_t px, uint32_t side)
{
    if (!g_area || px >= g_area->nproxies || side > 1)
        return nullptr;
    char* base = reinterpret_cast<char*>(g_area) + 64;
    return reinterpret_cast<errsnap*>(base + (size_t(px) * 2 + side) * g_area->slot_size);
}

void append_date(std::string& out, int64_t sec, int32_t usec)
{
    out += log::accept_date(uint64_t(sec) * 1000 + uint64_t(usec) / 1000);
}

// One line of the dump: "  OFFSET  text", cut after a LF or before 80 columns, with HAProxy's
// escapes (\t \n \r \e \\ and \xHH for anything else not printable). Returns the new offset.
size_t dump_line(std::string& out, const char* buf, size_t len, size_t ptr, size_t& bol)
{
    char head[32];
    snprintf(head, sizeof(head), "  %05zu%c ", ptr, ptr == bol ? ' ' : '+');
    out += head;
    size_t col = std::strlen(head);
    const size_t width = 80;
    while (ptr < len) {
        unsigned char c = static_cast<unsigned char>(buf[ptr]);
        char e[5];
        size_t n;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            e[0] = char(c);
            n = 1;
        } else if (c == '\t' || c == '\n' || c == '\r' || c == 0x1b || c == '\\') {
            e[0] = '\\';
            e[1] = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == 0x1b ? 'e' : '\\';
            n = 2;
        } else {
            static const char hex[] = "0123456789abcdef";
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[c >> 4];
            e[3] = hex[c & 15];
            n = 4;
        }
        if (col + n > width - 1)
            break;
        out.append(e, n);
        col += n;
        if (buf[ptr++] == '\n') {
            bol = ptr;
            break;
        }
    }
    out += '\n';
    return ptr;
}

} // namespace

void errsnap_init(const config& cfg)
{
    if (g_area)
        return;
    uint32_t bufsize = std::max<uint32_t>(cfg.global.bufsize, 1024);
    size_t slot_size = (sizeof(errsnap) + bufsize + 63) & ~size_t(63);
    size_t np = cfg.proxies.size();
    size_t total = 64 + np * 2 * slot_size;
    void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return; // "show errors" then reports nothing; traffic is unaffected
    g_area = new (mem) errsnap_area{};
    g_area->nproxies = uint32_t(np);
    g_area->bufsize = bufsize;
    g_area->slot_size = uint32_t(slot_size);
    for (uint32_t i = 0; i < np * 2; i++)
        new (slot(i / 2, i % 2)) errsnap{};
}

void errsnap_record(stream* s, uint32_t side, const char* msg, size_t len, size_t err_pos,
                    const char* reason)
{
    if (!g_area || !s || side > 1)
        return;
    proxy* px = side == PTC_SIDE_CLIENT ? s->fe : s->be;
    if (!px)
        return;
    errsnap* es = slot(px->index, side);
    if (!es)
        return;
    proxy* oe = side == PTC_SIDE_CLIENT ? (s->be_selected ? s->be : nullptr) : s->fe;
    timeval tv;
    gettimeofday(&tv, nullptr);
    uint32_t keep = uint32_t(std::min<size_t>(msg ? len : 0, g_area->bufsize));
    uint32_t ev = g_area->events.fetch_add(1, std::memory_order_relaxed);
    es->lock.lock();
    es->m.used = 1;
    es->m.ev_id = ev;
    es->m.when_sec = tv.tv_sec;
    es->m.when_usec = int32_t(tv.tv_usec);
    es->m.oe = oe ? int32_t(oe->index) : -1;
    es->m.srv_id = s->srv ? int32_t(s->srv->id) : -1;
    snprintf(es->m.srv_name, sizeof(es->m.srv_name), "%s", s->srv ? s->srv->name.c_str() : "");
    std::memcpy(&es->m.src, &s->cli_addr, sizeof(es->m.src));
    es->m.len = keep;
    es->m.err = uint32_t(std::min<size_t>(err_pos, len));
    snprintf(es->m.reason, sizeof(es->m.reason), "%s", reason ? reason : "");
    if (keep)
        std::memcpy(es->bytes(), msg, keep);
    es->lock.unlock();
}

// show errors [{<iid>|<proxy>}] [request|response]
std::string cli_show_errors(const std::vector<std::string>& a)
{
    const config& cfg = *g_config;
    long iid = -1;
    if (a.size() > 2 && !a[2].empty()) {
        const std::string& w = a[2];
        char* end = nullptr;
        long v = strtol(w.c_str(), &end, 10);
        if (*end == '\0' && (w[0] == '-' || (w[0] >= '0' && w[0] <= '9'))) {
            iid = v;
        } else {
            iid = -2;
            for (auto& p : cfg.proxies)
                if (p->name == w && !(p->cap & CAP_DEFAULTS))
                    iid = long(p->index) + 2;
            if (iid == -2)
                return "No such proxy.\n";
        }
    }
    bool skip_req = a.size() > 3 && a[3] == "response";
    bool skip_res = a.size() > 3 && a[3] == "request";

    std::string out = "Total events captured on [";
    timeval tv;
    gettimeofday(&tv, nullptr);
    append_date(out, tv.tv_sec, int32_t(tv.tv_usec));
    out += "] : " + std::to_string(g_area ? g_area->events.load() : 0) + "\n";
    if (!g_area)
        return out;

    for (auto& pp : cfg.proxies) {
        const proxy& p = *pp;
        for (uint32_t side = 0; side < 2; side++) {
            if ((side == 0 && skip_req) || (side == 1 && skip_res))
                continue;
            errsnap* es = slot(p.index, side);
            if (!es)
                continue;
            // Copy under the lock: a worker may record a newer one meanwhile.
            es->lock.lock();
            if (!es->m.used) {
                es->lock.unlock();
                continue;
            }
            errsnap_meta h = es->m;
            std::string bytes(es->bytes(), es->m.len);
            es->lock.unlock();
            const proxy* oe = h.oe >= 0 && size_t(h.oe) < cfg.proxies.size()
                                  ? cfg.proxies[size_t(h.oe)].get()
                                  : nullptr;
            long puid = long(p.index) + 2;
            if (iid >= 0 && puid != iid && !(oe && long(oe->index) + 2 == iid))
                continue;
            out += " \n[";
            append_date(out, h.when_sec, h.when_usec);
            out += "]";
            char b[512];
            if (side == 0) {
                bool be = oe && (oe->cap & CAP_BE);
                snprintf(b, sizeof(b), " frontend %s (#%ld): invalid request\n  backend %s (#%ld)",
                         p.name.c_str(), puid, be ? oe->name.c_str() : "<NONE>",
                         be ? long(oe->index) + 2 : -1L);
            } else {
                snprintf(b, sizeof(b), " backend %s (#%ld): invalid response\n  frontend %s (#%ld)",
                         p.name.c_str(), puid, oe ? oe->name.c_str() : "<NONE>",
                         oe ? long(oe->index) + 2 : -1L);
            }
            out += b;
            std::string src = addr_ip(h.src);
            int port = (h.src.ss_family == AF_INET || h.src.ss_family == AF_INET6)
                           ? int(addr_port(h.src))
                           : 0;
            if (h.src.ss_family != AF_INET && h.src.ss_family != AF_INET6)
                src = "unix";
            snprintf(b, sizeof(b),
                     ", server %s (#%d), event #%u, src %s:%d\n"
                     "  buffer starts at 0 (including 0 out), %u free,\n"
                     "  len %u, wraps at %u, error at position %u\n",
                     h.srv_id >= 0 ? h.srv_name : "<NONE>", h.srv_id >= 0 ? h.srv_id : -1,
                     h.ev_id, src.c_str(), port, g_area->bufsize - h.len, h.len,
                     g_area->bufsize, h.err);
            out += b;
            out += "  H1 parser: ";
            out += h.reason[0] ? h.reason : "invalid message";
            out += " :\n  \n";
            size_t ptr = 0, bol = 0;
            while (ptr < bytes.size()) {
                size_t n = dump_line(out, bytes.data(), bytes.size(), ptr, bol);
                if (n == ptr)
                    break;
                ptr = n;
            }
        }
    }
    return out;
}

} // namespace portico

// SPDX-License-Identifier: MIT
// "ring" sections: in-memory log buffers shared by every process ("log ring@<name>"), read
// with the runtime API's "show events". Each ring is a byte buffer in a shared mapping made
// by the master before the workers fork; messages are stored as a 4-byte length and the
// bytes; a writer that needs room drops the oldest messages. Writers and the reader take a
// spin lock held for one copy.
#include <sys/mman.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cfg/units.hpp"
#include "log/log.hpp"
#include "proxy/proxy.hpp"
#include "shm/shm.hpp"

namespace portico::log {

struct ring_shm {
    shm_lock lock;
    uint32_t size;          // bytes of data[]
    uint64_t head;          // absolute write position
    uint64_t tail;          // absolute position of the oldest message kept
    uint64_t overwritten;   // oldest messages removed to make room
    uint64_t written;       // messages stored
    char* data() { return reinterpret_cast<char*>(this + 1); }
};

namespace {

void put(ring_shm* r, uint64_t pos, const void* src, size_t n)
{
    const char* s = static_cast<const char*>(src);
    while (n) {
        size_t off = size_t(pos % r->size);
        size_t k = std::min<size_t>(n, r->size - off);
        std::memcpy(r->data() + off, s, k);
        s += k;
        pos += k;
        n -= k;
    }
}

void get(ring_shm* r, uint64_t pos, void* dst, size_t n)
{
    char* d = static_cast<char*>(dst);
    while (n) {
        size_t off = size_t(pos % r->size);
        size_t k = std::min<size_t>(n, r->size - off);
        std::memcpy(d, r->data() + off, k);
        d += k;
        pos += k;
        n -= k;
    }
}

const char* const k_formats[] = {"local", "rfc3164", "rfc5424", "priority",
                                 "short", "timed",   "iso",     "raw"};

std::string join_rest(const std::vector<std::string>& a, size_t from)
{
    std::string s;
    for (size_t i = from; i < a.size(); i++) {
        if (i > from)
            s += ' ';
        s += a[i];
    }
    return s;
}

} // namespace

ring_conf* find_ring(const config& cfg, const std::string& name)
{
    if (!cfg.global.logs)
        return nullptr;
    for (auto& r : cfg.global.logs->rings)
        if (r->name == name)
            return r.get();
    return nullptr;
}

bool ring_open(config& cfg, const std::string& name, const std::string& file, int line,
               std::string& err)
{
    if (name.empty()) {
        err = "'ring' expects a name";
        return false;
    }
    if (!cfg.global.logs)
        cfg.global.logs = std::make_shared<global_log>();
    if (ring_conf* old = find_ring(cfg, name)) {
        err = "ring '" + name + "' already declared at " + old->file + ":" +
              std::to_string(old->line);
        return false;
    }
    auto r = std::make_shared<ring_conf>();
    r->name = name;
    r->file = file;
    r->line = line;
    r->size = cfg.global.bufsize;
    cfg.global.logs->rings.push_back(std::move(r));
    return true;
}

bool ring_keyword(config& cfg, const std::vector<std::string>& a, std::string& err,
                  std::string& warn)
{
    if (!cfg.global.logs || cfg.global.logs->rings.empty()) {
        err = "no ring section open";
        return false;
    }
    ring_conf& r = *cfg.global.logs->rings.back();
    const std::string& k = a[0];
    if (k == "description") {
        if (a.size() < 2) {
            err = "'description' expects a text";
            return false;
        }
        r.desc = join_rest(a, 1);
    } else if (k == "format") {
        int f = -1;
        for (int i = 0; i < 8 && a.size() == 2; i++)
            if (a[1] == k_formats[i])
                f = i;
        if (f < 0) {
            err = "'format' expects one of local, rfc3164, rfc5424, priority, short, timed, "
                  "iso, raw";
            return false;
        }
        r.format = hdr_format(f);
    } else if (k == "maxlen") {
        uint64_t n;
        if (a.size() != 2 || !cfg::parse_uint(a[1], 65535, n) || n == 0) {
            err = "'maxlen' expects a length between 1 and 65535";
            return false;
        }
        r.maxlen = uint32_t(n);
    } else if (k == "size") {
        uint64_t n;
        if (a.size() != 2 || !cfg::parse_size(a[1], n) || n > (1ull << 31)) {
            err = "'size' expects a size up to 2 GB";
            return false;
        }
        if (n < r.size) { // as HAProxy: a ring never gets smaller than tune.bufsize
            warn = "ignoring new size '" + a[1] + "' that is smaller than current size '" +
                   std::to_string(r.size) + "' for ring '" + r.name + "'";
            return true;
        }
        r.size = uint32_t(n);
    } else if (k == "timeout") {
        uint64_t ms;
        if (a.size() != 3 || (a[1] != "connect" && a[1] != "server") ||
            !cfg::parse_time_ms(a[2], ms)) {
            err = "'timeout' expects 'connect' or 'server' and a delay";
            return false;
        }
        // Only used to forward the ring to its "server" lines, which are refused.
    } else if (k == "server") {
        err = "'server' in a ring section (forwarding to a TCP syslog server) is not "
              "supported yet by portico";
        return false;
    } else {
        err = "unknown keyword '" + k + "' in 'ring' section (supported: description, format, "
              "maxlen, size, timeout)";
        return false;
    }
    return true;
}

void rings_check(config& cfg, std::vector<std::pair<const ring_conf*, std::string>>& warnings)
{
    if (!cfg.global.logs)
        return;
    for (auto& r : cfg.global.logs->rings)
        if (r->maxlen > r->size - 4) { // HAProxy forces it too (with a warning)
            warnings.emplace_back(r.get(), "ring '" + r->name + "' event max length '" +
                               std::to_string(r->maxlen) + "' exceeds size, forced to size '" +
                               std::to_string(r->size) + "'.");
            r->maxlen = r->size - 4; // each line is stored after its 4-byte length
        }
}

void rings_map(config& cfg)
{
    if (!cfg.global.logs)
        return;
    for (auto& r : cfg.global.logs->rings) {
        if (r->shm)
            continue;
        size_t total = sizeof(ring_shm) + r->size;
        void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
        if (mem == MAP_FAILED)
            continue; // the ring stays unmapped: its lines are dropped
        r->shm = new (mem) ring_shm{};
        r->shm->size = r->size;
    }
}

void ring_write(ring_conf& rc, const iovec* iov, int n)
{
    ring_shm* r = rc.shm;
    if (!r)
        return;
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += iov[i].iov_len;
    len = std::min<size_t>(len, rc.maxlen);
    uint32_t l32 = uint32_t(len);
    r->lock.lock();
    while (r->head + 4 + len - r->tail > r->size) {
        uint32_t old;
        get(r, r->tail, &old, 4);
        r->tail += 4 + old;
        r->overwritten++;
    }
    put(r, r->head, &l32, 4);
    uint64_t pos = r->head + 4;
    size_t left = len;
    for (int i = 0; i < n && left; i++) {
        size_t k = std::min(left, iov[i].iov_len);
        put(r, pos, iov[i].iov_base, k);
        pos += k;
        left -= k;
    }
    r->head += 4 + len;
    r->written++;
    r->lock.unlock();
}

std::string ring_dump(ring_conf& rc, bool only_new)
{
    uint64_t pos = only_new ? UINT64_MAX : 0;
    return ring_read(rc, pos);
}

std::string ring_read(ring_conf& rc, uint64_t& pos)
{
    ring_shm* r = rc.shm;
    if (!r)
        return std::string();
    std::string out;
    r->lock.lock();
    if (pos == UINT64_MAX)
        pos = r->head;
    uint64_t from = std::max(pos, r->tail); // lines overwritten since are lost
    out.reserve(size_t(r->head - from));
    uint64_t p = from;
    for (; p < r->head;) {
        uint32_t l;
        get(r, p, &l, 4);
        size_t at = out.size();
        out.resize(at + l);
        get(r, p + 4, out.data() + at, l);
        out += '\n';
        p += 4 + l;
    }
    pos = p;
    r->lock.unlock();
    return out;
}

uint64_t ring_overwritten(const ring_conf& rc)
{
    return rc.shm ? rc.shm->overwritten : 0;
}

} // namespace portico::log

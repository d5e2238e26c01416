// SPDX-License-Identifier: MIT
// The TLS ClientHello reader (see hello.hpp).
#include "hello.hpp"

#include <algorithm>

namespace hello {

namespace {

struct reader {
    const uint8_t* p;
    size_t n;
    size_t off = 0;
    bool ok = true;
    uint32_t get(size_t k) // big-endian integer of k bytes (k <= 3)
    {
        if (!ok || n - off < k) {
            ok = false;
            return 0;
        }
        uint32_t v = 0;
        for (size_t i = 0; i < k; i++)
            v = (v << 8) | p[off + i];
        off += k;
        return v;
    }
    std::string_view take(size_t k)
    {
        if (!ok || n - off < k) {
            ok = false;
            return {};
        }
        std::string_view v(reinterpret_cast<const char*>(p + off), k);
        off += k;
        return v;
    }
};

constexpr size_t k_max_hello = 16384; // a hello longer than one record is not waited for

} // namespace

status parse(const uint8_t* data, size_t len, info& out)
{
    out = info{};
    if (len < 1)
        return status::need_more;
    if (data[0] != 0x16) // handshake record
        return status::not_tls;
    if (len < 5)
        return status::need_more;
    out.record_ver = (uint16_t)((data[1] << 8) | data[2]);
    if (data[1] != 3)
        return status::not_tls;
    size_t rlen = (size_t)(data[3] << 8) | data[4];
    if (rlen < 4 || rlen > k_max_hello + 2048)
        return status::not_tls;
    if (len < 6)
        return status::need_more;
    out.hello_type = data[5];
    if (out.hello_type != 1)
        return status::ok; // some other handshake message: type and version only
    if (len < 5 + rlen)
        return status::need_more;
    // the ClientHello must fit the first record (what every client sends)
    reader r{data + 5, rlen};
    r.get(1); // type
    size_t hlen = r.get(3);
    if (!r.ok || hlen + 4 > rlen)
        return status::not_tls;
    reader h{data + 9, hlen};
    out.hello_ver = (uint16_t)h.get(2);
    out.best_ver = out.hello_ver;
    h.take(32);               // random
    h.take(h.get(1));         // session id
    h.take(h.get(2));         // cipher suites
    h.take(h.get(1));         // compression methods
    if (!h.ok)
        return status::not_tls;
    if (h.off == h.n)
        return status::ok; // no extensions
    size_t elen = h.get(2);
    std::string_view ext = h.take(elen);
    if (!h.ok)
        return status::not_tls;
    reader e{reinterpret_cast<const uint8_t*>(ext.data()), ext.size()};
    while (e.ok && e.off < e.n) {
        uint32_t type = e.get(2);
        size_t l = e.get(2);
        std::string_view v = e.take(l);
        if (!e.ok)
            return status::not_tls;
        reader x{reinterpret_cast<const uint8_t*>(v.data()), v.size()};
        if (type == 0) { // server_name
            size_t listlen = x.get(2);
            reader sl{x.p + x.off, std::min(listlen, x.n - x.off)};
            while (x.ok && sl.ok && sl.off < sl.n) {
                uint32_t nt = sl.get(1);
                std::string_view name = sl.take(sl.get(2));
                if (sl.ok && nt == 0 && out.sni.empty())
                    out.sni = name;
            }
        } else if (type == 16) { // application_layer_protocol_negotiation
            size_t listlen = x.get(2);
            std::string_view list = x.take(listlen);
            if (x.ok)
                out.alpn = list;
        } else if (type == 43) { // supported_versions
            size_t listlen = x.get(1);
            for (size_t i = 0; x.ok && i + 1 < listlen + 1 && i < listlen; i += 2) {
                uint16_t v2 = (uint16_t)x.get(2);
                if (!x.ok)
                    break;
                if ((v2 & 0x0f0f) == 0x0a0a)
                    continue; // GREASE
                if (v2 > out.best_ver && (v2 >> 8) == 3)
                    out.best_ver = v2;
            }
        }
    }
    return e.ok ? status::ok : status::not_tls;
}

std::string_view first_alpn(std::string_view wire)
{
    if (wire.empty())
        return {};
    size_t l = (uint8_t)wire[0];
    if (l == 0 || l + 1 > wire.size())
        return {};
    return wire.substr(1, l);
}

} // namespace hello

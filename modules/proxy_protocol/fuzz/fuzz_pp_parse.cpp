// SPDX-License-Identifier: MIT
// libFuzzer target for pp::parse: whole-buffer parse, byte-by-byte feeding must agree with it.
#include "pp_parse.hpp"

#include <cstdlib>
#include <cstring>

namespace {

[[noreturn]] void fail(const char* what)
{
    __builtin_printf("fuzz_pp_parse: %s\n", what);
    abort();
}

bool same(const pp::header& a, const pp::header& b)
{
    if (a.version != b.version || a.local != b.local || a.dgram != b.dgram ||
        a.family != b.family || a.addrlen != b.addrlen || a.length != b.length ||
        a.tlv_count != b.tlv_count || a.has_ssl != b.has_ssl || a.ssl_client != b.ssl_client ||
        a.ssl_verify != b.ssl_verify || a.crc_checked != b.crc_checked)
        return false;
    if (memcmp(&a.src, &b.src, sizeof(a.src)) != 0 || memcmp(&a.dst, &b.dst, sizeof(a.dst)) != 0)
        return false;
    for (uint16_t i = 0; i < a.tlv_count; i++)
        if (a.tlvs[i].type != b.tlvs[i].type || a.tlvs[i].parent != b.tlvs[i].parent ||
            a.tlvs[i].len != b.tlvs[i].len || a.tlvs[i].off != b.tlvs[i].off)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static pp::header whole, part; // large: keep them off the stack
    const char* err = nullptr;
    pp::status st = pp::parse(data, size, whole, &err);
    if (st == pp::status::error && (!err || !*err))
        fail("error without a reason");
    if (st == pp::status::ok) {
        if (whole.length == 0 || whole.length > size)
            fail("ok with a bad length");
        for (uint16_t i = 0; i < whole.tlv_count; i++) {
            const pp::tlv& t = whole.tlvs[i];
            if ((size_t)t.off + t.len > whole.length)
                fail("TLV outside the header");
            if (t.parent != pp::PP_NO_PARENT && t.parent >= i)
                fail("bad TLV parent");
        }
    }

    // Feed one more byte at a time, as a slow peer would: the first answer other than
    // need_more must be the whole-buffer answer.
    pp::status pst = pp::status::need_more;
    for (size_t n = 0; n <= size; n++) {
        pst = pp::parse(data, n, part, nullptr);
        if (pst != pp::status::need_more)
            break;
    }
    if (pst != st)
        fail("byte-by-byte parse disagrees with the whole buffer");
    if (st == pp::status::ok && !same(whole, part))
        fail("byte-by-byte header differs");

    // A buffer limit just under the header's length must turn it into an error.
    if (st == pp::status::ok &&
        pp::parse(data, size, part, nullptr, whole.length - 1) != pp::status::error)
        fail("max_len not enforced");
    return 0;
}

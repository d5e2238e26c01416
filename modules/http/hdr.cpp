// SPDX-License-Identifier: MIT
// Header index of a pending head (offsets into the channel) and in-place header edits.
#include <cstring>

#include "http_int.hpp"

namespace portico::http {

namespace {

// Start of the line following header <i> (the next header or the terminating empty line).
uint32_t line_end(const head_index& idx, uint32_t i)
{
    return i + 1 < idx.count ? idx.hdr[i + 1].name_off : idx.eoh_off;
}


// Removes header <i> from the channel and the index.
int remove_line(ptc_stream* s, uint32_t dir, head_index& idx, uint32_t i)
{
    uint32_t off = idx.hdr[i].name_off;
    uint32_t len = line_end(idx, i) - off;
    if (host->chan_replace(s, dir, off, len, nullptr, 0) != PTC_OK)
        return PTC_ERROR;
    for (uint32_t j = i + 1; j < idx.count; ++j) {
        idx.hdr[j].name_off -= len;
        idx.hdr[j].value_off -= len;
        idx.hdr[j - 1] = idx.hdr[j];
    }
    --idx.count;
    idx.eoh_off -= len;
    idx.head_len -= len;
    return PTC_OK;
}

} // namespace

void index_head(head_index& idx, const char* base, const h1::header* h, size_t n,
                size_t head_len)
{
    idx.head_len = uint32_t(head_len);
    // The block ends with CRLF or a bare LF (the parser accepts both).
    idx.eoh_off = uint32_t(head_len >= 2 && base[head_len - 2] == '\r' ? head_len - 2
                                                                       : head_len - 1);
    idx.count = uint32_t(n);
    for (size_t i = 0; i < n; ++i) {
        hdr_ref& r = idx.hdr[i];
        r.name_off = uint32_t(h[i].name.data() - base);
        r.name_len = uint16_t(h[i].name.size());
        r.value_off = uint32_t(h[i].value.data() - base);
        r.value_len = uint32_t(h[i].value.size());
    }
}

const char* pending(ptc_stream* s, uint32_t dir)
{
    ptc_str d;
    host->chan_data(s, dir, &d);
    return d.ptr;
}

int index_find(const head_index& idx, const char* base, std::string_view name, uint32_t occ)
{
    for (uint32_t i = 0; i < idx.count; ++i) {
        if (idx.hdr[i].name_len == name.size() && h1::ieq(name_of(idx, base, i), name) &&
            occ-- == 0)
            return int(i);
    }
    return -1;
}

bool index_conn_has(const head_index& idx, const char* base, std::string_view token)
{
    for (uint32_t i = 0; i < idx.count; ++i) {
        if (!h1::ieq(name_of(idx, base, i), "connection"))
            continue;
        h1::list_iter it(value_of(idx, base, i));
        std::string_view item;
        while (it.next(item))
            if (h1::ieq(item, token))
                return true;
    }
    return false;
}

int head_add(ptc_stream* s, uint32_t dir, head_index& idx, std::string_view name,
             std::string_view value)
{
    if (idx.count >= max_hdr_cap || name.size() > UINT16_MAX || name.empty())
        return PTC_ERROR;
    // Built in a work buffer: one chan_replace call.
    size_t cap;
    char* line = work_buf(2, &cap);
    size_t len = name.size() + 2 + value.size() + 2;
    if (len > cap)
        return PTC_ERROR;
    memcpy(line, name.data(), name.size());
    memcpy(line + name.size(), ": ", 2);
    memcpy(line + name.size() + 2, value.data(), value.size());
    memcpy(line + len - 2, "\r\n", 2);
    uint32_t off = idx.eoh_off;
    if (host->chan_replace(s, dir, off, 0, line, len) != PTC_OK)
        return PTC_ERROR;
    hdr_ref& r = idx.hdr[idx.count++];
    r.name_off = off;
    r.name_len = uint16_t(name.size());
    r.value_off = uint32_t(off + name.size() + 2);
    r.value_len = uint32_t(value.size());
    idx.eoh_off += uint32_t(len);
    idx.head_len += uint32_t(len);
    return PTC_OK;
}

int head_edit(ptc_stream* s, uint32_t dir, head_index& idx, uint32_t off, uint32_t len,
              std::string_view data)
{
    if (host->chan_replace(s, dir, off, len, data.data(), data.size()) != PTC_OK)
        return PTC_ERROR;
    int64_t delta = int64_t(data.size()) - int64_t(len);
    if (!delta)
        return PTC_OK;
    for (uint32_t j = 0; j < idx.count; ++j) {
        hdr_ref& r = idx.hdr[j];
        if (r.name_off >= off + len)
            r.name_off = uint32_t(r.name_off + delta);
        // the edit is inside this value (an empty value replaced included: its offset is
        // where the edit starts, and the value grows rather than moves)
        if (r.value_off <= off && r.value_off + r.value_len >= off + len)
            r.value_len = uint32_t(r.value_len + delta);
        else if (r.value_off >= off + len)
            r.value_off = uint32_t(r.value_off + delta);
    }
    idx.eoh_off = uint32_t(idx.eoh_off + delta);
    idx.head_len = uint32_t(idx.head_len + delta);
    return PTC_OK;
}

int head_remove(ptc_stream* s, uint32_t dir, head_index& idx, uint32_t i)
{
    return remove_line(s, dir, idx, i);
}

int head_del(ptc_stream* s, uint32_t dir, head_index& idx, const char* base,
             std::string_view name)
{
    // A removal may move the buffer: <base> is fetched again after each one.
    int removed = 0;
    for (uint32_t i = 0; i < idx.count;) {
        if (idx.hdr[i].name_len != name.size() || !h1::ieq(name_of(idx, base, i), name)) {
            ++i;
            continue;
        }
        if (remove_line(s, dir, idx, i) != PTC_OK)
            return PTC_ERROR;
        ++removed;
        ptc_str d;
        host->chan_data(s, dir, &d);
        base = d.ptr;
    }
    return removed ? PTC_OK : PTC_ERROR;
}

bool head_del_conn_only(ptc_stream* s, uint32_t dir, head_index& idx, const char* base,
                        std::string_view token)
{
    for (uint32_t i = 0; i < idx.count; ++i) {
        if (h1::ieq(name_of(idx, base, i), "connection") &&
            h1::ieq(value_of(idx, base, i), token))
            return remove_line(s, dir, idx, i) == PTC_OK;
    }
    return false;
}

} // namespace portico::http

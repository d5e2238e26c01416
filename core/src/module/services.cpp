// SPDX-License-Identifier: MIT
// ABI 1.5 HTTP services: a registry of named services (copied descriptors), filled in the
// master before the workers fork and read-only afterwards.
#include "module/services.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>

#include "module/module.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

struct svc_rec {
    ptc_service svc{};
    module_rec* owner = nullptr;
};

// A deque: the addresses handed out by service_find stay valid as services are added.
std::deque<svc_rec>& registry()
{
    static std::deque<svc_rec> r;
    return r;
}

bool valid_name(const char* n)
{
    if (!n || !*n)
        return false;
    for (const char* p = n; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

} // namespace

int host_service_register(ptc_modref* self, const ptc_service* svc, uint32_t size)
{
    const char* who = self ? to_module(self)->name.c_str() : "core";
    svc_rec r;
    if (svc)
        std::memcpy(&r.svc, svc, std::min<size_t>(size, sizeof(r.svc)));
    if (!svc || size < offsetof(ptc_service, release) || !valid_name(r.svc.name) ||
        !r.svc.run) {
        PTC_ALERT("module %s: service_register: malformed service", who);
        return PTC_ERROR;
    }
    r.svc.size = sizeof(r.svc);
    if (host_service_find({r.svc.name, std::strlen(r.svc.name)})) {
        PTC_ALERT("module %s: service_register: a service named '%s' already exists", who,
                  r.svc.name);
        return PTC_ERROR;
    }
    r.owner = self ? to_module(self) : nullptr;
    registry().push_back(r);
    return PTC_OK;
}

const ptc_service* host_service_find(ptc_str name)
{
    std::string_view n(name.ptr, name.len);
    for (auto& r : registry())
        if (n == r.svc.name)
            return &r.svc;
    return nullptr;
}

const ptc_service* host_service_match(ptc_proxy* px, ptc_str uri, const void** arg)
{
    for (auto& r : registry()) {
        if (!r.svc.match)
            continue;
        const void* a = nullptr;
        if (r.svc.match(px, uri, &a) == 1) {
            if (arg)
                *arg = a;
            return &r.svc;
        }
    }
    return nullptr;
}

std::string service_names()
{
    std::string out;
    for (auto& r : registry())
        out += (out.empty() ? "" : " ") + std::string(r.svc.name);
    return out;
}

std::vector<std::string> host_service_names()
{
    std::vector<std::string> out;
    for (auto& r : registry())
        out.push_back(r.svc.name);
    return out;
}

} // namespace portico

// SPDX-License-Identifier: MIT
// Error messages: the status codes that may be customised, errorfile loading, the
// "http-errors" sections and the resolution of "errorfiles" imports.
#include "proxy/errorfiles.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cfg/units.hpp"
#include "proxy/proxy.hpp"

namespace portico {

size_t g_errorfile_max = 16384 - 1024;

namespace {

const int k_codes[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425,
                       429, 500, 501, 502, 503, 504};

} // namespace

bool errorfile_code(const std::string& text, const char* kw, int& code, std::string& err)
{
    uint64_t v;
    if (!cfg::parse_uint(text, 999, v)) {
        err = std::string("'") + kw + "' expects a status code, got '" + text + "'";
        return false;
    }
    for (int k : k_codes)
        if ((int)v == k) {
            code = k;
            return true;
        }
    err = std::string("'") + kw + "': status code " + text + " cannot be customised";
    return false;
}

bool errorfile_load(const std::string& code_text, const std::string& path, const char* kw,
                    int& code, std::string& body, std::string& err)
{
    if (!errorfile_code(code_text, kw, code, err))
        return false;
    FILE* f = fopen(path.c_str(), "rb");
    if (!f) {
        err = std::string("'") + kw + "': cannot open '" + path + "': " + strerror(errno);
        return false;
    }
    body.clear();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        body.append(buf, n);
    fclose(f);
    if (body.size() > g_errorfile_max) {
        err = std::string("'") + kw + "': '" + path + "' is larger than the buffer " +
              "(tune.bufsize minus tune.maxrewrite)";
        return false;
    }
    // an empty file (/dev/null): nothing is sent, the connection is closed
    if (!body.empty() && body.rfind("HTTP/1.", 0) != 0) {
        err = std::string("'") + kw + "': '" + path + "' must hold a complete HTTP response";
        return false;
    }
    return true;
}

const char* errorfile_reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Time-out";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Time-out";
    default: return "Unknown";
    }
}

bool http_errors_open(config& cfg, const std::vector<std::string>& args, std::string& cur,
                      std::string& err)
{
    if (args.size() != 2 || args[1].empty()) {
        err = "'http-errors' expects <name> as argument";
        return false;
    }
    if (cfg.http_errors.count(args[1])) {
        err = "http-errors section '" + args[1] + "' already declared";
        return false;
    }
    cfg.http_errors[args[1]];
    cur = args[1];
    return true;
}

bool http_errors_keyword(config& cfg, const std::string& cur,
                         const std::vector<std::string>& args, std::string& err)
{
    if (args[0] != "errorfile") {
        err = "unknown keyword '" + args[0] + "' in 'http-errors' section";
        return false;
    }
    if (args.size() != 3) {
        err = "'errorfile' expects <code> and <file> as arguments";
        return false;
    }
    int code;
    std::string body;
    if (!errorfile_load(args[1], args[2], "errorfile", code, body, err))
        return false;
    cfg.http_errors[cur][code] = body;
    return true;
}

bool errorfiles_resolve(config& cfg, std::string& err)
{
    for (auto& up : cfg.proxies) {
        proxy& p = *up;
        for (auto& r : p.errorfiles_refs) {
            auto sec = cfg.http_errors.find(r.name);
            if (sec == cfg.http_errors.end()) {
                err = r.file + ":" + std::to_string(r.line) + ": proxy '" + p.name +
                      "': unknown http-errors section '" + r.name + "'";
                return false;
            }
            for (auto& [code, body] : sec->second) {
                if (!r.codes.empty()) {
                    bool listed = false;
                    for (int c : r.codes)
                        listed |= c == code;
                    if (!listed)
                        continue;
                }
                auto seq = p.errorfile_seq.find(code);
                if (seq != p.errorfile_seq.end() && seq->second > r.seq)
                    continue; // an errorfile line after the import wins
                p.errorfiles[code] = body;
                p.errorfile_seq[code] = r.seq;
            }
        }
    }
    return true;
}

} // namespace portico

// SPDX-License-Identifier: MIT
// Error messages: "errorfile", "errorfiles", "http-error" (proxy keywords, in
// core_keywords.cpp) and the "http-errors" sections they import from.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace portico {

struct config;

// <text> names a status code HAProxy lets a configuration customise; false with <err>.
bool errorfile_code(const std::string& text, const char* kw, int& code, std::string& err);
// Reads an errorfile (a complete HTTP/1 response, at most a buffer minus maxrewrite).
bool errorfile_load(const std::string& code_text, const std::string& path, const char* kw,
                    int& code, std::string& body, std::string& err);
const char* errorfile_reason(int code);
// The value of a proxy's errorfiles[code] whose message is built per use (proxy::dyn_errors):
// no HTTP message starts with a NUL byte.
inline constexpr char dyn_error_marker[] = "\0portico-dynamic-http-error";
// The largest message: tune.bufsize minus tune.maxrewrite (set as they are parsed).
extern size_t g_errorfile_max;

// "http-errors <name>" and its "errorfile <code> <file>" lines.
bool http_errors_open(config& cfg, const std::vector<std::string>& args, std::string& cur,
                      std::string& err);
bool http_errors_keyword(config& cfg, const std::string& cur,
                         const std::vector<std::string>& args, std::string& err);
// After the whole configuration: the proxies' "errorfiles" imports. False with <err>
// ("file:line: ...") for a section that does not exist.
bool errorfiles_resolve(config& cfg, std::string& err);

} // namespace portico

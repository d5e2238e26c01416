// SPDX-License-Identifier: MIT
// Generated responses: HAProxy-compatible error pages, reason phrases and local replies.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "http_int.hpp"

namespace portico::http {

namespace {

// An error page: status, wire style, reason phrase and the sentence of its HTML body.
// <raw> pages are the ones HAProxy's HTTP/1 layer emits itself while parsing a request
// (header names capitalised, "Connection: close" always present); the others are emitted
// after the request was parsed (lower-case names, "connection: close" only when the client
// connection was already meant to close). The connection is closed after either kind.
struct err_def {
    int status;
    bool raw;
    const char* reason;
    const char* text;
};

constexpr err_def err_defs[] = {
    {200, false, "OK", "Service ready."},
    {400, true, "Bad request", "Your browser sent an invalid request."},
    {403, false, "Forbidden", "Request forbidden by administrative rules."},
    {404, false, "Not Found", "The resource could not be found."},
    {405, false, "Method Not Allowed",
     "A request was made of a resource using a request method not supported by that resource"},
    {408, true, "Request Time-out", "Your browser didn't send a complete request in time."},
    {410, false, "Gone", "The resource is no longer available and will not be available again."},
    {413, false, "Payload Too Large", "The request entity exceeds the maximum allowed."},
    {414, true, "URI Too Long", "The URI provided was too long for the server to process."},
    {421, false, "Misdirected Request", "Request sent to a non-authoritative server."},
    {425, false, "Too Early", "Your browser sent early data."},
    {429, false, "Too Many Requests", "You have sent too many requests in a given amount of time."},
    {431, true, "Request Header Fields Too Large", "Request Header Fields Too Large."},
    {500, false, "Internal Server Error", "An internal server error occurred."},
    {501, true, "Not Implemented",
     "The server does not support the functionality required to fulfill the request."},
    {502, false, "Bad Gateway", "The server returned an invalid or incomplete response."},
    {503, false, "Service Unavailable", "No server is available to handle this request."},
    {504, false, "Gateway Time-out", "The server didn't respond in time."},
    {505, true, "HTTP Version Not Supported", "The HTTP version of the request is not supported."},
};

struct err_page {
    int status;
    std::string plain; // as emitted when the connection was not already meant to close
    std::string close; // with "connection: close" (same as plain for raw pages)
};

std::vector<err_page> pages; // built once by build_error_pages(), read-only afterwards

std::string render(const err_def& d, bool close_hdr)
{
    std::string body = "<html><body><h1>" + std::to_string(d.status) + " " + d.reason +
                       "</h1>\n" + d.text + "\n</body></html>\n";
    std::string len = std::to_string(body.size());
    std::string head = "HTTP/1.1 " + std::to_string(d.status) + " " + d.reason + "\r\n";
    if (d.raw)
        head += "Content-length: " + len + "\r\nCache-Control: no-cache\r\n"
                "Connection: close\r\nContent-Type: text/html\r\n\r\n";
    else
        head += "content-length: " + len + "\r\ncache-control: no-cache\r\n"
                "content-type: text/html\r\n" + (close_hdr ? "connection: close\r\n" : "") +
                "\r\n";
    return head + body;
}

// Drops stale pending response bytes so that what we append is what we forward next.
void res_clear(ptc_stream* s)
{
    ptc_str d;
    host->chan_data(s, PTC_DIR_RES, &d);
    if (d.len)
        host->chan_skip(s, PTC_DIR_RES, d.len);
}

bool bodiless(int status) { return status < 200 || status == 204 || status == 304; }

} // namespace

void build_error_pages()
{
    if (!pages.empty())
        return;
    for (const err_def& d : err_defs)
        pages.push_back({d.status, render(d, false), render(d, true)});
}

std::string_view error_page(int status, bool close_hdr)
{
    const err_page* fallback = nullptr;
    for (const err_page& p : pages) {
        if (p.status == status)
            return close_hdr ? p.close : p.plain;
        if (p.status == 500)
            fallback = &p;
    }
    if (!fallback)
        return {};
    return close_hdr ? fallback->close : fallback->plain;
}

const char* reason_phrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 210: return "Content Different";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 310: return "Too many Redirects";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Time-out";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested range unsatisfiable";
    case 417: return "Expectation failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable entity";
    case 423: return "Locked";
    case 424: return "Method failure";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 449: return "Retry With";
    case 450: return "Blocked by Windows Parental Controls";
    case 451: return "Unavailable For Legal Reasons";
    case 456: return "Unrecoverable Error";
    case 499: return "client has closed connection";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway or Proxy Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Time-out";
    case 505: return "HTTP Version not supported";
    case 506: return "Variant also negotiate";
    case 507: return "Insufficient storage";
    case 508: return "Loop detected";
    case 509: return "Bandwidth Limit Exceeded";
    case 510: return "Not extended";
    case 511: return "Network authentication required";
    case 520: return "Web server is returning an unknown error";
    default: break;
    }
    if (status >= 100 && status < 200) return "Informational";
    if (status >= 200 && status < 300) return "Success";
    if (status >= 300 && status < 400) return "Redirection";
    if (status >= 400 && status < 500) return "Client Error";
    if (status >= 500 && status < 600) return "Server Error";
    return "Other";
}

int send_generated(ptc_stream* s, int status, std::string_view ctype, std::string_view body,
                   std::string_view conn)
{
    if (status < 100 || status > 999 || ctype.size() > 512 || conn.size() > 32)
        return PTC_ERROR;
    if (bodiless(status))
        body = {};
    char head[768];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
    if (!bodiless(status))
        n += snprintf(head + n, sizeof(head) - n, "content-length: %zu\r\n", body.size());
    if (!body.empty() && !ctype.empty())
        n += snprintf(head + n, sizeof(head) - n, "content-type: %.*s\r\n", int(ctype.size()),
                      ctype.data());
    if (!conn.empty())
        n += snprintf(head + n, sizeof(head) - n, "connection: %.*s\r\n", int(conn.size()),
                      conn.data());
    n += snprintf(head + n, sizeof(head) - n, "\r\n");
    res_clear(s);
    if (host->chan_append(s, PTC_DIR_RES, head, size_t(n)) != PTC_OK ||
        (!body.empty() && host->chan_append(s, PTC_DIR_RES, body.data(), body.size()) != PTC_OK))
        return PTC_ERROR;
    return emit_generated(s, txn_of(s), size_t(n) + body.size(), false);
}

} // namespace portico::http

/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the API the http module publishes for other modules (hooks, Lua). */
#ifndef PORTICO_HTTP_H
#define PORTICO_HTTP_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Published by the http module with host->api_publish(PTC_HTTP_API_NAME, ...).
 * Look it up in post_config():
 *     const ptc_http_api *http = host->api_lookup(PTC_HTTP_API_NAME, 1, NULL);
 * Request functions work from PTC_PHASE_HTTP_REQUEST until the request was
 * forwarded; response functions during PTC_PHASE_HTTP_RESPONSE. They return
 * PTC_OK, or PTC_ERROR when called outside their phase, when a header is
 * absent, or when the edit does not fit in the buffer. Returned strings point
 * into the stream's buffer and stay valid until the next edit or until the
 * hook returns.
 *
 * Grows at its end only; check `size` for functions added later.
 */
#define PTC_HTTP_API_NAME    "http"
#define PTC_HTTP_API_VERSION 1u

typedef struct ptc_http_api {
    uint32_t size; /* sizeof(ptc_http_api) as the http module knows it */

    int (*req_method)(ptc_stream *s, ptc_str *out);
    int (*req_uri)(ptc_stream *s, ptc_str *out);  /* request target as received */
    int (*req_path)(ptc_stream *s, ptc_str *out); /* target without query string */
    /** Value of the `occ`-th (0-based) occurrence of header `name`. */
    int (*req_hdr)(ptc_stream *s, ptc_str name, uint32_t occ, ptc_str *out);
    int (*req_hdr_add)(ptc_stream *s, ptc_str name, ptc_str value);
    /** Replace every occurrence of `name` by one header with `value`. */
    int (*req_hdr_set)(ptc_stream *s, ptc_str name, ptc_str value);
    int (*req_hdr_del)(ptc_stream *s, ptc_str name);

    int (*res_status)(ptc_stream *s); /* status code, or PTC_ERROR */
    int (*res_hdr)(ptc_stream *s, ptc_str name, uint32_t occ, ptc_str *out);
    int (*res_hdr_add)(ptc_stream *s, ptc_str name, ptc_str value);
    int (*res_hdr_set)(ptc_stream *s, ptc_str name, ptc_str value);
    int (*res_hdr_del)(ptc_stream *s, ptc_str name);

    /** Answer the current request with a generated response instead of
     *  forwarding it (a hook then returns PTC_STOP). */
    int (*reply)(ptc_stream *s, int status, ptc_str content_type, ptc_str body);

    /* ---- later additions (check `size`) ---- */
    /** Rewrite a part of the request line (PTC_HTTP_LINE_*), as the http-request
     *  set-method / set-path / set-query / set-uri actions do: PTC_ERROR when the value
     *  would break the line (spaces, CR, LF, NUL) or does not fit. */
    int (*req_set_line)(ptc_stream *s, uint32_t part, ptc_str value);
    /** Set the response's status code and reason (HAProxy's reason phrase for the code
     *  when `reason` is empty), as http-response set-status. */
    int (*res_set_status)(ptc_stream *s, int status, ptc_str reason);
    /** Answer with a response the caller wrote, as the "return" action answers (from a
     *  request or response rule): `head` is the status line and the header fields, each
     *  line ending with CRLF, without the empty line that ends the header block; `body`
     *  follows it. Returns the PTC_ACT_* result the rule returns (PTC_ACT_DONE), or
     *  PTC_ACT_ERROR for a malformed head. (Lua's txn:reply.) */
    int (*reply_raw)(ptc_stream *s, int status, ptc_str head, ptc_str body);
    /** HAProxy's reason phrase for a status code ("Not Found"). */
    const char *(*reason_phrase)(int status);
} ptc_http_api;

/* Parts of the request line for req_set_line. */
#define PTC_HTTP_LINE_METHOD 1u
#define PTC_HTTP_LINE_PATH   2u /* the path, the query string kept */
#define PTC_HTTP_LINE_QUERY  3u /* the query string, without '?' ("" removes it) */
#define PTC_HTTP_LINE_URI    4u /* the whole target */

#ifdef __cplusplus
}
#endif

#endif

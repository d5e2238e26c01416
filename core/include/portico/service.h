/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: HTTP services (applets) that generate a response themselves (since 1.5). */
#ifndef PORTICO_SERVICE_H
#define PORTICO_SERVICE_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An HTTP service answers a request by generating the response instead of
 * connecting to a server: the stats page ("stats uri"), the Prometheus exporter
 * and Lua services ("http-request use-service <name>").
 *
 * The core or a module registers a service by name (host->service_register).
 * The protocol module that parses HTTP (the *runner*: the http module) selects
 * it, either with the "http-request use-service <name>" action, or because the
 * service's match() claimed the request URI for the proxy (the stats page's
 * "stats uri"), and then:
 *
 *   1. waits for the request head and, when the service wants one (max_body > 0),
 *      for its body (Content-Length bodies up to max_body bytes);
 *   2. allocates a ptc_svc_txn and ctx_size bytes of zeroed service state, and
 *      calls run(). During this first call the request is still pending in the
 *      stream: sample fetches, ACLs and the http API (http.h) work on it, and
 *      the ptc_svc_txn request fields point into the stream's buffer (valid
 *      until run() returns: copy what is kept);
 *   3. the service sets the status (ops->res_status), adds header fields
 *      (ops->res_hdr_add) and writes body bytes (ops->res_write) as long as
 *      ops->res_room() says there is room. The head leaves with the first
 *      res_write, or when run() returns. Without a "content-length" field the
 *      runner frames the body itself (chunked for HTTP/1.1 clients, close-
 *      delimited for HTTP/1.0). For HEAD requests the runner drops body bytes
 *      and adds no framing field (no "content-length: 0"); a "transfer-encoding"
 *      the service adds is kept in a HEAD answer only;
 *      A service chosen by "use-service" has its head go through the backend's
 *      then the frontend's http-response rules once run() returned (they may
 *      wait); body bytes written before that are held back (res_room() counts
 *      them) and leave after the head;
 *   4. run() returns PTC_YIELD while more is to come: the runner calls it again
 *      when the client drained the output (or after host->stream_wake()), never
 *      blocking the event loop and never holding more than one buffer of the
 *      response; PTC_OK when the response is complete; PTC_ERROR to abort (a
 *      500 when no byte left yet, else the connection is closed);
 *   5. release() (may be NULL) is called once, when the response is complete or
 *      the stream ends, to free what ctx holds.
 *
 * A service runs in a worker. The runner owns the HTTP framing, the connection
 * header, keep-alive and the log line (the status the service set is logged).
 */

typedef struct ptc_svc_txn ptc_svc_txn;

/* The functions a runner provides to the service for one request (since 1.5). */
typedef struct ptc_svc_ops {
    uint32_t size; /* sizeof(ptc_svc_ops) as the runner knows it */
    /** The `occ`-th (0-based) request header field named `name` (case-insensitive).
     *  PTC_OK, or PTC_ERROR when absent or after the first run() call returned. */
    int (*req_hdr)(ptc_svc_txn *t, ptc_str name, uint32_t occ, ptc_str *out);
    /** Set the response status (default 200) and, optionally, its reason (empty:
     *  the standard one). PTC_ERROR once the head left. */
    int (*res_status)(ptc_svc_txn *t, int status, ptc_str reason);
    /** Add a response header field (copied). "content-length" makes the runner
     *  send the body as is; "connection" and "transfer-encoding" are the
     *  runner's (ignored; a "transfer-encoding" is kept in a HEAD answer).
     *  PTC_ERROR once the head left or too many fields. */
    int (*res_hdr_add)(ptc_svc_txn *t, ptc_str name, ptc_str value);
    /** Bytes of body that res_write() accepts now (0: return PTC_YIELD). */
    size_t (*res_room)(ptc_svc_txn *t);
    /** Send body bytes (sends the head first if it did not leave yet). Returns the
     *  number of bytes taken (at most res_room()). */
    size_t (*res_write)(ptc_svc_txn *t, const void *data, size_t len);
} ptc_svc_ops;

/* ptc_svc_txn.flags */
#define PTC_SVC_F_HEAD      0x0001u /* HEAD request: body bytes are dropped by the runner */
#define PTC_SVC_F_BODY_TRUNC 0x0002u /* the request had a body the runner did not read
                                         (chunked, or larger than max_body) */

/* One request handed to a service (allocated by the runner, since 1.5). */
struct ptc_svc_txn {
    uint32_t size;           /* sizeof(ptc_svc_txn) as the runner knows it */
    uint32_t flags;          /* PTC_SVC_F_* */
    ptc_stream *stream;      /* the stream (valid while the service runs) */
    ptc_proxy *proxy;        /* the proxy whose rule or match() selected the service */
    const void *arg;         /* match()'s *arg, or NULL for use-service */
    ptc_str method;          /* "GET", "POST"... (first run() call only) */
    ptc_str uri;             /* the request target as received (first call only) */
    ptc_str body;            /* the request body, at most max_body bytes (first call) */
    uint32_t http_minor;     /* HTTP/1.<minor> of the request */
    uint32_t calls;          /* run() calls before this one (0 on the first) */
    void *ctx;               /* ctx_size bytes of zeroed service state */
    const ptc_svc_ops *ops;  /* the runner's functions */
    void *runner;            /* the runner's own (do not touch) */
};

/* A service's descriptor (host->service_register, since 1.5). */
typedef struct ptc_service {
    uint32_t size;           /* sizeof(ptc_service) as the module knows it */
    uint32_t flags;          /* 0 */
    const char *name;        /* "stats", "prometheus-exporter", "lua.hello" */
    uint32_t ctx_size;       /* bytes of per-request state (ptc_svc_txn.ctx) */
    uint32_t max_body;       /* request body bytes the service wants (0: none) */
    /** Optional (NULL): called by the runner for every request of a proxy before
     *  its http-request rules, with the request target as received; returns 1 to
     *  claim the request (then *arg is passed in ptc_svc_txn.arg), 0 otherwise.
     *  Must be cheap. Worker. */
    int (*match)(ptc_proxy *px, ptc_str uri, const void **arg);
    /** Produce (part of) the response; see above. */
    int (*run)(ptc_svc_txn *t);
    /** Free what ctx holds (may be NULL). */
    void (*release)(ptc_svc_txn *t);
    const char *help;        /* one line for -vv / messages */
} ptc_service;

#ifdef __cplusplus
}
#endif

#endif

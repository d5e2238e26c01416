/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the API the stick module publishes (Lua's StickTable uses it). */
#ifndef PORTICO_STICK_H
#define PORTICO_STICK_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Published by the stick module with host->api_publish(PTC_STICK_API_NAME, ...) since
 * ABI 1.24; look it up in post_config() (all modules loaded). Grows at its end only
 * (check `size`). The entries themselves are read with the runtime API's "show table"
 * (host->cli_run).
 */
#define PTC_STICK_API_NAME    "stick"
#define PTC_STICK_API_VERSION 1u

/* A stick table's settings and fill level (table_info). */
typedef struct ptc_stick_info {
    uint32_t size;      /* sizeof(ptc_stick_info) as the caller knows it */
    const char *type;   /* "ip", "ipv6", "integer", "string" or "binary" */
    uint32_t key_len;   /* the key's size, as HAProxy counts it: a binary table's "len",
                           a string table's "len" + 1 */
    uint32_t entries;   /* "size": the most entries */
    uint32_t used;      /* entries in use now */
    uint32_t nopurge;   /* 1 with "nopurge" */
    uint64_t expire_ms; /* "expire", 0: none */
} ptc_stick_info;

typedef struct ptc_stick_api {
    uint32_t size; /* sizeof(ptc_stick_api) as the stick module knows it */
    /** The stick table named `name` (a proxy's "stick-table", or a peers section's
     *  "table"): 1 with *out filled (as far as out->size covers) and, when `data` is not
     *  NULL, data(ctx, type, period) called for each data type it stores, in HAProxy's
     *  order ("gpc0", "conn_rate", an array's "gpc"...; period: a rate's in ms, -1 for
     *  the others); 0 when there is no such table. Master or worker. */
    int (*table_info)(ptc_str name, ptc_stick_info *out,
                      void (*data)(void *ctx, const char *type, int64_t period), void *ctx);
} ptc_stick_api;

#ifdef __cplusplus
}
#endif

#endif

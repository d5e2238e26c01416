/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the API the proxy_protocol module publishes (health checks use it). */
#ifndef PORTICO_PROXY_PROTOCOL_H
#define PORTICO_PROXY_PROTOCOL_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Published by the proxy_protocol module with host->api_publish(PTC_PP_API_NAME, ...);
 * look it up in post_config() (since ABI 1.4). Grows at its end only (check `size`).
 */
#define PTC_PP_API_NAME    "proxy_protocol"
#define PTC_PP_API_VERSION 1u

/* Bits of server_flags(). */
#define PTC_PP_SEND_V1    0x0001u /* "send-proxy" */
#define PTC_PP_SEND_V2    0x0002u /* "send-proxy-v2" (or its -ssl variants) */
#define PTC_PP_CHECK_SEND 0x0004u /* "check-send-proxy" */

typedef struct ptc_pp_api {
    uint32_t size; /* sizeof(ptc_pp_api) as the proxy_protocol module knows it */
    /** PTC_PP_* bits of a server's configuration. */
    uint32_t (*server_flags)(const ptc_server *srv);
    /** Write into buf the header a connection without a client (a health check)
     *  sends: version 1 "PROXY UNKNOWN\r\n", version 2 a LOCAL command. Returns its
     *  length (0 if cap is too small or version is not 1 or 2). */
    size_t (*local_header)(uint32_t version, void *buf, size_t cap);
} ptc_pp_api;

#ifdef __cplusplus
}
#endif

#endif

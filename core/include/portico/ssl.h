/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the API the ssl module publishes (health checks use it). */
#ifndef PORTICO_SSL_H
#define PORTICO_SSL_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Published by the ssl module with host->api_publish(PTC_SSL_API_NAME, ...); look it up
 * in post_config() (all modules loaded). Grows at its end only (check `size`).
 */
#define PTC_SSL_API_NAME    "ssl"
#define PTC_SSL_API_VERSION 1u

/* Bits of server_flags(). */
#define PTC_SSL_SRV_TLS 0x0001u /* "ssl": traffic to the server is TLS */

typedef struct ptc_ssl_api {
    uint32_t size; /* sizeof(ptc_ssl_api) as the ssl module knows it */
    /** PTC_SSL_SRV_* bits of a server's configuration (config time and later). */
    uint32_t (*server_flags)(const ptc_server *srv);
} ptc_ssl_api;

#ifdef __cplusplus
}
#endif

#endif

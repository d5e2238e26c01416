/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: strings, opaque handles and the constants shared by all headers. */
#ifndef PORTICO_TYPES_H
#define PORTICO_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A string slice: pointer and length, never assumed NUL-terminated.
 * Ownership is stated wherever a ptc_str crosses the boundary. */
typedef struct ptc_str {
    const char *ptr;
    size_t len;
} ptc_str;

/* Opaque handles: their layout is private to the host and may change in any release. */
typedef struct ptc_proxy ptc_proxy;   /* a frontend, backend, listen or defaults section */
typedef struct ptc_server ptc_server; /* a server of a backend */
typedef struct ptc_stream ptc_stream; /* one client connection and its server side */
typedef struct ptc_modref ptc_modref; /* the host's record of one loaded module ("self") */
typedef struct ptc_bind ptc_bind;     /* one listening address of a frontend (since 1.3) */

/* Configuration sections and keyword contexts (ptc_keyword.where). */
#define PTC_SEC_GLOBAL    0x0001u
#define PTC_SEC_DEFAULTS  0x0002u
#define PTC_SEC_FRONTEND  0x0004u /* also valid in "listen" */
#define PTC_SEC_BACKEND   0x0008u /* also valid in "listen" */
#define PTC_SEC_PROXY     (PTC_SEC_DEFAULTS | PTC_SEC_FRONTEND | PTC_SEC_BACKEND)
#define PTC_SEC_PEERS     0x0010u /* since 1.10: a "peers" section; the header and each of
                                     its lines go to the module keyword named "peers" */
#define PTC_KW_SERVER     0x0100u /* an option on a "server" line */
#define PTC_KW_DEFSERVER  0x0200u /* an option on a "default-server" line */
#define PTC_KW_BIND       0x0400u /* an option on a "bind" line */

/* Kinds of configuration blobs a module may ask for (ptc_module.*_conf_size). */
#define PTC_CONF_GLOBAL 0u
#define PTC_CONF_PROXY  1u
#define PTC_CONF_SERVER 2u
#define PTC_CONF_BIND   3u /* since 1.3: one blob per listening address (bind_conf_size) */

/* Channel directions. */
#define PTC_DIR_REQ 0u /* client -> server */
#define PTC_DIR_RES 1u /* server -> client */

/* Log levels (syslog numbering). */
#define PTC_LOG_EMERG   0u
#define PTC_LOG_ALERT   1u
#define PTC_LOG_CRIT    2u
#define PTC_LOG_ERR     3u
#define PTC_LOG_WARNING 4u
#define PTC_LOG_NOTICE  5u
#define PTC_LOG_INFO    6u
#define PTC_LOG_DEBUG   7u

#ifdef __cplusplus
}
#endif

#endif

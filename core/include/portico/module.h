/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the module descriptor and the one entry symbol a module exports. */
#ifndef PORTICO_MODULE_H
#define PORTICO_MODULE_H

#include "hooks.h"
#include "host.h"
#include "keywords.h"
#include "sample.h"
#include "stream.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Lifecycle (see portico-module(3)):
 *   1. master: dlopen(RTLD_NOW|RTLD_LOCAL), ptc_module_entry(host) returns the
 *      descriptor; the host checks magic, ABI major/minor and size, then
 *      registers the tables. The entry function does nothing else.
 *   2. master: init(self) — before the configuration is parsed.
 *   3. master: keyword parsers run while the configuration is read; conf blobs
 *      are created zeroed, then conf_init() sets defaults. A proxy's blob is
 *      copied from its defaults section's blob (conf_copy, or memcpy).
 *   4. master: post_config(self) — validate, resolve names, look up other
 *      modules' APIs. Errors with host->errorf() fail the load.
 *   5. each worker, after fork: worker_init(self); then streams run.
 *   6. each worker, before exit: worker_fini(self).
 * Every callback is optional (NULL).
 */
typedef struct ptc_module {
    uint32_t magic;          /* PTC_MODULE_MAGIC */
    uint16_t abi_major;      /* PTC_ABI_MAJOR the module was built against */
    uint16_t abi_minor;      /* PTC_ABI_MINOR the module was built against */
    uint32_t size;           /* sizeof(ptc_module) as the module knows it */
    uint32_t reserved0;      /* 0 */
    const char *name;        /* short name: "http"; unique among loaded modules */
    const char *version;     /* the module's own version, e.g. "1.0.0" */
    const char *description; /* one line */

    /* Declarative tables; each with its entry size so entries can grow. */
    const ptc_keyword *keywords;
    uint32_t keyword_count;
    uint32_t keyword_size;   /* sizeof(ptc_keyword) */
    const ptc_hook *hooks;
    uint32_t hook_count;
    uint32_t hook_size;      /* sizeof(ptc_hook) */
    const ptc_proto *protos;
    uint32_t proto_count;
    uint32_t proto_size;     /* sizeof(ptc_proto) */

    /* Configuration blobs the host allocates per object for this module. */
    uint32_t global_conf_size;
    uint32_t proxy_conf_size;
    uint32_t server_conf_size;
    uint32_t reserved1;      /* 0 */
    /* Set defaults in a fresh (zeroed) blob; kind is PTC_CONF_*. */
    void (*conf_init)(ptc_modref *self, uint32_t kind, void *conf);
    /* Copy a proxy/server blob when inheriting (defaults -> proxy, default-server
     * -> server); NULL means memcpy. */
    void (*conf_copy)(ptc_modref *self, uint32_t kind, void *dst, const void *src);

    int (*init)(ptc_modref *self);
    int (*post_config)(ptc_modref *self);
    int (*worker_init)(ptc_modref *self);
    void (*worker_fini)(ptc_modref *self);

    /* ---- since 1.2: sample fetches, converters and rule actions (sample.h) ---- */
    const ptc_fetch *fetches;
    uint32_t fetch_count;
    uint32_t fetch_size;     /* sizeof(ptc_fetch) */
    const ptc_conv *convs;
    uint32_t conv_count;
    uint32_t conv_size;      /* sizeof(ptc_conv) */
    const ptc_action *actions;
    uint32_t action_count;
    uint32_t action_size;    /* sizeof(ptc_action) */

    /* ---- since 1.3 ---- */
    /* Bytes of configuration blob per listening address ("bind" line address), created
     * zeroed then passed to conf_init(PTC_CONF_BIND); 0 = none. */
    uint32_t bind_conf_size;
    /* Bytes of per-stream state for this module (any mode), zeroed when the stream is
     * created, reached with host->stream_modstate(); 0 = none. Release what it holds
     * from a PTC_PHASE_CLOSE hook. */
    uint32_t stream_state_size;
    /* Space-separated feature words this module provides ("OPENSSL", "LUA"): they
     * are listed by -vv and are true for ".if feature(X)". NULL = none. */
    const char *features;
} ptc_module;

/* Helpers for filling a descriptor's tables. */
#define PTC_COUNTOF(arr) ((uint32_t)(sizeof(arr) / sizeof((arr)[0])))
#define PTC_TABLE(arr, type) (arr), (uint32_t)(sizeof(arr) / sizeof((arr)[0])), (uint32_t)sizeof(type)
#define PTC_NO_TABLE(type) NULL, 0u, (uint32_t)sizeof(type)
/* The 1.2 tail of a descriptor without fetches, converters or actions. */
#define PTC_NO_SAMPLE_TABLES                                                               \
    PTC_NO_TABLE(ptc_fetch), PTC_NO_TABLE(ptc_conv), PTC_NO_TABLE(ptc_action)

/* The 1.3 tail of a descriptor without bind blobs, stream state or features. */
#define PTC_NO_13_FIELDS 0u, 0u, NULL

/* The one symbol a module exports. It receives the host table (keep the
 * pointer), and returns the module's static descriptor, or NULL to refuse. */
typedef const ptc_module *(*ptc_module_entry_fn)(const ptc_host *host);

#define PTC_MODULE_ENTRY(hostvar) \
    PTC_EXTERN_C PTC_EXPORT const ptc_module *ptc_module_entry(const ptc_host *hostvar)

#ifdef __cplusplus
}
#endif

#endif

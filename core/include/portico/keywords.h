/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: configuration keyword tables and the context a keyword parser receives. */
#ifndef PORTICO_KEYWORDS_H
#define PORTICO_KEYWORDS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a keyword parser receives. Host-owned, valid until the parser returns;
 * everything it points to (args, file) likewise. Copy what you keep, e.g. with
 * host->cfg_strdup(). New fields are appended (check `size`). */
typedef struct ptc_kw_ctx {
    uint32_t size;          /* sizeof(ptc_kw_ctx) as the host knows it */
    uint32_t section;       /* PTC_SEC_* of the current section (listen = FRONTEND|BACKEND) */
    const char *file;       /* NUL-terminated file name, for messages */
    uint32_t line;          /* line number in `file` */
    uint32_t argc;          /* number of entries in args */
    const ptc_str *args;    /* args[0 .. kw_words-1] spell the keyword; its arguments follow */
    uint32_t kw_words;      /* how many words the keyword name has (1 or 2) */
    uint32_t negated;       /* 1 when the line started with "no" (PTC_KWF_NEGATABLE only) */
    ptc_proxy *proxy;       /* the proxy (or defaults) being defined; NULL in global */
    ptc_server *server;     /* for PTC_KW_SERVER/DEFSERVER options: the server; else NULL */
    void *conf;             /* this module's conf blob for the target: global, proxy or
                               server (for bind options: the proxy's blob) */
    ptc_modref *self;       /* the module that owns the keyword */
    /* ---- since 1.3 (check `size`) ---- */
    ptc_bind *bind;         /* for PTC_KW_BIND options: the listening address being
                               defined (a "bind a,b" line calls the parser once per
                               address); else NULL */
    void *bind_conf;        /* this module's blob for `bind` (bind_conf_size bytes),
                               or NULL */
} ptc_kw_ctx;

/* Keyword parser. Returns PTC_OK, or PTC_ERROR after reporting the problem with
 * host->cfg_errorf(ctx, ...). Must not keep `ctx` or `args` pointers. */
typedef int (*ptc_kw_parse_fn)(const ptc_kw_ctx *ctx);

/* Keyword flags. */
#define PTC_KWF_NEGATABLE 0x0001u /* "no <keyword>" is accepted (options) */
#define PTC_KWF_RUNTIME   0x0002u /* server option also accepted by "add server" at runtime */

/* A keyword entry. Tables are static and read before any module code runs,
 * so `-dK` can list them. For PTC_KW_SERVER/BIND options, the option takes exactly
 * `max_args` following words (min_args must equal max_args). */
typedef struct ptc_keyword {
    const char *name;       /* "option forwardfor", "bind", "accept-proxy": 1 or 2 words */
    uint32_t where;         /* PTC_SEC_* and/or PTC_KW_* bits */
    uint32_t flags;         /* PTC_KWF_* */
    int32_t min_args;       /* arguments after the keyword words */
    int32_t max_args;       /* -1 = unlimited */
    ptc_kw_parse_fn parse;  /* NULL: recognised but refused as "not supported yet" */
    const char *help;       /* one line: synopsis, e.g. "option forwardfor [except <net>]" */
} ptc_keyword;

#ifdef __cplusplus
}
#endif

#endif

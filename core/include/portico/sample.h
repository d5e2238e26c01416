/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: samples, fetches, converters, rule actions and log formats (1.2). */
#ifndef PORTICO_SAMPLE_H
#define PORTICO_SAMPLE_H

#include "keywords.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Samples are typed values produced by fetches ("src", "req.hdr(host)") and
 * transformed by converters ("lower", "map(file)"), as in HAProxy. A sample
 * expression is "fetch[(args)][,conv[(args)]]...". The core parses
 * expressions, ACLs, conditions (if/unless) and log-format strings; modules
 * register fetches, converters and rule actions through these tables, which
 * hang off the module descriptor (ptc_module, since 1.2).
 */

/* Sample types. */
#define PTC_SMP_ANY  0u /* converters: accepts any input type */
#define PTC_SMP_BOOL 1u /* u.sint is 0 or 1 */
#define PTC_SMP_SINT 2u /* u.sint */
#define PTC_SMP_IPV4 3u /* u.ipv4, network byte order */
#define PTC_SMP_IPV6 4u /* u.ipv6, network byte order */
#define PTC_SMP_STR  5u /* u.str: text (may hold any byte) */
#define PTC_SMP_BIN  6u /* u.str: binary */
#define PTC_SMP_METH 7u /* u.str: an HTTP method */

/* Sample flags. */
#define PTC_SMPF_CONST 0x0001u /* u.str points to memory that outlives the evaluation
                                  (config strings, stream buffers until the next edit);
                                  without it, it points to a scratch buffer */
#define PTC_SMPF_MAYCHANGE 0x0002u /* the fetch found no answer *yet* (more data may come) */

typedef struct ptc_sample {
    uint32_t type;   /* PTC_SMP_* */
    uint32_t flags;  /* PTC_SMPF_* */
    union {
        int64_t sint;
        ptc_str str;
        uint8_t ipv4[4];
        uint8_t ipv6[16];
    } u;
} ptc_sample;

/* An argument of a fetch or converter, as written in the configuration.
 * `str` is always set (config-lifetime, NUL-terminated). A `check` callback
 * may fill `sint` or `data` (e.g. a compiled regex) at configuration time. */
typedef struct ptc_arg {
    ptc_str str;
    int64_t sint;
    void *data;
} ptc_arg;

/* Where a fetch can give an answer (ptc_fetch.use). */
#define PTC_USE_L4       0x0001u /* from the connection on (addresses, names) */
#define PTC_USE_HTTP_REQ 0x0002u /* once request headers were parsed */
#define PTC_USE_HTTP_RES 0x0004u /* once response headers were parsed */
#define PTC_USE_ANY      0x0007u

/* Fetch: fill *out. Returns 1 when a sample was produced, 0 when there is none
 * (absent header...). `args` is the parsed argument array (owned by the host). */
typedef int (*ptc_fetch_fn)(ptc_stream *s, const ptc_arg *args, uint32_t nargs,
                            ptc_sample *out);
/* Converter: transform *io in place. Returns 1 on success, 0 to make the whole
 * expression produce no sample. */
typedef int (*ptc_conv_fn)(ptc_stream *s, const ptc_arg *args, uint32_t nargs,
                           ptc_sample *io);
/* Optional argument check at configuration time: validate, pre-compute
 * (args[i].sint, args[i].data). PTC_OK or PTC_ERROR after host->cfg_errorf. */
typedef int (*ptc_arg_check_fn)(const ptc_kw_ctx *ctx, ptc_arg *args, uint32_t nargs);

/* Since 1.3: fetch, converter and action-parser variants that receive the private
 * pointer given to host->fetch_register() and friends (functions registered from
 * data, e.g. a Lua script's). */
typedef int (*ptc_fetch_priv_fn)(ptc_stream *s, const ptc_arg *args, uint32_t nargs,
                                 ptc_sample *out, void *priv);
typedef int (*ptc_conv_priv_fn)(ptc_stream *s, const ptc_arg *args, uint32_t nargs,
                                ptc_sample *io, void *priv);

typedef struct ptc_fetch {
    const char *name;       /* "req.hdr", "src", "path" */
    uint32_t out_type;      /* PTC_SMP_* of the result */
    uint32_t use;           /* PTC_USE_* */
    int32_t min_args;
    int32_t max_args;
    ptc_fetch_fn fn;
    ptc_arg_check_fn check; /* may be NULL */
    const char *help;       /* "req.hdr([<name>[,<occ>]])" */
} ptc_fetch;

typedef struct ptc_conv {
    const char *name;       /* "lower", "map_str" */
    uint32_t in_type;       /* PTC_SMP_* expected (the host casts), or PTC_SMP_ANY */
    uint32_t out_type;      /* PTC_SMP_* produced */
    int32_t min_args;
    int32_t max_args;
    ptc_conv_fn fn;
    ptc_arg_check_fn check; /* may be NULL */
    const char *help;
} ptc_conv;

/* Rule sets (the keyword that introduces a rule). */
#define PTC_RULES_TCP_REQ_CONN    1u /* tcp-request connection */
#define PTC_RULES_TCP_REQ_CONTENT 2u /* tcp-request content */
#define PTC_RULES_TCP_RES_CONTENT 3u /* tcp-response content */
#define PTC_RULES_HTTP_REQ        4u /* http-request */
#define PTC_RULES_HTTP_RES        5u /* http-response */
#define PTC_RULES_HTTP_AFTER_RES  6u /* http-after-response */
#define PTC_RULES_TCP_REQ_SESS    7u /* tcp-request session (since 1.17) */
#define PTC_RULES_MAX             7u /* 6 before 1.17 */
/* ABI 1.19: or'ed into rules_run's ruleset while more data may still come (an
 * inspect-delay that has not ended): a condition that cannot be decided yet (a fetch
 * answered PTC_SMPF_MAYCHANGE) stops the run with PTC_ACT_MISS. Without it, such a
 * fetch counts as what it answered now (HAProxy's SMP_OPT_FINAL). */
#define PTC_RULES_PARTIAL         0x100u

/* Results of an action's exec (and of host->rules_run). */
#define PTC_ACT_CONTINUE 0 /* go on with the next rule */
#define PTC_ACT_STOP     1 /* stop this rule set, go on with the transaction ("allow") */
#define PTC_ACT_DONE     2 /* the action ended the transaction itself (deny, return,
                              redirect...): the owner must not forward it */
#define PTC_ACT_YIELD    3 /* not finished: call this same action again when woken */
#define PTC_ACT_MISS     4 /* (rules_run with PTC_RULES_PARTIAL, ABI 1.19) a condition
                              needs more data: run the rule set again when it comes */
#define PTC_ACT_ERROR    (-1) /* internal error: the owner answers 500 / closes */

/* Parse an action's arguments. ctx->args[first] is the first word after the
 * action name; parse up to (not including) "if"/"unless" or the end, set
 * *next to the index of the first word not consumed, and store what exec needs
 * in *state (host->alloc'd or static; config-lifetime). PTC_OK or PTC_ERROR
 * after host->cfg_errorf. */
typedef int (*ptc_act_parse_fn)(const ptc_kw_ctx *ctx, uint32_t first, uint32_t *next,
                                void **state);
typedef int (*ptc_act_exec_fn)(ptc_stream *s, void *state);
/* Since 1.3 (host->action_register): parse with the registration's priv pointer. */
typedef int (*ptc_act_parse_priv_fn)(const ptc_kw_ctx *ctx, uint32_t first, uint32_t *next,
                                     void **state, void *priv);

typedef struct ptc_action {
    uint32_t ruleset;       /* PTC_RULES_* */
    const char *name;       /* "set-header", "deny"; a name ending in '.' is a prefix:
                               "lua." matches "lua.<anything>" (exact names win) */
    ptc_act_parse_fn parse;
    ptc_act_exec_fn exec;
    const char *help;       /* "set-header <name> <fmt>" */
} ptc_action;

/* A compiled log-format string ("%[src] %ci:%cp %{+Q}r"), owned by the host. */
typedef struct ptc_logfmt ptc_logfmt;

/* A compiled sample expression, owned by the host. */
typedef struct ptc_expr ptc_expr;

/* An action compiled at run time by host->action_compile, owned by the host (since
 * 1.16). */
typedef struct ptc_act_rule ptc_act_rule;

/* A compiled condition ("if"/"unless" ...), owned by the host (since 1.10). */
typedef struct ptc_cond ptc_cond;

/* Per-transaction log data a protocol module hands to the host
 * (host->stream_log_txn). Times are absolute host->now_ms() values, 0 when
 * unknown. Strings are copied by the host. New fields are appended. */
typedef struct ptc_log_txn {
    uint32_t size;          /* sizeof(ptc_log_txn) as the module knows it */
    int32_t status;         /* HTTP status sent to the client, -1 if none (%ST) */
    ptc_str request_line;   /* "GET / HTTP/1.1" (%r), empty for tcp */
    char term[4];           /* termination state, 2 chars + 2 reserved ("--", "CD"...) */
    uint64_t t_request;     /* request headers complete (%TR) */
    uint64_t t_response;    /* response headers received from the server (%Tr) */
    uint64_t t_start;       /* start of this transaction (accept or end of previous) */
    uint64_t bytes_in;      /* request bytes of this transaction (%U) */
    uint64_t bytes_out;     /* response bytes of this transaction (%B) */
    uint32_t retries;       /* connection retries (%rc) */
    uint32_t flags;         /* PTC_LOG_TXN_* (since 1.5; 0 before) */
    uint32_t level;         /* since 1.16: the line's syslog level plus one, as
                               "set-log-level" chose it (1 emerg .. 8 debug); 0: the
                               logger's own (info, err for errors with "option
                               log-separate-errors") */
} ptc_log_txn;

/* ptc_log_txn.flags (since 1.5). */
#define PTC_LOG_TXN_SILENT 0x0001u /* count and end the transaction (statistics, captures,
                                      unique id, txn variables) but write no log line
                                      ("set-log-level silent", "monitor-uri") */
#define PTC_LOG_TXN_SERVICE 0x0002u /* (since 1.19) a service of the module answered: it
                                       counts as a connection established when the
                                       request was ready (%Tw and %Tc are 0) */

#ifdef __cplusplus
}
#endif

#endif

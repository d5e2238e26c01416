/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: runtime API ("stats socket") commands registered by modules (since 1.4). */
#ifndef PORTICO_CLI_H
#define PORTICO_CLI_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The runtime API is served by the master process, so a command handler runs in the
 * master: it acts on shared memory (host->shm_reserve areas, the host's server
 * setters), never on a worker's private state. A command is matched word by word
 * against what the user typed; a module's command is tried before the core's, and the
 * one matching the most words wins, so a module may refine a core command
 * ("set server * health" is tried before the core's "set server").
 */

/* The answer being built (host->cli_printf). */
typedef struct ptc_cli_reply ptc_cli_reply;

/* Access levels (HAProxy's order: a command needs at least its level). */
#define PTC_CLI_USER     0u
#define PTC_CLI_OPERATOR 1u
#define PTC_CLI_ADMIN    2u

/* A command handler: args[0 .. argc-1] are every word typed (the command's own words
 * included). Write the answer with host->cli_printf (HAProxy's commands end an answer
 * with "\n" when they print one). Returns PTC_OK (PTC_ERROR is answered like PTC_OK:
 * the handler printed its own message). */
typedef int (*ptc_cli_fn)(ptc_modref *self, uint32_t argc, const ptc_str *args,
                          ptc_cli_reply *r);

typedef struct ptc_cli_cmd {
    const char *words;  /* the command's words, space-separated, at most 5: "disable
                           health"; "*" matches any one word ("set server * health") */
    const char *usage;  /* left part of its "help" line ("disable health <bk>/<srv>");
                           NULL: not listed by help */
    const char *desc;   /* right part of its "help" line */
    uint32_t level;     /* PTC_CLI_* needed */
    ptc_cli_fn fn;
} ptc_cli_cmd;

#ifdef __cplusplus
}
#endif

#endif

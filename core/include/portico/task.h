/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: module tasks and outgoing connections without a client (since 1.3). */
#ifndef PORTICO_TASK_H
#define PORTICO_TASK_H

#include <sys/socket.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Tasks and connections belong to the worker process that created them and are
 * run by its event loop like streams: callbacks are never called from inside a
 * host function, only from the loop, and must not block. Create them from
 * worker_init() or later (never in the master). Health checks, Lua tasks and
 * Lua cosockets are built on them.
 */

/* A task: a callback the loop runs when its time comes or when woken. */
typedef struct ptc_task ptc_task;

/* Called by the loop. Returns the absolute time (host->now_ms() scale) at which
 * to run again (a past time: on the next loop turn), or 0 to sleep until
 * host->task_schedule() (a task_schedule() made from the callback itself stands
 * when it returns 0, and is replaced by a non-zero return value). */
typedef uint64_t (*ptc_task_fn)(ptc_task *t, void *ctx);

/* An outgoing connection owned by a module (no client stream). */
typedef struct ptc_conn ptc_conn;

/* Connection events (bits; several may come in one call). */
#define PTC_CEV_CONNECTED 0x0001u /* the connection is established */
#define PTC_CEV_DATA      0x0002u /* new input bytes (host->conn_data), or EOF */
#define PTC_CEV_SENT      0x0004u /* every queued output byte reached the socket */
#define PTC_CEV_ERROR     0x0008u /* connect failed or the connection broke; see
                                     host->conn_error() (an errno value) */
#define PTC_CEV_TIMEOUT   0x0010u /* the connection's timer expired (conn_set_timeout) */
#define PTC_CEV_ACCEPT    0x0020u /* a listener (conn_listen, 1.18): connections wait for
                                     host->conn_accept() */

/* Connection state bits (host->conn_data). */
#define PTC_CONN_EOF   0x0001u /* the peer closed its write side */
#define PTC_CONN_ERROR 0x0002u /* the connection failed */

/* Called by the loop with the accumulated events. The connection stays valid
 * until host->conn_close(), which the module must call exactly once (also after
 * an error or EOF; from the callback too); no callback comes after it. After
 * PTC_CEV_ERROR nothing more is sent or received. */
typedef void (*ptc_conn_fn)(ptc_conn *c, void *ctx, uint32_t events);

#ifdef __cplusplus
}
#endif

#endif

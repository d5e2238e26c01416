/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: the API the ssl module publishes (health checks use it). */
#ifndef PORTICO_SSL_H
#define PORTICO_SSL_H

#include "types.h"
#include "transport.h"

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
#define PTC_SSL_SRV_TLS          0x0001u /* "ssl": traffic to the server is TLS */
#define PTC_SSL_SRV_CHECK_TLS    0x0002u /* "check-ssl" (since 1.9) */
#define PTC_SSL_SRV_NO_CHECK_TLS 0x0004u /* "no-check-ssl" (since 1.9) */

/* Flags of check_transport() (since 1.9). */
#define PTC_SSL_CHK_DEFAULT 0x0001u /* the check's default connection: the server's
                                       "check-sni" / "check-alpn" apply where <sni> / <alpn>
                                       are NULL */
#define PTC_SSL_CHK_NO_H2   0x0002u /* leave h2 (and h3) out of the ALPN offered (a check
                                       that speaks HTTP/1 only) */

typedef struct ptc_ssl_api {
    uint32_t size; /* sizeof(ptc_ssl_api) as the ssl module knows it */
    /** PTC_SSL_SRV_* bits of a server's configuration (config time and later). */
    uint32_t (*server_flags)(const ptc_server *srv);
    /* ---- since 1.9 (read only when `size` covers them) ---- */
    /** Config time (post_config): makes sure <srv> has a TLS client context built from its
     *  TLS settings ("verify", "ca-file", "crt", "ciphers", versions...) even without
     *  "ssl" or "check-ssl" (a "tcp-check connect ssl" rule needs one). PTC_OK, or
     *  PTC_ERROR after reporting the error with host->errorf. */
    int (*check_prepare)(ptc_server *srv);
    /** Worker: a TLS client for one health check connection to <srv>, with <srv>'s TLS
     *  settings (check_prepare or "ssl"/"check-ssl" must have built them). <sni>: the
     *  name sent, <alpn>: the protocols offered ("h2,http/1.1"); NULL: none, or with
     *  PTC_SSL_CHK_DEFAULT in <flags> the server's "check-sni" / "check-alpn" (ALPN falls
     *  back to the server's "alpn"). Fills *t with a transport table (transport.h) and
     *  *tctx with its context, which the caller drives over its own connection (encode
     *  its bytes to send, decode what it receives; `ready` says when the handshake is
     *  done) and gives back with t->release(tctx) exactly once. The strings are copied.
     *  PTC_OK, or PTC_ERROR (no context for <srv>, out of memory). */
    int (*check_transport)(const ptc_server *srv, const char *sni, const char *alpn,
                           uint32_t flags, const ptc_transport **t, void **tctx);
    /** HAProxy's connection error text of a failed transport from check_transport ("SSL
     *  handshake failure", "Connection closed during SSL handshake"...), or NULL. Valid
     *  until the transport is released. */
    const char *(*transport_error)(void *tctx);
    /* ---- since 1.21 (read only when `size` covers them) ---- */
    /** Worker: a TLS client with no server behind it and no certificate verification
     *  (HAProxy's Lua Socket:connect_ssl(), whose hidden server is "ssl verify none"):
     *  <sni>: the name sent (NULL: none), <alpn>: the protocols offered (NULL: none;
     *  PTC_SSL_CHK_NO_H2 in <flags> leaves h2 out). Driven and released as a
     *  check_transport() one; transport_error() applies. PTC_OK or PTC_ERROR. */
    int (*client_transport)(const char *sni, const char *alpn, uint32_t flags,
                            const ptc_transport **t, void **tctx);

    /* ---- since 1.23 (read only when `size` covers them) ---- */
    /** Config time (post_config, master): a TLS endpoint for a module's own connections,
     *  outside any proxy (the peers sections' "bind ... ssl" and "server ... ssl" lines).
     *  <role>: PTC_SSL_EP_CLIENT (this side connects) or PTC_SSL_EP_SERVER (it accepts;
     *  <crt> is then required). <crt>: the certificate file (a client certificate for
     *  PTC_SSL_EP_CLIENT), relative to crt-base; <ca_file>: the CAs that verify the other
     *  side (relative to ca-base), or NULL; <verify>: -1 the default (ssl-server-verify
     *  for a client, none for a server), 0 none, 1 optional, 2 required; the
     *  ssl-default-bind-* / ssl-default-server-* settings apply. <where> ("file:line")
     *  starts the error messages. *ep gets the endpoint (process lifetime). PTC_OK, or
     *  PTC_ERROR after reporting the error with host->errorf (a client that verifies
     *  without a CA file is refused as HAProxy refuses such a server). */
    int (*endpoint_new)(uint32_t role, const char *crt, const char *ca_file, int verify,
                        const char *where, void **ep);
    /** Worker: the TLS transport of one connection of endpoint <ep>, driven by the
     *  caller over its own connection as with check_transport (released with
     *  t->release(tctx) exactly once; transport_error tells why it failed). PTC_OK or
     *  PTC_ERROR. */
    int (*endpoint_transport)(void *ep, const ptc_transport **t, void **tctx);
} ptc_ssl_api;

/* Roles of endpoint_new() (since 1.23). */
#define PTC_SSL_EP_CLIENT 1u
#define PTC_SSL_EP_SERVER 2u

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: MIT */
/* portico plugin ABI: umbrella header — include this one from a module. */
#ifndef PORTICO_PORTICO_H
#define PORTICO_PORTICO_H

#include "abi.h"
#include "hooks.h"
#include "http.h"
#include "host.h"
#include "keywords.h"
#include "module.h"
#include "proxy_protocol.h"
#include "ssl.h"
#include "stick.h"
#include "sample.h"
#include "service.h"
#include "stream.h"
#include "task.h"
#include "transport.h"
#include "types.h"

#endif

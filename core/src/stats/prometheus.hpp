// SPDX-License-Identifier: MIT
// The Prometheus exporter ("http-request use-service prometheus-exporter"): a built-in module
// ("prometheus") registering the ABI 1.5 "prometheus-exporter" HTTP service and owning the
// "prometheus.histogram-buckets" global keyword (a portico extension).
#pragma once

#include <portico/portico.h>

namespace portico {

// The descriptor of the exporter's module (features "PROMEX").
const ptc_module* prometheus_module();

} // namespace portico

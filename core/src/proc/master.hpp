// SPDX-License-Identifier: MIT
// The process model: master process supervising single-threaded worker processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace portico {

struct config;

struct master_opts {
    uint32_t workers = 1;
    bool daemon = false;
    bool keep_stderr = false;       // -d with -D: keep diagnostics
    bool sd_notify = false;         // -Ws
    bool master_worker = false;     // -W, -Ws or "master-worker": SIGINT exits 130
    bool keep_pidfile = true;       // HAProxy leaves its pidfile behind
    std::string pidfile;
    std::vector<pid_t> finish_pids; // -sf / -st
    bool finish_hard = false;       // -st
    const char* version = "";
    std::vector<std::string> argv;  // the command line, re-executed on reload
};

// Set from the environment a reloading master left (see run_master): the listening
// sockets, workers and generation of the previous configuration. Call before binding.
// Returns true when this process is a master re-executed by a reload.
bool master_adopt_reload_state();

// -x <socket>: fetches the listening sockets of the process serving <socket> (a stats
// socket with "expose-fd listeners"), to be taken over by bind_listeners(). False (with
// a warning) when it could not: new sockets are bound then.
bool master_fetch_sockets(const std::string& path);

// Creates the listening sockets of every frontend (one SO_REUSEPORT socket per worker,
// or the inherited "fd@" one), taking over the ones of the previous generation when this
// is a reload. Reports failures as alerts and returns false.
bool bind_listeners(config& cfg, uint32_t nworkers);

// Runs the master: shared memory, optional daemonisation, pidfile, workers, signals,
// reloads. Returns the process exit status.
int run_master(config& cfg, const master_opts& o);

// A reloaded master whose new configuration failed after all (it passed "-c", then a
// bind or a module failed): keeps supervising the previous generation with its sockets,
// and answers signals (SIGUSR2 tries again). Returns the process exit status.
int run_master_wait(const master_opts& o);

} // namespace portico

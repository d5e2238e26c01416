// SPDX-License-Identifier: MIT
// The process model: the master binds listeners, creates shared memory, forks and
// supervises single-threaded workers, and relays signals; the worker side runs the loop.
#include "proc/master.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "cli/cli.hpp"
#include "event/clock.hpp"
#include "module/module.hpp"
#include "proxy/addr.hpp"
#include "proxy/proxy.hpp"
#include "proxy/runtime.hpp"
#include "shm/shm.hpp"
#include "stream/stream.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

sigset_t g_sigs;

void block_signals()
{
    sigemptyset(&g_sigs);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGTTOU, SIGTTIN})
        sigaddset(&g_sigs, s);
    sigprocmask(SIG_BLOCK, &g_sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

bool bind_one(bind_conf& b, bool http, int& fd_out, std::string& err)
{
    int fd = socket(b.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = strerror(errno);
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    // HTTP: wake the worker once, when the request arrives, rather than once for the
    // connection and again for its first bytes (see bind option "defer-accept")
    if (b.defer_accept > 0 || (b.defer_accept < 0 && http)) {
        int secs = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&b.addr), b.addrlen) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        err = strerror(errno);
        close(fd);
        return false;
    }
    fd_out = fd;
    return true;
}

} // namespace

bool bind_listeners(config& cfg, uint32_t nworkers)
{
    bool ok = true;
    for (auto& p : cfg.proxies) {
        if (!(p->cap & CAP_FE))
            continue;
        for (auto& b : p->binds) {
            if (b->inherited_fd >= 0) {
                int type = 0;
                socklen_t len = sizeof(type);
                if (getsockopt(b->inherited_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
                    type != SOCK_STREAM) {
                    PTC_ALERT("Starting %s %s: 'fd@%d' is not a stream socket",
                              p->cap & CAP_BE ? "proxy" : "frontend", p->name.c_str(),
                              b->inherited_fd);
                    ok = false;
                    continue;
                }
                int fl = fcntl(b->inherited_fd, F_GETFL);
                fcntl(b->inherited_fd, F_SETFL, fl | O_NONBLOCK);
                fcntl(b->inherited_fd, F_SETFD, FD_CLOEXEC);
                // a socket handed over bound but not listening yet (harmless if it is)
                listen(b->inherited_fd, SOMAXCONN);
                continue;
            }
            // one SO_REUSEPORT socket per worker slot: the kernel spreads connections
            for (uint32_t i = 0; i < nworkers; i++) {
                int fd;
                std::string err;
                if (!bind_one(*b, p->mode == px_mode::http, fd, err)) {
                    PTC_ALERT("Starting %s %s: cannot bind socket (%s) [%s]",
                              p->cap & CAP_BE ? "proxy" : "frontend", p->name.c_str(),
                              err.c_str(), addr_to_string(b->addr).c_str());
                    ok = false;
                    break;
                }
                b->fds.push_back(fd);
            }
        }
    }
    return ok;
}

namespace {

struct child {
    int slot;
    uint64_t started_ms;
};

std::map<pid_t, child> g_children;

int worker_main(int slot)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    std::string err;
    // the engine first: worker_init() may create tasks and connections (nothing runs
    // before worker_run)
    if (!worker_setup(slot, err)) {
        PTC_ALERT("worker %d: %s", slot, err.c_str());
        return 1;
    }
    for (auto& m : g_modules.all()) {
        if (m->desc.worker_init && m->desc.worker_init(to_handle(m.get())) != PTC_OK) {
            PTC_ALERT("module %s failed to start in worker %d", m->name.c_str(), slot);
            return 1;
        }
    }
    // signals arrive through a signalfd watched by the poller
    int sfd = signalfd(-1, &g_sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    struct sigwatch {
        event::completion c;
        int fd;
    };
    static sigwatch sw;
    sw.fd = sfd;
    sw.c.fn = [](event::completion* c, int res, uint32_t) {
        auto* w = reinterpret_cast<sigwatch*>(c);
        if (res == -ECANCELED)
            return;
        signalfd_siginfo si;
        while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                worker_fast_stop();
            else if (si.ssi_signo == SIGUSR1)
                worker_soft_stop();
        }
        g_worker->poller->poll_in(w->fd, &w->c);
    };
    g_worker->poller->poll_in(sfd, &sw.c);
    // the master may already be gone (it died between fork and prctl)
    if (getppid() == 1)
        return 0;
    worker_run();
    for (auto& m : g_modules.all())
        if (m->desc.worker_fini)
            m->desc.worker_fini(to_handle(m.get()));
    return 0;
}

pid_t spawn_worker(config& cfg, int slot)
{
    pid_t pid = fork();
    if (pid < 0) {
        PTC_ALERT("cannot fork worker %d: %s", slot, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        cli_close_in_child(); // the runtime API is served by the master only
        // close listening sockets of the other slots
        for (auto& p : cfg.proxies)
            for (auto& b : p->binds)
                for (size_t i = 0; i < b->fds.size(); i++)
                    if ((int)i != slot % (int)b->fds.size())
                        close(b->fds[i]);
        _exit(worker_main(slot));
    }
    g_children[pid] = child{slot, event::monotonic_ms()};
    return pid;
}

void sd_notify_ready(const char* msg)
{
    const char* path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n >= sizeof(un.sun_path)) {
        close(fd);
        return;
    }
    memcpy(un.sun_path, path, n);
    if (un.sun_path[0] == '@')
        un.sun_path[0] = 0;
    sendto(fd, msg, strlen(msg), 0, reinterpret_cast<sockaddr*>(&un),
           (socklen_t)(offsetof(sockaddr_un, sun_path) + n));
    close(fd);
}

} // namespace

int run_master(config& cfg, const master_opts& o)
{
    block_signals();
    // enough descriptors for maxconn client+server sockets
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    uint32_t n = o.workers;
    if (!shm_create(cfg)) {
        PTC_ALERT("cannot create the shared memory area: %s", strerror(errno));
        return 1;
    }
    cli_shm_init(cfg);
    cli_set_workers(n);
    shm_module_seal(); // module areas are reserved by now (init/post_config): same in all workers
    if (!cli_bind(cfg))
        return 1;
    if (o.daemon) {
        pid_t pid = fork();
        if (pid < 0) {
            PTC_ALERT("cannot fork into the background: %s", strerror(errno));
            return 1;
        }
        if (pid > 0)
            _exit(0);
        setsid();
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, STDIN_FILENO);
            dup2(nul, STDOUT_FILENO);
            if (!o.keep_stderr)
                dup2(nul, STDERR_FILENO);
            if (nul > 2)
                close(nul);
        }
        g_diag.pid = getpid();
    }
    if (!o.pidfile.empty()) {
        FILE* f = fopen(o.pidfile.c_str(), "w");
        if (!f) {
            PTC_ALERT("cannot create pidfile %s: %s", o.pidfile.c_str(), strerror(errno));
            return 1;
        }
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    int sfd = signalfd(-1, &g_sigs, SFD_CLOEXEC);
    for (uint32_t i = 0; i < n; i++)
        if (spawn_worker(cfg, (int)i) < 0)
            return 1;
    PTC_NOTICE("portico %s started: %u worker%s", o.version, n, n > 1 ? "s" : "");
    for (pid_t p : o.finish_pids)
        kill(p, o.finish_hard ? SIGTERM : SIGUSR1);
    if (o.sd_notify)
        sd_notify_ready("READY=1\n");

    enum { running, soft, fast } state = running;
    uint64_t stop_deadline = 0;
    std::vector<uint64_t> crash_times;
    for (;;) {
        if (state != running && g_children.empty())
            break;
        int tmo = -1;
        if (state == fast) {
            uint64_t now = event::monotonic_ms();
            if (now >= stop_deadline) {
                for (auto& c : g_children)
                    kill(c.first, SIGKILL);
                stop_deadline = now + 1000;
            }
            tmo = (int)(stop_deadline - now);
        }
        // the signalfd first, then the runtime API's sockets
        std::vector<pollfd> pfds;
        pfds.push_back(pollfd{sfd, POLLIN, 0});
        cli_poll_fill(pfds);
        int r = poll(pfds.data(), pfds.size(), cli_poll_timeout(tmo));
        cli_poll_handle(pfds, 1);
        if (r <= 0 || !(pfds[0].revents & POLLIN))
            continue;
        signalfd_siginfo si;
        if (read(sfd, &si, sizeof(si)) != sizeof(si))
            continue;
        switch (si.ssi_signo) {
        case SIGCHLD:
            for (;;) {
                int st;
                pid_t pid = waitpid(-1, &st, WNOHANG);
                if (pid <= 0)
                    break;
                auto it = g_children.find(pid);
                if (it == g_children.end())
                    continue;
                int slot = it->second.slot;
                g_children.erase(it);
                if (state != running)
                    continue;
                if (WIFSIGNALED(st))
                    PTC_ALERT("Current worker (%d) exited with code %d (%s)", (int)pid,
                              128 + WTERMSIG(st), strsignal(WTERMSIG(st)));
                else
                    PTC_ALERT("Current worker (%d) exited with code %d", (int)pid,
                              WEXITSTATUS(st));
                uint64_t now = event::monotonic_ms();
                crash_times.push_back(now);
                while (!crash_times.empty() && now - crash_times.front() > 10000)
                    crash_times.erase(crash_times.begin());
                if (crash_times.size() > 10) {
                    PTC_ALERT("workers keep exiting; stopping");
                    state = fast;
                    stop_deadline = now + 3000;
                    for (auto& c : g_children)
                        kill(c.first, SIGTERM);
                    continue;
                }
                pid_t np = spawn_worker(cfg, slot);
                if (np > 0)
                    PTC_NOTICE("New worker (%d) forked to replace it", (int)np);
            }
            break;
        case SIGTERM:
        case SIGINT:
            if (state != fast) {
                state = fast;
                stop_deadline = event::monotonic_ms() + 3000;
                for (auto& c : g_children)
                    kill(c.first, SIGTERM);
            }
            break;
        case SIGUSR1:
            if (state == running) {
                state = soft;
                PTC_NOTICE("soft stop requested: workers finish their connections");
                for (auto& c : g_children)
                    kill(c.first, SIGUSR1);
            }
            break;
        case SIGUSR2:
            PTC_WARN("reload (SIGUSR2) is not supported yet by portico; ignored");
            break;
        case SIGHUP:
            PTC_NOTICE("SIGHUP: no log file to reopen");
            break;
        default:
            break;
        }
    }
    if (o.sd_notify)
        sd_notify_ready("STOPPING=1\n");
    if (!o.pidfile.empty() && !o.keep_pidfile)
        unlink(o.pidfile.c_str());
    return 0;
}

} // namespace portico

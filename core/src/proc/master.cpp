// SPDX-License-Identifier: MIT
// The process model: the master binds listeners, creates shared memory, forks and
// supervises single-threaded workers, relays signals and reloads (re-executing itself on
// the same listening sockets); the worker side drops privileges and runs the loop.
#include "proc/master.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>

#include "cli/cli.hpp"
#include "sample/patref.hpp"
#include "event/clock.hpp"
#include "module/module.hpp"
#include "proc/mworker.hpp"
#include "proc/program.hpp"
#include "proc/server_state_file.hpp"
#include "proc/stop_hook.hpp"
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

// Listening sockets of the previous generation, by bind address (reload), and the ones
// the new configuration dropped: closed once the previous generation stops accepting.
std::map<std::string, std::vector<int>> g_inherited;
std::vector<int> g_removed;

// The identity of a bind's socket across reloads: its address bytes.
std::string bind_key(const bind_conf& b)
{
    std::string k;
    const auto* p = reinterpret_cast<const unsigned char*>(&b.addr);
    char h[4];
    for (socklen_t i = 0; i < b.addrlen; i++) {
        snprintf(h, sizeof(h), "%02x", p[i]);
        k += h;
    }
    return k;
}

void set_defer_accept(int fd, const bind_conf& b, bool http)
{
    // HTTP: wake the worker once, when the request arrives, rather than once for the
    // connection and again for its first bytes (see bind option "defer-accept")
    int secs = b.defer_accept > 0 || (b.defer_accept < 0 && http) ? 1 : 0;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
}

// A UNIX socket bind: bound under a temporary name, given its mode and owner, then renamed
// over the path, so a stale socket (or the one of an instance being replaced) is swapped
// atomically, as HAProxy does.
bool bind_unix(bind_conf& b, int& fd_out, std::string& err)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = strerror(errno);
        return false;
    }
    auto* un = reinterpret_cast<sockaddr_un*>(&b.addr);
    bool abns = un->sun_path[0] == 0;
    std::string path = abns ? "" : std::string(un->sun_path);
    std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
    sockaddr_un tu{};
    tu.sun_family = AF_UNIX;
    if (!abns && tmp.size() >= sizeof(tu.sun_path)) {
        err = "socket path too long for its temporary name";
        close(fd);
        return false;
    }
    if (!abns)
        memcpy(tu.sun_path, tmp.c_str(), tmp.size() + 1);
    if (!abns)
        unlink(tmp.c_str());
    bool ok = abns ? bind(fd, reinterpret_cast<sockaddr*>(&b.addr), b.addrlen) == 0
                   : bind(fd, reinterpret_cast<sockaddr*>(&tu), sizeof(tu)) == 0;
    if (ok && !abns && b.unix_mode >= 0)
        ok = chmod(tmp.c_str(), (mode_t)b.unix_mode) == 0;
    if (ok && !abns && (b.unix_uid >= 0 || b.unix_gid >= 0))
        ok = chown(tmp.c_str(), (uid_t)b.unix_uid, (gid_t)b.unix_gid) == 0;
    if (ok)
        ok = listen(fd, SOMAXCONN) == 0;
    if (ok && !abns)
        ok = rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        err = strerror(errno);
        if (!abns)
            unlink(tmp.c_str());
        close(fd);
        return false;
    }
    fd_out = fd;
    return true;
}

bool bind_one(bind_conf& b, bool http, int& fd_out, std::string& err)
{
    if (b.addr.ss_family == AF_UNIX)
        return bind_unix(b, fd_out, err);
    int fd = socket(b.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = strerror(errno);
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    set_defer_accept(fd, b, http);
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
            // the previous generation's sockets first (reload): the connections waiting
            // in their queues are accepted by the new workers
            auto it = g_inherited.find(bind_key(*b));
            if (it != g_inherited.end()) {
                b->fds = std::move(it->second);
                g_inherited.erase(it);
                for (int fd : b->fds) {
                    fcntl(fd, F_SETFD, FD_CLOEXEC);
                    set_defer_accept(fd, *b, p->mode == px_mode::http);
                }
            }
            // one SO_REUSEPORT socket per worker slot: the kernel spreads connections (a
            // UNIX socket: one, accepted from by every worker)
            while (b->fds.size() < (b->addr.ss_family == AF_UNIX ? 1u : nworkers)) {
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
    // binds the new configuration no longer has
    for (auto& kv : g_inherited)
        for (int fd : kv.second)
            g_removed.push_back(fd);
    g_inherited.clear();
    return ok;
}

namespace {

struct child {
    int slot;
    uint32_t gen;          // generation (1 + reloads before it was forked)
    uint64_t started_ms;   // monotonic
    time_t started;        // wall clock, for "show proc"
    bool ready = false;    // its listeners are armed
    bool stopping = false; // told to soft-stop (old generation)
    uint64_t kill_at = 0;  // SIGKILL deadline after a soft stop (0: none)
};

std::map<pid_t, child> g_children;
uint32_t g_gen = 1;            // generation of the current workers
uint32_t g_failed_reloads = 0;
uint64_t g_reload_t0 = 0;      // monotonic ms the pending reload was asked (0: none)
pid_t g_master_pid = 0;
int g_ready_fd[2] = {-1, -1};  // workers write their pid once their listeners are armed
time_t g_master_start = 0;

const char* const k_env_listeners = "PORTICO_MW_LISTENERS";
const char* const k_env_children = "PORTICO_MW_CHILDREN";
const char* const k_env_state = "PORTICO_MW_STATE";

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size()) {
        size_t e = s.find(sep, p);
        if (e == std::string::npos)
            e = s.size();
        if (e > p)
            out.push_back(s.substr(p, e - p));
        p = e + 1;
    }
    return out;
}

// Worker side: cpu-map, chroot, then groups, gid and uid (HAProxy's order). The ring and
// every socket exist by now; nothing after this opens a file.
bool drop_privileges(const global_conf& g, int slot, std::string& err)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    bool pin = false;
    for (auto& m : g.cpu_map)
        if (m.first == (uint32_t)slot)
            for (int c : m.second) {
                CPU_SET(c, &set);
                pin = true;
            }
    if (pin && sched_setaffinity(0, sizeof(set), &set) < 0) {
        err = std::string("cannot set the CPU affinity (cpu-map): ") + strerror(errno);
        return false;
    }
    if (!g.chroot.empty() && (chroot(g.chroot.c_str()) < 0 || chdir("/") < 0)) {
        err = "cannot chroot(" + g.chroot + "): " + strerror(errno);
        return false;
    }
    if ((g.uid >= 0 || g.gid >= 0) && geteuid() == 0) {
        gid_t gid = g.gid >= 0 ? (gid_t)g.gid : getgid();
        if (setgroups(g.gid >= 0 ? 1 : 0, &gid) < 0) {
            err = std::string("cannot drop the supplementary groups: ") + strerror(errno);
            return false;
        }
    }
    if (g.gid >= 0 && setgid((gid_t)g.gid) < 0) {
        err = "cannot set gid " + std::to_string(g.gid) + ": " + strerror(errno);
        return false;
    }
    if (g.uid >= 0 && setuid((uid_t)g.uid) < 0) {
        err = "cannot set uid " + std::to_string(g.uid) + ": " + strerror(errno);
        return false;
    }
    return true;
}

int worker_main(config& cfg, int slot, uint32_t nworkers)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    std::string err;
    // the engine first: worker_init() may create tasks and connections (nothing runs
    // before worker_run)
    if (!worker_setup(slot, nworkers, err)) {
        PTC_ALERT("worker %d: %s", slot, err.c_str());
        return 1;
    }
    for (auto& m : g_modules.all()) {
        if (m->desc.worker_init && m->desc.worker_init(to_handle(m.get())) != PTC_OK) {
            PTC_ALERT("module %s failed to start in worker %d", m->name.c_str(), slot);
            return 1;
        }
    }
    if (!drop_privileges(cfg.global, slot, err)) {
        PTC_ALERT("worker %d: %s", slot, err.c_str());
        return 1;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM); // a change of credentials cleared it
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
            else if (si.ssi_signo == SIGTTOU)
                worker_pause_listeners(true);
            else if (si.ssi_signo == SIGTTIN)
                worker_pause_listeners(false);
        }
        g_worker->poller->poll_in(w->fd, &w->c);
    };
    g_worker->poller->poll_in(sfd, &sw.c);
    // the master may already be gone (it died between fork and prctl)
    if (getppid() != g_master_pid)
        return 0;
    pid_t me = getpid();
    if (write(g_ready_fd[1], &me, sizeof(me)) < 0)
        PTC_DEBUG("worker %d: cannot report readiness: %s", slot, strerror(errno));
    close(g_ready_fd[1]);
    worker_run();
    for (auto& m : g_modules.all())
        if (m->desc.worker_fini)
            m->desc.worker_fini(to_handle(m.get()));
    return 0;
}

// Every listening socket the master holds: the configured binds' and the removed ones'.
template <class F> void for_each_listener(config* cfg, F f)
{
    if (cfg)
        for (auto& p : cfg->proxies)
            for (auto& b : p->binds)
                for (int fd : b->fds)
                    f(fd, b.get());
    for (int fd : g_removed)
        f(fd, nullptr);
}

pid_t spawn_worker(config& cfg, int slot, uint32_t nworkers)
{
    smp::patref_fork_slot(slot); // runtime map/ACL changes: the child's journal position
    pid_t pid = fork();
    if (pid != 0)
        smp::patref_fork_slot(-1);
    if (pid < 0) {
        PTC_ALERT("cannot fork worker %d: %s", slot, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        cli_close_in_child(); // the runtime API is served by the master only
        mworker_close_in_child();
        close(g_ready_fd[0]);
        // keep the listening sockets of this slot only: socket j goes to slot j % workers
        for (auto& p : cfg.proxies)
            for (auto& b : p->binds)
                for (size_t j = 0; j < b->fds.size(); j++)
                    if (!b->shared_socket() && (int)(j % nworkers) != slot)
                        close(b->fds[j]);
        for (int fd : g_removed)
            close(fd);
        _exit(worker_main(cfg, slot, nworkers));
    }
    child c{slot, g_gen, event::monotonic_ms(), time(nullptr)};
    g_children[pid] = c;
    return pid;
}

void sd_notify_send(bool enabled, const std::string& msg)
{
    const char* path = getenv("NOTIFY_SOCKET");
    if (!enabled || !path || !*path)
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
    sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&un),
           (socklen_t)(offsetof(sockaddr_un, sun_path) + n));
    close(fd);
}

// Runs "<argv> -c" on the configuration as it is now; <out> gets what it printed.
bool check_new_config(const master_opts& o, std::string& out)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        out = std::string("cannot create a pipe: ") + strerror(errno);
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        out = std::string("cannot fork: ") + strerror(errno);
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        sigprocmask(SIG_UNBLOCK, &g_sigs, nullptr);
        std::vector<char*> av;
        for (auto& a : o.argv)
            av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(const_cast<char*>("-c"));
        av.push_back(nullptr);
        execv("/proc/self/exe", av.data());
        _exit(127);
    }
    close(p[1]);
    uint64_t deadline = event::monotonic_ms() + 30000;
    char buf[4096];
    for (;;) {
        uint64_t now = event::monotonic_ms();
        if (now >= deadline)
            break;
        pollfd pf{p[0], POLLIN, 0};
        if (poll(&pf, 1, (int)(deadline - now)) <= 0)
            continue;
        ssize_t n = read(p[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        out.append(buf, (size_t)n);
    }
    close(p[0]);
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == 0) {
        // still running after 30 s (or it closed its output early): bounded wait
        uint64_t end = event::monotonic_ms() + 2000;
        while (waitpid(pid, &st, WNOHANG) == 0) {
            if (event::monotonic_ms() >= end) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                out += "the configuration check did not finish\n";
                break;
            }
            usleep(10000);
        }
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

const char* const k_env_srvstate = "PORTICO_MW_SRVSTATE";
const char* const k_env_cli = "PORTICO_MW_CLI"; // the runtime API's listening sockets

const char* op_word(uint32_t op)
{
    return op == SRV_OP_DOWN ? "down" : op == SRV_OP_STOPPING ? "stopping" : "up";
}

// The runtime state of the servers, for the next generation: one line per server that
// is in use, "<be>/<srv> <dynamic> <cfg weight> <cfg disabled> <cfg addr>|- <weight>
// <admin ready|drain|maint> <ip> <port> <op up|down|stopping>", and for servers added at
// run time the "add server" words on the following line.
std::string server_state_dump(config& cfg)
{
    std::string out;
    for (auto& p : cfg.proxies) {
        if (!(p->cap & CAP_BE))
            continue;
        for (auto& up : p->servers) {
            const server& sv = *up;
            const shm_server* sh = sv.shared;
            if (!sh || !sh->in_use.load())
                continue;
            uint32_t fl = sh->rt_flags.load();
            bool dyn = fl & SRV_RT_DYNAMIC;
            const char* adm = fl & SRV_RT_FMAINT && !(fl & SRV_RT_CMAINT && !dyn) ? "maint"
                              : fl & SRV_RT_FDRAIN                          ? "drain"
                                                                            : "ready";
            out += cli_word(p->name + "/" + sv.name) + " " + (dyn ? "1 " : "0 ") +
                   std::to_string(sv.weight) + " " + (sv.disabled ? "1 " : "0 ") +
                   cli_word(sv.addr_spec.empty() ? "-" : sv.addr_spec) + " " +
                   std::to_string(sh->weight.load()) + " " + adm + " " +
                   cli_word(addr_ip(sh->addr).empty() ? "-" : addr_ip(sh->addr)) + " " +
                   std::to_string(addr_port(sh->addr)) + " " + op_word(sh->up.load()) + "\n";
            if (dyn) {
                std::string words;
                for (auto& w : split(sh->add_line, '\x1f'))
                    words += " " + cli_word(w);
                out += "add server " + cli_word(p->name + "/" + sv.name) + words + "\n";
            }
        }
    }
    return out;
}

// The stick tables' contents, for the next generation, as the runtime API's own
// "set table <t> key <k> data.<type> <v>..." lines (through "show table", so whatever data
// types the tables store; oldest entries first, as they are listed). A remaining expiry
// restarts from the table's "expire"; rates restart from their current value.
std::string table_state_dump()
{
    if (!cli_has_command("show table"))
        return "";
    cli_session cs;
    cs.level = CLI_LVL_ADMIN;
    std::string out;
    for (auto& l : split(cli_run_line(cs, "show table"), '\n')) {
        if (l.rfind("# table: ", 0) != 0)
            continue;
        std::string name = l.substr(9, l.find(',') - 9);
        for (auto& e : split(cli_run_line(cs, "show table " + cli_word(name)), '\n')) {
            size_t k = e.find(" key="), u = e.find(" use=");
            if (e.empty() || e[0] == '#' || k == std::string::npos || u == std::string::npos || u < k)
                continue;
            std::string line = "set table " + cli_word(name) + " key " +
                               cli_word(e.substr(k + 5, u - k - 5));
            for (auto& f : split(e.substr(u + 1), ' ')) {
                size_t eq = f.find('=');
                if (eq == std::string::npos)
                    continue;
                std::string dn = f.substr(0, eq), v = f.substr(eq + 1);
                if (size_t par = dn.find('('); par != std::string::npos)
                    dn.resize(par); // "http_req_rate(10000)"
                if (dn == "use" || dn == "exp" || dn == "server_key" || v.empty() ||
                    v.find_first_not_of("-0123456789") != std::string::npos)
                    continue;
                line += " data." + dn + " " + v;
            }
            out += line + "\n";
        }
    }
    return out;
}

// Re-executes this master on the new configuration, leaving in the environment what the
// new image adopts: listening sockets (kept open across exec), workers, generation, and
// the servers' runtime state (in a memfd).
void reexec(config* cfg, const master_opts& o)
{
    // first: the commands already received are answered, so that the state handed over
    // below has what they changed
    std::string cli_fds = cli_export_listeners();
    if (cfg) {
        std::string dump = server_state_dump(*cfg);
        std::string tables = table_state_dump();
        if (!tables.empty())
            dump += "#tables\n" + tables;
        int mfd = memfd_create("portico-server-state", 0);
        if (mfd >= 0 && write(mfd, dump.data(), dump.size()) == (ssize_t)dump.size())
            setenv(k_env_srvstate, std::to_string(mfd).c_str(), 1);
        else if (mfd >= 0)
            close(mfd);
    }
    std::string ls;
    if (cfg)
        for (auto& p : cfg->proxies)
            for (auto& b : p->binds) {
                if (b->inherited_fd >= 0) {
                    fcntl(b->inherited_fd, F_SETFD, 0); // "fd@N" is found again by number
                    continue;
                }
                if (b->fds.empty())
                    continue;
                ls += (ls.empty() ? "" : ";") + bind_key(*b) + "=";
                for (size_t j = 0; j < b->fds.size(); j++) {
                    fcntl(b->fds[j], F_SETFD, 0);
                    ls += (j ? "," : "") + std::to_string(b->fds[j]);
                }
            }
    std::string cs;
    for (auto& kv : g_children)
        cs += (cs.empty() ? "" : ";") + std::to_string(kv.first) + ":" +
              std::to_string(kv.second.slot) + ":" + std::to_string(kv.second.gen) + ":" +
              std::to_string(kv.second.started_ms) + ":" +
              std::to_string((long long)kv.second.started) + ":" +
              std::to_string(kv.second.stopping ? kv.second.kill_at : 0);
    std::string st = std::to_string(g_gen + 1) + ":" + std::to_string(g_failed_reloads) + ":" +
                     std::to_string(g_reload_t0) + ":" + std::to_string((long long)g_master_start);
    setenv(k_env_listeners, ls.c_str(), 1);
    setenv(k_env_cli, cli_fds.c_str(), 1);
    setenv(k_env_children, cs.c_str(), 1);
    setenv(k_env_state, st.c_str(), 1);
    programs_export();
    std::vector<char*> av;
    for (auto& a : o.argv)
        av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    execv("/proc/self/exe", av.data());
    PTC_ALERT("reload: cannot re-execute %s: %s", o.argv[0].c_str(), strerror(errno));
    unsetenv(k_env_listeners);
    unsetenv(k_env_cli);
    unsetenv(k_env_children);
    unsetenv(k_env_state);
    if (const char* ss = getenv(k_env_srvstate)) {
        close(atoi(ss));
        unsetenv(k_env_srvstate);
    }
}

int g_srvstate_fd = -1;
config* g_live_cfg = nullptr; // the running configuration, for "_getsocks"

// "_getsocks" (stats socket with "expose-fd listeners"): sends every listening socket of
// the running configuration to the process that asked (-x), so that it serves the very
// same sockets: first "PORTICO-SOCKS <n>" and the n bind keys, one a line, then an empty
// line; then the descriptors in that order, 200 per message (SCM_RIGHTS).
bool send_listeners(int fd)
{
    if (!g_live_cfg)
        return false;
    std::vector<std::string> keys;
    std::vector<int> fds;
    for (auto& p : g_live_cfg->proxies)
        for (auto& b : p->binds) {
            if (b->inherited_fd >= 0)
                continue;
            for (int lfd : b->fds) {
                keys.push_back(bind_key(*b));
                fds.push_back(lfd);
            }
        }
    std::string hdr = "PORTICO-SOCKS " + std::to_string(fds.size()) + "\n";
    for (auto& k : keys)
        hdr += k + "\n";
    hdr += "\n";
    for (size_t off = 0; off < hdr.size();) {
        ssize_t n = send(fd, hdr.data() + off, hdr.size() - off, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    for (size_t i = 0; i < fds.size(); i += 200) {
        size_t k = std::min<size_t>(200, fds.size() - i);
        char byte = 'F';
        iovec iov{&byte, 1};
        std::vector<char> cbuf(CMSG_SPACE(sizeof(int) * k));
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = cbuf.data();
        m.msg_controllen = cbuf.size();
        cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * k);
        memcpy(CMSG_DATA(c), fds.data() + i, sizeof(int) * k);
        if (sendmsg(fd, &m, MSG_NOSIGNAL) != 1)
            return false;
    }
    PTC_NOTICE("Sent %zu listening socket%s to a new process (_getsocks)", fds.size(),
               fds.size() == 1 ? "" : "s");
    return true;
}

// The new generation inherits the servers' runtime state, replayed through the runtime
// API before its workers start: servers added at run time are added again, then weights,
// drain/maintenance and addresses set at run time are set again — except where the new
// configuration changed that very setting (its value wins).
void server_state_apply()
{
    if (g_srvstate_fd < 0)
        return;
    std::string text;
    char buf[65536];
    ssize_t n;
    lseek(g_srvstate_fd, 0, SEEK_SET);
    while ((n = read(g_srvstate_fd, buf, sizeof(buf))) > 0)
        text.append(buf, (size_t)n);
    close(g_srvstate_fd);
    g_srvstate_fd = -1;
    cli_session cs;
    cs.level = CLI_LVL_ADMIN;
    uint32_t kept = 0, entries = 0;
    auto lines = split(text, '\n');
    for (size_t i = 0; i < lines.size(); i++) {
        if (lines[i] == "#tables") {
            // the stick tables' entries, replayed into the tables that still exist
            for (size_t j = i + 1; j < lines.size(); j++)
                if (lines[j].rfind("set table ", 0) == 0 &&
                    cli_run_line(cs, lines[j]).find_first_not_of("\n> ") == std::string::npos)
                    entries++;
            break;
        }
        if (lines[i].rfind("add server ", 0) == 0)
            continue;
        auto w = cli_split(lines[i]);
        if (w.empty() || w[0].size() < 9)
            continue;
        auto& f = w[0];
        const std::string& id = f[0];
        bool dyn = f[1] == "1";
        if (dyn && i + 1 < lines.size() && lines[i + 1].rfind("add server ", 0) == 0) {
            std::string r = cli_run_line(cs, lines[i + 1]);
            if (r.find("New server registered") == std::string::npos) {
                PTC_WARN("Reload: server %s added at run time could not be added again: %s",
                         id.c_str(), r.substr(0, r.find('\n')).c_str());
                continue;
            }
        }
        size_t slash = id.find('/');
        proxy* be = g_config->find_backend(id.substr(0, slash));
        server* sv = nullptr;
        if (be)
            for (auto& s : be->servers)
                if (s->name == id.substr(slash + 1))
                    sv = s.get();
        if (!sv)
            continue; // gone from the configuration
        std::string who = cli_word(id);
        bool same_weight = dyn || std::to_string(sv->weight) == f[2];
        bool same_disabled = dyn || (sv->disabled ? "1" : "0") == f[3];
        bool same_addr = dyn || (sv->addr_spec.empty() ? "-" : sv->addr_spec) == f[4];
        if (same_weight && f[5] != std::to_string(sv->weight))
            cli_run_line(cs, "set server " + who + " weight " + f[5]);
        if (same_disabled && (f[6] != "ready" || dyn))
            cli_run_line(cs, "set server " + who + " state " + f[6]);
        if (same_addr && f[7] != "-" && (f[7] != addr_ip(sv->addr) ||
                                         f[8] != std::to_string(addr_port(sv->addr))))
            cli_run_line(cs, "set server " + who + " addr " + cli_word(f[7]) + " port " + f[8]);
        // the health checks' verdict: a server found down stays down until its checks
        // see it rise (refused for a server without checks)
        if (f.size() > 9 && cli_has_command("set server " + who + " health"))
            cli_run_line(cs, "set server " + who + " health " + f[9]);
        kept++;
    }
    if (kept)
        PTC_NOTICE("Reload: runtime state of %u server%s carried over", kept,
                   kept == 1 ? "" : "s");
    if (entries)
        PTC_NOTICE("Reload: %u stick-table entr%s carried over", entries,
                   entries == 1 ? "y" : "ies");
}

} // namespace

bool master_fetch_sockets(const std::string& path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (fd < 0 || path.size() >= sizeof(un.sun_path)) {
        PTC_WARN("-x %s: invalid socket path", path.c_str());
        if (fd >= 0)
            close(fd);
        return false;
    }
    memcpy(un.sun_path, path.data(), path.size());
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, reinterpret_cast<sockaddr*>(&un), sizeof(un)) < 0 ||
        send(fd, "_getsocks\n", 10, MSG_NOSIGNAL) != 10) {
        PTC_WARN("-x %s: cannot reach the previous process: %s; binding new sockets",
                 path.c_str(), strerror(errno));
        close(fd);
        return false;
    }
    // every read takes ancillary data too: a descriptor must never be dropped by a plain
    // read that crosses its byte
    std::string data;
    std::vector<int> fds;
    for (;;) {
        char buf[4096];
        std::vector<char> cbuf(CMSG_SPACE(sizeof(int) * 253));
        iovec iov{buf, sizeof(buf)};
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = cbuf.data();
        m.msg_controllen = cbuf.size();
        ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            break;
        data.append(buf, (size_t)n);
        for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
                fds.insert(fds.end(), p, p + k);
            }
    }
    close(fd);
    size_t end = data.find("\n\n");
    auto lines = split(data.substr(0, end == std::string::npos ? 0 : end), '\n');
    size_t want = lines.empty() || lines[0].rfind("PORTICO-SOCKS ", 0) != 0
                      ? SIZE_MAX
                      : strtoul(lines[0].c_str() + 14, nullptr, 10);
    if (want == SIZE_MAX || want != fds.size() || lines.size() != want + 1) {
        PTC_WARN("-x %s: unexpected answer from the previous process (%zu sockets "
                 "received); binding new sockets",
                 path.c_str(), fds.size());
        for (int f : fds)
            close(f);
        return false;
    }
    for (size_t i = 0; i < want; i++)
        g_inherited[lines[i + 1]].push_back(fds[i]);
    PTC_NOTICE("-x: took over %zu listening socket%s from the previous process", want,
               want == 1 ? "" : "s");
    return true;
}

bool master_adopt_reload_state()
{
    const char* st = getenv(k_env_state);
    if (!st)
        return false;
    auto f = split(st, ':');
    if (f.size() >= 4) {
        g_gen = (uint32_t)strtoul(f[0].c_str(), nullptr, 10);
        g_failed_reloads = (uint32_t)strtoul(f[1].c_str(), nullptr, 10);
        g_reload_t0 = strtoull(f[2].c_str(), nullptr, 10);
        g_master_start = (time_t)strtoll(f[3].c_str(), nullptr, 10);
    }
    if (const char* ls = getenv(k_env_listeners))
        for (auto& e : split(ls, ';')) {
            size_t eq = e.find('=');
            if (eq == std::string::npos)
                continue;
            auto& v = g_inherited[e.substr(0, eq)];
            for (auto& fd : split(e.substr(eq + 1), ','))
                v.push_back(atoi(fd.c_str()));
        }
    if (const char* cs = getenv(k_env_children))
        for (auto& e : split(cs, ';')) {
            auto c = split(e, ':');
            if (c.size() < 6)
                continue;
            child ch{atoi(c[1].c_str()), (uint32_t)strtoul(c[2].c_str(), nullptr, 10),
                     strtoull(c[3].c_str(), nullptr, 10), (time_t)strtoll(c[4].c_str(), nullptr, 10)};
            ch.ready = true;
            ch.kill_at = strtoull(c[5].c_str(), nullptr, 10);
            ch.stopping = ch.kill_at != 0;
            g_children[(pid_t)atoi(c[0].c_str())] = ch;
        }
    if (const char* cl = getenv(k_env_cli))
        cli_adopt_listeners(cl);
    if (const char* ss = getenv(k_env_srvstate)) {
        g_srvstate_fd = atoi(ss);
        fcntl(g_srvstate_fd, F_SETFD, FD_CLOEXEC);
    }
    unsetenv(k_env_listeners);
    unsetenv(k_env_cli);
    unsetenv(k_env_children);
    unsetenv(k_env_state);
    unsetenv(k_env_srvstate);
    return true;
}

namespace {

// The master's loop, shared by a normal run and the wait mode (<cfg> null: no workers of
// its own, only the previous generations to supervise).
int master_loop(config* cfg, const master_opts& o, uint32_t n, bool reloaded)
{
    bool stopped_by_sigint = false;
    int sfd = signalfd(-1, &g_sigs, SFD_CLOEXEC);
    programs_adopt(!cfg); // after a re-execution; the wait mode keeps them all
    if (cfg)
        programs_start(*cfg);
    if (cfg) {
        for (uint32_t i = 0; i < n; i++)
            if (spawn_worker(*cfg, (int)i, n) < 0)
                return 1;
        close(g_ready_fd[1]);
        g_ready_fd[1] = -1;
        if (!reloaded)
            PTC_NOTICE("portico %s started: %u worker%s", o.version, n, n > 1 ? "s" : "");
        else
            PTC_NOTICE("Reloading: new workers (generation %u) forked", g_gen);
    }
    uint32_t nready = 0;
    bool gen_ready = !cfg; // the wait mode has nothing to wait for
    // After a reload the previous generation accepts until this one serves: a runtime
    // change made meanwhile would reach only the new workers' state, so the runtime API
    // waits (bounded) until they serve; its clients wait in the sockets' backlog.
    uint64_t cli_hold_until = reloaded ? event::monotonic_ms() + 10000 : 0;
    bool ready_eof = false;

    enum { running, grace, soft, fast } state = running;
    uint64_t stop_deadline = 0;
    std::vector<uint64_t> crash_times;
    const global_conf* gc = cfg ? &cfg->global : nullptr;

    // The new generation is serving: the older ones stop accepting at once and finish
    // their work; the sockets of removed binds close.
    auto generation_ready = [&]() {
        gen_ready = true;
        uint64_t now = event::monotonic_ms();
        uint32_t old = 0;
        for (auto& c : g_children) {
            if (c.second.gen < g_gen && !c.second.stopping) {
                c.second.stopping = true;
                if (gc && gc->hard_stop_after)
                    c.second.kill_at = now + gc->hard_stop_after + 1000;
                kill(c.first, SIGUSR1);
                old++;
            }
            // "mworker-max-reloads": a worker still there after that many reloads goes
            if (gc && gc->mworker_max_reloads && c.second.gen < g_gen &&
                g_gen - c.second.gen > gc->mworker_max_reloads) {
                PTC_WARN("Former worker (%d) survived %u reloads (mworker-max-reloads %u): "
                         "sending SIGTERM",
                         (int)c.first, g_gen - c.second.gen, gc->mworker_max_reloads);
                kill(c.first, SIGTERM);
            }
        }
        for (int fd : g_removed) {
            shutdown(fd, SHUT_RDWR);
            close(fd);
        }
        g_removed.clear();
        programs_release_old();
        if (reloaded) {
            PTC_NOTICE("Reload complete: generation %u serving after %llu ms; %u previous "
                       "worker%s finishing",
                       g_gen, (unsigned long long)(g_reload_t0 ? now - g_reload_t0 : 0), old,
                       old == 1 ? "" : "s");
            g_reload_t0 = 0;
            sd_notify_send(o.sd_notify, "READY=1\nSTATUS=Reloaded.\n");
        } else {
            // systemd's "started": every worker accepts. Now the processes named by
            // -sf/-st may go: with -x they close their copies of the sockets we share
            for (pid_t p : o.finish_pids)
                kill(p, o.finish_hard ? SIGTERM : SIGUSR1);
            sd_notify_send(o.sd_notify, "READY=1\nSTATUS=Ready.\n");
        }
    };
    if (!cfg) // wait mode: the previous generation stays the current one
        sd_notify_send(o.sd_notify, "READY=1\nSTATUS=Reload failed.\n");

    auto begin_soft_stop = [&]() {
        state = soft;
        uint64_t now = event::monotonic_ms();
        // the master's copies go first: once the workers close theirs, the ports are
        // closed and new connections are refused, never left waiting
        if (cfg)
            for (auto& p : cfg->proxies)
                for (auto& b : p->binds) {
                    for (int fd : b->fds)
                        if (fd != b->inherited_fd)
                            close(fd);
                    b->fds.clear();
                }
        for (int fd : g_removed)
            close(fd);
        g_removed.clear();
        for (auto& c : g_children) {
            if (!c.second.stopping && gc && gc->hard_stop_after)
                c.second.kill_at = now + gc->hard_stop_after + 1000;
            c.second.stopping = true;
            kill(c.first, SIGUSR1);
        }
        programs_signal(SIGTERM); // HAProxy: a stop sends SIGTERM to the programs
    };
    auto begin_fast_stop = [&]() {
        if (state == fast)
            return;
        state = fast;
        stop_deadline = event::monotonic_ms() + 3000;
        for (auto& c : g_children)
            kill(c.first, SIGTERM);
        programs_signal(SIGTERM);
        sd_notify_send(o.sd_notify, "STOPPING=1\n");
    };
    auto do_reload = [&](const char* why, std::string& reason) -> bool {
        if (state != running) {
            reason = "the instance is stopping";
            PTC_WARN("Reload (%s) ignored: %s", why, reason.c_str());
            return false;
        }
        if (!gen_ready) {
            reason = "the previous reload is still starting its workers";
            PTC_WARN("Reload (%s) ignored: %s", why, reason.c_str());
            return false;
        }
        PTC_NOTICE("Reloading portico (%s)", why);
        sd_notify_send(o.sd_notify, "RELOADING=1\nSTATUS=Reloading Configuration.\n");
        g_reload_t0 = event::monotonic_ms();
        std::string out;
        if (!check_new_config(o, out)) {
            g_failed_reloads++;
            g_reload_t0 = 0;
            PTC_WARN("Reload failed: the new configuration is invalid; still serving with "
                     "the current one (generation %u)",
                     g_gen);
            for (auto& l : split(out, '\n'))
                PTC_WARN("  %s", l.c_str());
            sd_notify_send(o.sd_notify, "READY=1\nSTATUS=Reload failed.\n");
            reason = out;
            return false;
        }
        close(sfd);
        reexec(cfg, o);
        // exec failed: go on with the current configuration
        g_reload_t0 = 0;
        g_failed_reloads++;
        sfd = signalfd(-1, &g_sigs, SFD_CLOEXEC);
        reason = "cannot re-execute the master";
        return false;
    };
    mworker_set_reload_fn([&](std::string& reason) { return do_reload("master CLI", reason); });

    for (;;) {
        if (state != running && state != grace && g_children.empty() && programs_empty())
            break;
        uint64_t now = event::monotonic_ms();
        int tmo = -1;
        auto want = [&](uint64_t at) {
            int t = at > now ? (int)std::min<uint64_t>(at - now, 60000) : 0;
            tmo = tmo < 0 ? t : std::min(tmo, t);
        };
        if (state == fast) {
            if (now >= stop_deadline) {
                for (auto& c : g_children)
                    kill(c.first, SIGKILL);
                programs_signal(SIGKILL);
                stop_deadline = now + 1000;
            }
            want(stop_deadline);
        }
        if (state == grace) {
            if (now >= stop_deadline)
                begin_soft_stop();
            else
                want(stop_deadline);
        }
        for (auto& c : g_children)
            if (c.second.kill_at) {
                if (now >= c.second.kill_at) {
                    kill(c.first, SIGKILL);
                    c.second.kill_at = now + 1000;
                }
                want(c.second.kill_at);
            }
        // the signalfd first, the workers' readiness, then the runtime API's sockets
        std::vector<pollfd> pfds;
        pfds.push_back(pollfd{sfd, POLLIN, 0});
        // (a negative fd is skipped: once every writer is gone the pipe would poll as
        // POLLHUP forever)
        pfds.push_back(pollfd{gen_ready || ready_eof ? -1 : g_ready_fd[0], POLLIN, 0});
        bool cli_on = cfg && (gen_ready || now >= cli_hold_until);
        if (cfg && !cli_on)
            want(cli_hold_until);
        if (cli_on)
            cli_poll_fill(pfds);
        mworker_poll_fill(pfds);
        if (cfg) {
            tmo = smp::patref_master_turn(tmo); // catch up with the workers' map changes
            // a frontend a worker shut down (host->cli_run): close our copies of its sockets
            cli_master_turn();
            tmo = tmo < 0 ? 1000 : std::min(tmo, 1000);
        }
        int r = poll(pfds.data(), pfds.size(), cli_on ? cli_poll_timeout(tmo) : tmo);
        if (r > 0 && (pfds[1].revents & (POLLIN | POLLHUP))) {
            pid_t pids[64];
            ssize_t got = read(g_ready_fd[0], pids, sizeof(pids));
            if (got == 0)
                ready_eof = true; // the workers that never reported died (SIGCHLD says)
            for (ssize_t i = 0; i + (ssize_t)sizeof(pid_t) <= got; i += sizeof(pid_t)) {
                auto it = g_children.find(pids[i / sizeof(pid_t)]);
                if (it != g_children.end() && it->second.gen == g_gen && !it->second.ready) {
                    it->second.ready = true;
                    nready++;
                }
            }
            if (!gen_ready && nready >= n)
                generation_ready();
        }
        if (cli_on)
            cli_poll_handle(pfds, 2);
        mworker_poll_handle(pfds);
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
                if (it == g_children.end()) {
                    programs_reap(pid, st, state == running || state == grace, cfg);
                    continue;
                }
                child c = it->second;
                g_children.erase(it);
                int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
                if (c.gen < g_gen || !cfg) {
                    // HAProxy's words for a worker of a previous generation
                    PTC_WARN("Former worker (%d) exited with code %d (%s)", (int)pid, code,
                             WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "Exit");
                    continue;
                }
                if (state != running && state != grace)
                    continue;
                if (WIFSIGNALED(st))
                    PTC_ALERT("Current worker (%d) exited with code %d (%s)", (int)pid, code,
                              strsignal(WTERMSIG(st)));
                else
                    PTC_ALERT("Current worker (%d) exited with code %d", (int)pid, code);
                uint64_t t = event::monotonic_ms();
                crash_times.push_back(t);
                while (!crash_times.empty() && t - crash_times.front() > 10000)
                    crash_times.erase(crash_times.begin());
                if (crash_times.size() > 10) {
                    PTC_ALERT("workers keep exiting; stopping");
                    begin_fast_stop();
                    continue;
                }
                if (!c.ready && !gen_ready)
                    PTC_ALERT("worker %d of generation %u failed to start", c.slot, g_gen);
                // the replacement reports on a pipe of its own: it counts as ready (the
                // previous generation, if any, keeps serving until the others are)
                int pp[2] = {-1, -1};
                int keep = g_ready_fd[1];
                if (pipe2(pp, O_CLOEXEC) == 0)
                    g_ready_fd[1] = pp[1];
                pid_t np = spawn_worker(*cfg, c.slot, n);
                g_ready_fd[1] = keep;
                for (int fd : pp)
                    if (fd >= 0)
                        close(fd);
                if (np > 0) {
                    PTC_NOTICE("New worker (%d) forked to replace it", (int)np);
                    g_children[np].ready = true;
                    if (!c.ready && ++nready >= n && !gen_ready)
                        generation_ready();
                }
            }
            break;
        case SIGTERM:
        case SIGINT:
            if (si.ssi_signo == SIGINT)
                stopped_by_sigint = true;
            begin_fast_stop();
            break;
        case SIGUSR1:
            if (state == running) {
                sd_notify_send(o.sd_notify, "STOPPING=1\n");
                if (gc && gc->grace) {
                    PTC_NOTICE("soft stop requested: listeners stay open for the grace "
                               "period (%llu ms)",
                               (unsigned long long)gc->grace);
                    state = grace;
                    stop_deadline = event::monotonic_ms() + gc->grace;
                } else {
                    PTC_NOTICE("soft stop requested: listeners closed, workers finish their "
                               "connections");
                    begin_soft_stop();
                }
            }
            break;
        case SIGUSR2: {
            std::string reason;
            do_reload("SIGUSR2", reason);
            break;
        }
        case SIGHUP:
            PTC_NOTICE("SIGHUP received: no log file to reopen (portico logs to syslog "
                       "targets and stderr)");
            break;
        case SIGTTOU:
        case SIGTTIN: {
            bool pause = si.ssi_signo == SIGTTOU;
            // the socket stops listening (another process may take the port) or listens
            // again; then the workers stop or resume accepting
            for_each_listener(cfg, [&](int fd, bind_conf*) {
                if (pause)
                    shutdown(fd, SHUT_RD);
                else
                    listen(fd, SOMAXCONN);
            });
            for (auto& c : g_children)
                if (!c.second.stopping)
                    kill(c.first, si.ssi_signo);
            PTC_NOTICE("%s: listeners %s", pause ? "SIGTTOU" : "SIGTTIN",
                       pause ? "paused" : "resumed");
            break;
        }
        default:
            break;
        }
    }
    sd_notify_send(o.sd_notify, "STOPPING=1\n");
    if (!o.pidfile.empty() && !o.keep_pidfile)
        unlink(o.pidfile.c_str());
    // HAProxy's master (-W, -Ws, "master-worker") leaves with the status its workers got
    // from SIGINT, 128 + 2; SIGTERM is a normal end
    if (stopped_by_sigint && (o.master_worker || (cfg && cfg->global.master_worker)))
        return 128 + SIGINT;
    return 0;
}

// Writes the pidfile; false with an alert when it cannot.
bool write_pidfile(const std::string& path)
{
    FILE* f = fopen(path.c_str(), "w");
    if (!f) {
        PTC_ALERT("cannot create pidfile %s: %s", path.c_str(), strerror(errno));
        return false;
    }
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f) == 0;
}

} // namespace

int run_master(config& cfg, const master_opts& o)
{
    block_signals();
    bool reloaded = g_master_start != 0;
    if (!reloaded)
        g_master_start = time(nullptr);
    g_master_pid = getpid();
    const global_conf& g = cfg.global;
    // descriptors: "ulimit-n", else enough for maxconn client+server sockets
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlimit want = rl;
        if (g.ulimit_n)
            want.rlim_cur = want.rlim_max = g.ulimit_n;
        else
            want.rlim_cur = rl.rlim_max;
        if (want.rlim_cur != rl.rlim_cur || want.rlim_max != rl.rlim_max) {
            int r = setrlimit(RLIMIT_NOFILE, &want);
            if (r < 0 && g.ulimit_n && g.ulimit_n <= rl.rlim_max) {
                want.rlim_max = rl.rlim_max; // lower the soft limit only
                r = setrlimit(RLIMIT_NOFILE, &want);
            }
            if (r < 0 && g.ulimit_n) {
                if (g.strict_limits) {
                    PTC_ALERT("[portico.main()] Cannot raise FD limit to %u, limit is %llu "
                              "(strict-limits).",
                              g.ulimit_n, (unsigned long long)rl.rlim_max);
                    return 1;
                }
                PTC_WARN("[portico.main()] Cannot raise FD limit to %u, limit is %llu.",
                         g.ulimit_n, (unsigned long long)rl.rlim_max);
            }
        }
    }
    uint32_t n = o.workers;
    if (!shm_create(cfg)) {
        PTC_ALERT("cannot create the shared memory area: %s", strerror(errno));
        return 1;
    }
    cli_shm_init(cfg);
    cli_set_workers(n);
    server_state_file_apply(cfg); // "load-server-state-from-file": the saved states
    server_state_apply(); // reload: what the runtime API changed survives (wins: it is live)
    stop_hook_install(); // stopping workers answer "Connection: close"
    shm_module_seal(); // module areas are reserved by now (init/post_config): same in all workers
    if (!cli_bind(cfg))
        return 1;
    if (!mworker_cli_bind())
        return 1;
    if (o.daemon && !reloaded) {
        // the launcher returns once the daemon has written its pidfile, so whoever
        // started it can read it at once (init scripts, systemd's Type=forking)
        int sync[2];
        if (pipe2(sync, O_CLOEXEC) < 0) {
            PTC_ALERT("cannot create a pipe: %s", strerror(errno));
            return 1;
        }
        pid_t pid = fork();
        if (pid < 0) {
            PTC_ALERT("cannot fork into the background: %s", strerror(errno));
            return 1;
        }
        if (pid > 0) {
            close(sync[1]);
            char ok = 0;
            ssize_t r;
            do
                r = read(sync[0], &ok, 1);
            while (r < 0 && errno == EINTR);
            _exit(r == 1 && ok == 1 ? 0 : 1);
        }
        close(sync[0]);
        setsid();
        g_diag.pid = getpid();
        g_master_pid = getpid();
        bool ok = o.pidfile.empty() || write_pidfile(o.pidfile);
        char c = ok ? 1 : 0;
        if (write(sync[1], &c, 1) < 0 || !ok)
            return 1;
        close(sync[1]);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, STDIN_FILENO);
            dup2(nul, STDOUT_FILENO);
            if (!o.keep_stderr)
                dup2(nul, STDERR_FILENO);
            if (nul > 2)
                close(nul);
        }
    } else if (!o.pidfile.empty() && !write_pidfile(o.pidfile)) {
        return 1;
    }
    if (pipe2(g_ready_fd, O_CLOEXEC) < 0) {
        PTC_ALERT("cannot create a pipe: %s", strerror(errno));
        return 1;
    }
    mworker_set_info(g_gen, g_failed_reloads, g_master_start, o.version);
    g_live_cfg = &cfg;
    cli_set_getsocks(send_listeners);
    return master_loop(&cfg, o, n, reloaded);
}

int run_master_wait(const master_opts& o)
{
    block_signals();
    g_master_pid = getpid();
    g_failed_reloads++;
    g_reload_t0 = 0;
    g_gen--; // the previous generation stays the current one
    mworker_cli_bind();
    PTC_ALERT("Reload failed: the new configuration could not start; the previous workers "
              "keep serving (send SIGUSR2 to try again)");
    if (pipe2(g_ready_fd, O_CLOEXEC) < 0)
        return 1;
    mworker_set_info(g_gen, g_failed_reloads, g_master_start, o.version);
    // keep the previous sockets open: the old workers still accept on them
    for (auto& kv : g_inherited)
        for (int fd : kv.second)
            g_removed.push_back(fd);
    g_inherited.clear();
    return master_loop(nullptr, o, 0, true);
}

// "show proc" of the master CLI (HAProxy's layout).
long master_target_pid(const std::string& prefix)
{
    if (prefix.empty() || prefix[0] != '@')
        return -1;
    std::string p = prefix.substr(1);
    if (p.empty() || p == "master")
        return 0;
    bool bang = p[0] == '!';
    if (bang)
        p = p.substr(1);
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 9)
        return -1;
    long n = atol(p.c_str());
    if (!bang && n == 0)
        return 0;
    pid_t first = 0;
    for (auto& c : g_children) {
        if (bang && c.first == n)
            return n;
        if (!bang && c.second.gen == g_gen && (first == 0 || c.second.slot < g_children[first].slot))
            first = c.first;
    }
    return bang || first == 0 ? -1 : (long)first;
}

std::string master_show_proc()
{
    auto uptime = [](time_t since) {
        long long s = (long long)(time(nullptr) - since);
        char b[64];
        snprintf(b, sizeof(b), "%lldd%02lldh%02lldm%02llds", s / 86400, s / 3600 % 24,
                 s / 60 % 60, s % 60);
        return std::string(b);
    };
    char line[256];
    std::string out = "#<PID>          <type>          <reloads>       <uptime>        "
                      "<version>             \n";
    snprintf(line, sizeof(line), "%-15d %-15s %-15s %-15s %s\n", (int)getpid(), "master",
             (std::to_string(g_gen - 1) + " [failed: " + std::to_string(g_failed_reloads) + "]")
                 .c_str(),
             uptime(g_master_start).c_str(), mworker_version());
    out += line;
    out += "# workers\n";
    for (auto& c : g_children)
        if (c.second.gen == g_gen) {
            snprintf(line, sizeof(line), "%-15d %-15s %-15u %-15s %s\n", (int)c.first, "worker",
                     0u, uptime(c.second.started).c_str(), mworker_version());
            out += line;
        }
    out += "# old workers\n";
    for (auto& c : g_children)
        if (c.second.gen < g_gen) {
            snprintf(line, sizeof(line), "%-15d %-15s %-15u %-15s %s\n", (int)c.first, "worker",
                     g_gen - c.second.gen, uptime(c.second.started).c_str(), mworker_version());
            out += line;
        }
    out += programs_show_proc((long long)time(nullptr)) + "\n";
    return out;
}

uint32_t master_old_workers()
{
    uint32_t k = 0;
    for (auto& c : g_children)
        k += c.second.gen < g_gen;
    return k;
}

} // namespace portico

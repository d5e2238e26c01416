// SPDX-License-Identifier: MIT
// The master CLI ("-S"): one command line per connection, answered synchronously by the
// master (its commands are short); "show proc", "reload", "@..." routing, "help".
#include "proc/mworker.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/cli.hpp"
#include "event/clock.hpp"
#include "proxy/addr.hpp"
#include "util/diag.hpp"
#include "util/version.hpp"

namespace portico {

namespace {

// The next ';' of <line> from <from> that separates two commands: a backslash escapes the
// character after it (cli_split's rule), so an escaped ';' is not one.
size_t next_separator(const std::string& line, size_t from)
{
    for (size_t i = from; i < line.size(); i++) {
        if (line[i] == '\\')
            i++;
        else if (line[i] == ';')
            return i;
    }
    return std::string::npos;
}

std::string g_spec;
int g_fd = -1;
size_t g_poll_idx = 0;
std::function<bool(std::string&)> g_reload;
std::string g_version;

bool send_all(int fd, const std::string& s)
{
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                if (poll(&p, 1, 1000) > 0)
                    continue;
            }
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

// One command of the master CLI. <target>: the session's default target ("@..." alone on
// a command line sets it), -1 for the master.
std::string run_command(const std::string& line, bool& reexec_pending, long& target)
{
    std::string cmd = line;
    while (!cmd.empty() && (cmd.back() == '\r' || cmd.back() == ' '))
        cmd.pop_back();
    size_t b = cmd.find_first_not_of(' ');
    cmd = b == std::string::npos ? "" : cmd.substr(b);
    if (cmd.empty())
        return "";
    long to = target;
    if (cmd[0] == '@') {
        // "@<n>", "@!<pid>", "@master" then a command: the workers' runtime API is served
        // by this master on the instance's shared state, so a worker's command runs here
        size_t sp = cmd.find(' ');
        std::string prefix = cmd.substr(0, sp);
        long pid = master_target_pid(prefix);
        if (pid < 0)
            return "Can't find the target PID matching the prefix '" + prefix + "'\n";
        size_t r = sp == std::string::npos ? std::string::npos : cmd.find_first_not_of(' ', sp);
        if (r == std::string::npos) {
            target = pid == 0 ? -1 : pid; // "@..." alone: the default for what follows
            return "";
        }
        to = pid == 0 ? -1 : pid;
        cmd = cmd.substr(r);
    }
    if (to > 0 && cmd != "help" && cmd != "quit") {
        cli_session s;
        s.level = CLI_LVL_ADMIN;
        s.target_pid = to;
        return cli_run_line(s, cmd);
    }
    if (cmd == "show proc")
        return master_show_proc();
    if (cmd == "reload") {
        std::string why;
        if (!g_reload || g_reload(why)) {
            reexec_pending = true;
            return "";
        }
        return "Success=0\n--\n" + why + "\n";
    }
    if (cmd == "help")
        return "The following commands are valid at this level:\n"
               "  @<relative pid>                         : send a command to the <relative "
               "pid> process\n"
               "  @!<pid>                                 : send a command to the <pid> "
               "process\n"
               "  @master                                 : send a command to the master "
               "process\n"
               "  help                                    : this message\n"
               "  reload                                  : reload haproxy\n"
               "  show proc                               : show processes status\n"
               "  quit                                    : exit the master CLI\n\n";
    if (cmd == "quit")
        return "";
    cli_session s;
    s.level = CLI_LVL_ADMIN;
    return cli_run_line(s, cmd);
}

void serve(int fd)
{
    std::string in;
    char buf[1024];
    uint64_t deadline = event::monotonic_ms() + 2000;
    for (;;) {
        size_t nl = in.find('\n');
        if (nl != std::string::npos)
            break;
        uint64_t now = event::monotonic_ms();
        if (now >= deadline)
            break;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        in.append(buf, (size_t)n);
    }
    bool reexec = false;
    long target = -1; // the master, until "@..." alone names a worker
    size_t p = 0;
    while (p < in.size()) {
        size_t e = in.find('\n', p);
        std::string line = in.substr(p, e == std::string::npos ? std::string::npos : e - p);
        p = e == std::string::npos ? in.size() : e + 1;
        // several commands separated by ';' (a backslash escapes the next character: an
        // escaped ';' belongs to its command, passed on as written for the worker's own
        // parser, as HAProxy's master CLI does)
        size_t q = 0;
        while (q <= line.size()) {
            size_t s = next_separator(line, q);
            std::string one = line.substr(q, s == std::string::npos ? std::string::npos : s - q);
            std::string out = run_command(one, reexec, target);
            if (!out.empty())
                send_all(fd, out);
            if (s == std::string::npos)
                break;
            q = s + 1;
        }
    }
    close(fd);
    (void)reexec;
}

} // namespace

void mworker_cli_set(const std::string& spec) { g_spec = spec; }

void mworker_set_reload_fn(std::function<bool(std::string&)> fn) { g_reload = std::move(fn); }

void mworker_set_info(uint32_t, uint32_t, time_t, const char* version)
{
    g_version = std::string(k_haproxy_compat_version) + "-portico-" + (version ? version : "");
}

const char* mworker_version() { return g_version.c_str(); }

bool mworker_cli_bind()
{
    if (g_spec.empty() || g_fd >= 0)
        return true;
    std::string addr = g_spec.substr(0, g_spec.find(','));
    int fd = -1;
    std::string err;
    // as HAProxy's addresses: "fd@<n>" an inherited socket (vtest passes one), a prefix, or
    // no prefix: a path when it starts with '/' or '.', else "host:port"
    bool inet = addr.rfind("ipv4@", 0) == 0 || addr.rfind("ipv6@", 0) == 0 ||
                (addr.find('@') == std::string::npos && !addr.empty() && addr[0] != '/' &&
                 addr[0] != '.' && addr.find(':') != std::string::npos);
    if (addr.rfind("fd@", 0) == 0) {
        char* end = nullptr;
        long n = strtol(addr.c_str() + 3, &end, 10);
        int type = 0;
        socklen_t tl = sizeof(type);
        if (!*(addr.c_str() + 3) || *end || n < 0 || n > INT32_MAX ||
            getsockopt((int)n, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) {
            PTC_ALERT("-S: '%s' is not an inherited stream socket", addr.c_str());
            return false;
        }
        fd = (int)n; // kept without close-on-exec: a reload re-executes the master with it
    } else if (inet) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        std::string perr;
        if (!parse_addr(addr, addr_opts{}, ss, len, nullptr, perr)) {
            PTC_ALERT("-S: invalid address '%s': %s", addr.c_str(), perr.c_str());
            return false;
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
            err = strerror(errno);
    } else {
        if (addr.rfind("unix@", 0) == 0)
            addr = addr.substr(5);
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        if (addr.size() >= sizeof(un.sun_path)) {
            PTC_ALERT("-S: path too long '%s'", addr.c_str());
            return false;
        }
        memcpy(un.sun_path, addr.data(), addr.size());
        unlink(addr.c_str());
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof(un)) < 0)
            err = strerror(errno);
        else
            chmod(addr.c_str(), 0600);
    }
    if (err.empty() && listen(fd, 16) < 0)
        err = strerror(errno);
    if (!err.empty()) {
        PTC_ALERT("-S: cannot bind the master CLI socket (%s) [%s]", err.c_str(), addr.c_str());
        if (fd >= 0)
            close(fd);
        return false;
    }
    g_fd = fd;
    return true;
}

void mworker_close_in_child()
{
    if (g_fd >= 0)
        close(g_fd); // the master CLI is the master's
    g_fd = -1;
}

void mworker_poll_fill(std::vector<pollfd>& fds)
{
    g_poll_idx = fds.size();
    if (g_fd >= 0)
        fds.push_back(pollfd{g_fd, POLLIN, 0});
}

void mworker_poll_handle(const std::vector<pollfd>& fds)
{
    if (g_fd < 0 || g_poll_idx >= fds.size() || !(fds[g_poll_idx].revents & POLLIN))
        return;
    int c = accept4(g_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0)
        serve(c);
}

} // namespace portico

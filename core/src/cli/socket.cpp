// SPDX-License-Identifier: MIT
// The runtime API's sockets in the master: UNIX, TCP or inherited ("fd@N") listeners and
// the client sessions, driven by the master's poll(2) loop.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <map>

#include "cli/cli.hpp"
#include "event/clock.hpp"
#include "proxy/addr.hpp"
#include "util/diag.hpp"

namespace portico {

namespace {

struct session {
    int fd = -1;
    int level = CLI_LVL_OPERATOR;
    uint32_t timeout_ms = 0;
    std::string in;
    std::string out;
    cli_session cs;
    bool closing = false;     // close once <out> is sent
    bool eof = false;
    uint64_t deadline = 0;    // idle timeout
    bool expose_fd = false;   // its socket has "expose-fd listeners"
};

bool (*g_getsocks)(int fd) = nullptr;

std::list<session> g_sessions;
// Poll entries appended by the last cli_poll_fill(): a listener (index into g_cli.sockets)
// or a session.
struct poll_ref {
    int listener = -1;
    session* s = nullptr;
};
std::vector<poll_ref> g_refs;

uint32_t session_timeout(const session& s)
{
    return s.cs.timeout_ms ? s.cs.timeout_ms : g_cli.timeout_ms;
}

bool bind_unix(cli_socket_conf& sc, std::string& err)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = strerror(errno);
        return false;
    }
    // bind a temporary name, then rename it over the path: a stale socket file is replaced
    // atomically, as HAProxy does
    std::string tmp = sc.path + "." + std::to_string(getpid()) + ".tmp";
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof(un.sun_path), "%s", tmp.c_str());
    unlink(tmp.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof(un)) < 0) {
        err = strerror(errno);
        close(fd);
        return false;
    }
    if ((sc.has_mode && chmod(tmp.c_str(), sc.mode) < 0) ||
        ((sc.uid != (uid_t)-1 || sc.gid != (gid_t)-1) && chown(tmp.c_str(), sc.uid, sc.gid) < 0) ||
        listen(fd, 16) < 0 || rename(tmp.c_str(), sc.path.c_str()) < 0) {
        err = strerror(errno);
        unlink(tmp.c_str());
        close(fd);
        return false;
    }
    sc.fd = fd;
    return true;
}

bool bind_tcp(cli_socket_conf& sc, std::string& err)
{
    int fd = socket(sc.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = strerror(errno);
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<sockaddr*>(&sc.addr), sc.addrlen) < 0 || listen(fd, 16) < 0) {
        err = strerror(errno);
        close(fd);
        return false;
    }
    sc.fd = fd;
    return true;
}

void session_close(std::list<session>::iterator it)
{
    close(it->fd);
    g_sessions.erase(it);
}

// Appends what the peer sent so far to s.in; s.eof once it closed (or failed).
void session_read(session& s)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(s.fd, buf, sizeof(buf), 0);
        if (n > 0) {
            s.in.append(buf, (size_t)n);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            s.eof = true;
        return;
    }
}

void session_flush(session& s)
{
    while (!s.out.empty()) {
        ssize_t n = send(s.fd, s.out.data(), s.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            s.out.erase(0, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        s.out.clear(); // the peer is gone
        s.closing = true;
        return;
    }
}

// Runs every complete line buffered; non-interactive sessions end after their last one.
void session_process(session& s)
{
    if (s.cs.follow_ring && (!s.in.empty() || s.eof)) {
        // "show events -w": any key stops following; the command then ends as usual
        s.cs.follow_ring = nullptr;
        s.out += cli_follow_more(s.cs);
        s.in.clear();
        s.out += s.cs.interactive ? "\n> " : "\n";
        if (!s.cs.interactive)
            s.closing = true;
    }
    while (!s.closing && !s.cs.follow_ring) {
        size_t nl = s.in.find('\n');
        if (nl == std::string::npos)
            break;
        std::string line = s.in.substr(0, nl);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line == "_getsocks" && s.expose_fd && g_getsocks &&
            s.cs.level >= CLI_LVL_ADMIN) {
            // the listening sockets go to the process asking (-x): blocking, then close
            int fl = fcntl(s.fd, F_GETFL);
            fcntl(s.fd, F_SETFL, fl & ~O_NONBLOCK);
            g_getsocks(s.fd);
            s.closing = true;
            break;
        }
        size_t e = line.find_last_not_of(" \t");
        if (e != std::string::npos && e >= 2 && line.compare(e - 1, 2, "<<") == 0 &&
            (line[e - 2] == ' ' || line[e - 2] == '\t')) {
            // a payload follows, up to an empty line (HAProxy's "<<"): wait for all of it
            size_t end = s.in.find("\n\n", nl);
            size_t crend = s.in.find("\n\r\n", nl);
            if (crend != std::string::npos && (end == std::string::npos || crend < end))
                end = crend;
            if (end == std::string::npos) {
                if (!s.eof)
                    break;
                end = s.in.size();
            }
            std::string payload = s.in.substr(nl + 1, end + 1 - (nl + 1));
            s.in.erase(0, std::min(s.in.size(), end + (s.in.compare(end, 3, "\n\r\n") == 0 ? 3 : 2)));
            line.resize(e - 1);
            s.out += cli_run_line(s.cs, line, payload);
        } else {
            s.in.erase(0, nl + 1);
            s.out += cli_run_line(s.cs, line);
        }
        if (s.cs.follow_ring) {
            s.in.clear(); // what follows the command would stop it at once
            break;
        }
        if (s.cs.quit || (!s.cs.interactive && s.in.find('\n') == std::string::npos))
            s.closing = true;
    }
    if (s.eof)
        s.closing = true;
    if (s.in.size() > 65536) { // no line that long
        s.closing = true;
        s.out.clear();
    }
}

void on_accept(cli_socket_conf& sc)
{
    for (;;) {
        if (g_sessions.size() >= g_cli.maxconn)
            return; // stays in the backlog until a session ends
        int fd = accept4(sc.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        g_sessions.emplace_back();
        session& s = g_sessions.back();
        s.fd = fd;
        s.cs.level = sc.level;
        s.expose_fd = sc.expose_fd;
        s.deadline = event::monotonic_ms() + session_timeout(s);
    }
}

} // namespace

namespace {

std::map<std::string, int> g_adopted; // from the previous master: key => listening socket

std::string socket_key(const cli_socket_conf& sc)
{
    return sc.is_unix ? "unix:" + sc.path : "tcp:" + addr_to_string(sc.addr);
}

// A socket of the previous master for this configuration line, if any: its mode and owner
// are set again (the new configuration may have changed them).
bool adopt(cli_socket_conf& sc)
{
    auto it = g_adopted.find(socket_key(sc));
    if (it == g_adopted.end())
        return false;
    int fd = it->second;
    g_adopted.erase(it);
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
        close(fd);
        return false;
    }
    if (sc.is_unix) {
        struct stat st{};
        // the path must still be a socket (someone may have removed it): else bind anew
        if (stat(sc.path.c_str(), &st) < 0 || !S_ISSOCK(st.st_mode)) {
            close(fd);
            return false;
        }
        if (sc.has_mode)
            chmod(sc.path.c_str(), sc.mode);
        if (sc.uid != (uid_t)-1 || sc.gid != (gid_t)-1)
            if (chown(sc.path.c_str(), sc.uid, sc.gid) < 0) {
                // reported as a fresh bind would report it
                close(fd);
                return false;
            }
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    sc.fd = fd;
    return true;
}

} // namespace

void cli_adopt_listeners(const std::string& text)
{
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(';', pos);
        if (end == std::string::npos)
            end = text.size();
        std::string e = text.substr(pos, end - pos);
        pos = end + 1;
        size_t eq = e.rfind('=');
        if (eq == std::string::npos)
            continue;
        int fd = atoi(e.c_str() + eq + 1);
        if (fd > 2)
            g_adopted[e.substr(0, eq)] = fd;
    }
}

std::string cli_export_listeners()
{
    // what has arrived on the open sessions is answered now (bounded: a peer that reads
    // nothing does not hold the reload)
    uint64_t until = event::monotonic_ms() + 200;
    for (auto& s : g_sessions) {
        session_read(s);
        session_process(s);
        for (;;) {
            session_flush(s);
            if (s.out.empty() || event::monotonic_ms() >= until)
                break;
            pollfd p{s.fd, POLLOUT, 0}; // the peer reads slowly: wait a little for it
            poll(&p, 1, 20);
        }
    }
    std::string out;
    for (auto& sc : g_cli.sockets) {
        if (sc.fd < 0 || sc.fd == sc.inherited_fd)
            continue; // "fd@N" is found again by its number
        fcntl(sc.fd, F_SETFD, 0);
        out += (out.empty() ? "" : ";") + socket_key(sc) + "=" + std::to_string(sc.fd);
    }
    return out;
}

bool cli_bind(config&)
{
    bool ok = true;
    for (auto& sc : g_cli.sockets) {
        std::string err;
        if (sc.inherited_fd < 0 && adopt(sc))
            continue;
        if (sc.inherited_fd >= 0) {
            int type = 0;
            socklen_t len = sizeof(type);
            if (getsockopt(sc.inherited_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
                type != SOCK_STREAM) {
                PTC_ALERT("%s:%d: stats socket 'fd@%d' is not a stream socket", sc.file.c_str(),
                          sc.line, sc.inherited_fd);
                ok = false;
                continue;
            }
            int fl = fcntl(sc.inherited_fd, F_GETFL);
            fcntl(sc.inherited_fd, F_SETFL, fl | O_NONBLOCK);
            fcntl(sc.inherited_fd, F_SETFD, FD_CLOEXEC);
            listen(sc.inherited_fd, 16); // bound but maybe not listening yet
            sc.fd = sc.inherited_fd;
            continue;
        }
        bool r = sc.is_unix ? bind_unix(sc, err) : bind_tcp(sc, err);
        if (!r) {
            PTC_ALERT("%s:%d: stats socket: cannot bind %s socket (%s) [%s]", sc.file.c_str(),
                      sc.line, sc.is_unix ? "UNIX" : "TCP", err.c_str(),
                      sc.is_unix ? sc.path.c_str() : addr_to_string(sc.addr).c_str());
            ok = false;
        }
    }
    // sockets the new configuration no longer has
    for (auto& kv : g_adopted)
        close(kv.second);
    g_adopted.clear();
    return ok;
}

void cli_set_getsocks(bool (*fn)(int fd)) { g_getsocks = fn; }

void cli_close_in_child()
{
    for (auto& sc : g_cli.sockets)
        if (sc.fd >= 0)
            close(sc.fd);
    for (auto& s : g_sessions)
        close(s.fd);
    g_sessions.clear();
}

void cli_poll_fill(std::vector<pollfd>& fds)
{
    g_refs.clear();
    for (size_t i = 0; i < g_cli.sockets.size(); i++) {
        if (g_cli.sockets[i].fd < 0 || g_sessions.size() >= g_cli.maxconn)
            continue;
        fds.push_back(pollfd{g_cli.sockets[i].fd, POLLIN, 0});
        g_refs.push_back(poll_ref{(int)i, nullptr});
    }
    for (auto& s : g_sessions) {
        short ev = s.out.empty() ? (s.closing ? 0 : POLLIN) : POLLOUT;
        fds.push_back(pollfd{s.fd, ev, 0});
        g_refs.push_back(poll_ref{-1, &s});
    }
}

int cli_poll_timeout(int tmo)
{
    if (g_sessions.empty())
        return tmo;
    uint64_t now = event::monotonic_ms();
    uint64_t next = UINT64_MAX;
    for (auto& s : g_sessions)
        next = std::min(next, s.cs.follow_ring ? now + 100 : s.deadline); // followers: 10/s
    int t = next <= now ? 0 : (int)std::min<uint64_t>(next - now, 0x7fffffff);
    return tmo < 0 ? t : std::min(tmo, t);
}

void cli_poll_handle(const std::vector<pollfd>& fds, size_t first)
{
    for (size_t i = 0; i < g_refs.size() && first + i < fds.size(); i++) {
        const pollfd& p = fds[first + i];
        const poll_ref& r = g_refs[i];
        if (!p.revents)
            continue;
        if (r.listener >= 0) {
            on_accept(g_cli.sockets[(size_t)r.listener]);
            continue;
        }
        session& s = *r.s;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            session_read(s);
            s.deadline = event::monotonic_ms() + session_timeout(s);
            session_process(s);
        }
        session_flush(s);
    }
    // sessions following a ring get the lines stored since the last turn
    uint64_t now = event::monotonic_ms();
    for (auto& s : g_sessions)
        if (s.cs.follow_ring && !s.closing) {
            if (s.out.size() < 1024 * 1024) // a slow reader skips lines, never grows us
                s.out += cli_follow_more(s.cs);
            s.deadline = now + session_timeout(s);
            session_flush(s);
        }
    // end sessions that are done or idle for too long
    for (auto it = g_sessions.begin(); it != g_sessions.end();) {
        auto next = std::next(it);
        if ((it->closing && it->out.empty()) || now >= it->deadline)
            session_close(it);
        it = next;
    }
    g_refs.clear();
}

} // namespace portico

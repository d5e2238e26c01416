// SPDX-License-Identifier: MIT
// "program" sections: the configuration side (command, user, group, option
// start-on-reload) and the master's side — starting the commands, reaping them, starting a
// failed one again, handing them over across a re-execution and stopping them.
#include "proc/program.hpp"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>

#include "event/clock.hpp"
#include "proxy/proxy.hpp"
#include "util/diag.hpp"

namespace portico {

// ---- configuration ----------------------------------------------------------------------

bool program_open(config& cfg, const std::vector<std::string>& args, const std::string& file,
                  int line, std::string& err)
{
    if (args.size() != 2 || args[1].empty()) {
        err = "'program' expects an <id> argument";
        return false;
    }
    for (auto& p : cfg.programs)
        if (p.name == args[1]) {
            err = "'" + args[1] + "' program section already exists in the configuration";
            return false;
        }
    program_conf p;
    p.name = args[1];
    p.file = file;
    p.line = line;
    cfg.programs.push_back(std::move(p));
    return true;
}

bool program_keyword(config& cfg, const std::vector<std::string>& args, std::string& err)
{
    program_conf& p = cfg.programs.back();
    const std::string& k = args[0];
    if (k == "command") {
        if (args.size() < 2 || args[1].empty()) {
            err = "'command' expects a command with optional arguments separated in words";
            return false;
        }
        p.argv.assign(args.begin() + 1, args.end());
        return true;
    }
    if ((k == "option" || (k == "no" && args.size() > 1 && args[1] == "option"))) {
        size_t i = k == "no" ? 2 : 1;
        if (i >= args.size()) {
            err = "'option' expects an option name";
            return false;
        }
        if (args[i] != "start-on-reload") {
            err = "unknown option '" + args[i] + "'";
            return false;
        }
        if (i + 1 < args.size()) {
            err = "'option start-on-reload' cannot handle unexpected argument '" + args[i + 1] + "'";
            return false;
        }
        p.start_on_reload = k != "no";
        return true;
    }
    if (k == "user" || k == "group") {
        if (args.size() != 2 || args[1].empty()) {
            err = "'" + k + "' expects a " + k + " name";
            return false;
        }
        int64_t& dst = k == "user" ? p.uid : p.gid;
        if (dst >= 0) {
            err = k == "user" ? "user/uid already specified" : "group/gid already specified";
            return false;
        }
        errno = 0;
        if (k == "user") {
            passwd* pw = getpwnam(args[1].c_str());
            if (!pw) {
                err = "cannot find user id for '" + args[1] + "'";
                return false;
            }
            dst = pw->pw_uid;
        } else {
            group* gr = getgrnam(args[1].c_str());
            if (!gr) {
                err = "cannot find group id for '" + args[1] + "'";
                return false;
            }
            dst = gr->gr_gid;
        }
        return true;
    }
    err = "unknown keyword '" + k + "' in 'program' section";
    return false;
}

bool programs_check(const config& cfg, std::string& err)
{
    for (auto& p : cfg.programs)
        if (p.argv.empty()) {
            err = p.file + ":" + std::to_string(p.line) + ": the program section '" + p.name +
                  "' lacks a command to launch";
            return false;
        }
    return true;
}

// ---- master runtime ---------------------------------------------------------------------

namespace {

struct instance {
    std::string name;
    time_t started = 0;
    uint32_t reloads = 0;  // reloads it has lived through
    bool leaving = false;  // a previous configuration's: told to stop at the switch
    bool signalled = false;
};

std::map<pid_t, instance> g_progs;
std::map<std::string, std::vector<uint64_t>> g_fails; // recent failure times, per program

const char* const k_env = "PORTICO_MW_PROGRAMS";

pid_t spawn(const program_conf& p)
{
    pid_t pid = fork();
    if (pid < 0) {
        PTC_ALERT("Cannot fork program '%s': %s", p.name.c_str(), strerror(errno));
        return -1;
    }
    if (pid == 0) {
        // the command starts clean: default signals, none blocked, only stdio inherited
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int s = 1; s < NSIG; s++)
            signal(s, SIG_DFL);
        // every descriptor above stdio, gaps or not (a kernel without close_range: all of
        // them up to the descriptor limit)
        if (close_range(3, ~0U, 0) < 0) {
            long max = sysconf(_SC_OPEN_MAX);
            for (long fd = 3; fd < (max > 0 ? max : 1048576); fd++)
                close((int)fd);
        }
        if (p.gid >= 0) {
            setgroups(0, nullptr);
            if (setgid((gid_t)p.gid) < 0) {
                fprintf(stderr, "[ALERT] program '%s': cannot set gid %lld\n", p.name.c_str(),
                        (long long)p.gid);
                _exit(1);
            }
        }
        if (p.uid >= 0 && setuid((uid_t)p.uid) < 0) {
            fprintf(stderr, "[ALERT] program '%s': cannot set uid %lld\n", p.name.c_str(),
                    (long long)p.uid);
            _exit(1);
        }
        unsetenv(k_env);
        std::vector<char*> av;
        for (auto& a : p.argv)
            av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        execvp(av[0], av.data());
        fprintf(stderr, "[ALERT] Cannot execute %s: %s\n", av[0], strerror(errno));
        _exit(1);
    }
    instance in;
    in.name = p.name;
    in.started = time(nullptr);
    g_progs[pid] = in;
    PTC_NOTICE("New program '%s' (%d) forked", p.name.c_str(), (int)pid);
    return pid;
}

std::string uptime(long long now, time_t since)
{
    long long s = now - (long long)since;
    if (s < 0)
        s = 0;
    char b[64];
    snprintf(b, sizeof(b), "%lldd%02lldh%02lldm%02llds", s / 86400, s / 3600 % 24, s / 60 % 60,
             s % 60);
    return b;
}

} // namespace

void programs_adopt(bool keep)
{
    const char* e = getenv(k_env);
    if (!e)
        return;
    // "pid:started:reloads:signalled:name;..." (the name last: it may hold ':')
    std::string s = e;
    unsetenv(k_env);
    size_t pos = 0;
    while (pos < s.size()) {
        size_t end = s.find(';', pos);
        if (end == std::string::npos)
            end = s.size();
        std::string item = s.substr(pos, end - pos);
        pos = end + 1;
        long long pid = 0, started = 0;
        unsigned reloads = 0, signalled = 0;
        int n = 0;
        if (sscanf(item.c_str(), "%lld:%lld:%u:%u:%n", &pid, &started, &reloads, &signalled,
                   &n) < 4 || !n)
            continue;
        if (pid <= 0 || kill((pid_t)pid, 0) < 0)
            continue;
        instance in;
        in.name = item.substr((size_t)n);
        in.started = (time_t)started;
        in.reloads = reloads + 1;
        in.signalled = signalled != 0;
        // unless the new configuration keeps it (programs_start)
        in.leaving = in.signalled || !keep;
        g_progs[(pid_t)pid] = in;
    }
}

void programs_start(const config& cfg)
{
    for (auto& p : cfg.programs) {
        bool kept = false;
        if (!p.start_on_reload)
            for (auto& kv : g_progs)
                if (kv.second.leaving && !kv.second.signalled && kv.second.name == p.name) {
                    kv.second.leaving = false; // "no option start-on-reload": it goes on
                    kept = true;
                    break;
                }
        if (!kept)
            spawn(p);
    }
}

void programs_release_old()
{
    for (auto& kv : g_progs)
        if (kv.second.leaving && !kv.second.signalled) {
            kv.second.signalled = true;
            kill(kv.first, SIGUSR1);
        }
}

bool programs_reap(pid_t pid, int st, bool running, const config* cfg)
{
    auto it = g_progs.find(pid);
    if (it == g_progs.end())
        return false;
    instance in = it->second;
    g_progs.erase(it);
    int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    const char* why = WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "Exit";
    if (in.leaving || !running) {
        PTC_WARN("%s program '%s' (%d) exited with code %d (%s)",
                 in.leaving ? "Former" : "Current", in.name.c_str(), (int)pid, code, why);
        return true;
    }
    if (code == 0) {
        PTC_WARN("Current program '%s' (%d) exited with code 0 (Exit)", in.name.c_str(),
                 (int)pid);
        return true; // its work is done: not started again
    }
    PTC_ALERT("Current program '%s' (%d) exited with code %d (%s)", in.name.c_str(), (int)pid,
              code, why);
    if (!cfg)
        return true;
    // started again, unless it failed more than 5 times in the last 10 s
    auto& f = g_fails[in.name];
    uint64_t t = event::monotonic_ms();
    f.push_back(t);
    while (!f.empty() && t - f.front() > 10000)
        f.erase(f.begin());
    if (f.size() > 5) {
        PTC_ALERT("program '%s' keeps failing: not started again until the next reload",
                  in.name.c_str());
        return true;
    }
    for (auto& p : cfg->programs)
        if (p.name == in.name)
            spawn(p);
    return true;
}

void programs_signal(int sig)
{
    for (auto& kv : g_progs)
        kill(kv.first, sig);
}

bool programs_empty() { return g_progs.empty(); }

std::string programs_show_proc(long long now)
{
    std::string out = "# programs\n";
    char line[512];
    bool old = false;
    for (auto& kv : g_progs) {
        if (kv.second.leaving) {
            old = true;
            continue;
        }
        snprintf(line, sizeof(line), "%-15d %-15s %-15u %-15s %-15s\n", (int)kv.first,
                 kv.second.name.c_str(), kv.second.reloads,
                 uptime(now, kv.second.started).c_str(), "-");
        out += line;
    }
    if (old) {
        out += "# old programs\n";
        for (auto& kv : g_progs)
            if (kv.second.leaving) {
                snprintf(line, sizeof(line), "%-15d %-15s %-15u %-15s %-15s\n", (int)kv.first,
                         kv.second.name.c_str(), kv.second.reloads,
                         uptime(now, kv.second.started).c_str(), "-");
                out += line;
            }
    }
    return out;
}

void programs_export()
{
    std::string s;
    for (auto& kv : g_progs)
        s += (s.empty() ? "" : ";") + std::to_string(kv.first) + ":" +
             std::to_string((long long)kv.second.started) + ":" +
             std::to_string(kv.second.reloads) + ":" + (kv.second.signalled ? "1:" : "0:") +
             kv.second.name;
    if (s.empty())
        unsetenv(k_env);
    else
        setenv(k_env, s.c_str(), 1);
}

} // namespace portico

// SPDX-License-Identifier: MIT
// Reads configuration files into logical lines: comments, quoting, ".if" blocks, directives.
#include "cfg/reader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <sys/stat.h>

namespace portico::cfg {

namespace {

constexpr size_t max_nested_conds = 256; // same nesting limit as HAProxy

// Keywords that open a section; used only to resolve the ".SECTION" pseudo-variable.
constexpr std::array<std::string_view, 17> section_keywords = {
    "backend", "cache",   "defaults",    "fcgi-app", "frontend", "global",
    "http-errors", "listen", "log-forward", "mailers", "peers", "program",
    "resolvers", "ring", "userlist", "crt-store", "traces",
};

// State of one ".if" level, as in HAProxy: TAKE = lines are used, DROP = lines skipped
// and a later branch may still be taken, SKIP = a branch was already taken or the whole
// block sits in a skipped parent.
enum class cond_state { if_take, if_drop, if_skip, elif_take, elif_drop, elif_skip,
                        else_take, else_drop };

struct cond_level {
    cond_state state;
    int if_line; // line of the opening ".if", for the unterminated-block error
};

bool is_dropping(cond_state s)
{
    return s == cond_state::if_drop || s == cond_state::if_skip || s == cond_state::elif_drop ||
           s == cond_state::elif_skip || s == cond_state::else_drop;
}

bool branch_done(cond_state s)
{
    return s == cond_state::if_take || s == cond_state::if_skip || s == cond_state::elif_take ||
           s == cond_state::elif_skip;
}

class file_reader {
public:
    file_reader(const std::string &name, const cond_env &env, std::vector<line> &out,
                std::vector<diag> &diags)
        : name_(name), env_(env), out_(out), diags_(diags)
    {
    }

    // Processes a whole file content. Returns false if reading must stop (fatal error).
    bool run(std::string_view text);
    bool failed() const { return failed_; }

private:
    // Returns false when reading must stop.
    bool handle_line(std::string_view raw);
    bool handle_directive(const std::vector<std::string> &w);
    bool handle_message(const std::vector<std::string> &w);
    int eval(const std::vector<std::string> &w, const char *what);
    void report(diag_level lvl, std::string msg, int lineno = -1);
    const char *lookup(const std::string &name);

    const std::string &name_;
    const cond_env &env_;
    std::vector<line> &out_;
    std::vector<diag> &diags_;
    std::vector<cond_level> conds_;
    int lineno_ = 0;
    bool failed_ = false;
    std::string section_;
    std::string tmp_; // storage for pseudo-variable values
};

void file_reader::report(diag_level lvl, std::string msg, int lineno)
{
    const bool err = lvl == diag_level::alert;
    diags_.push_back(diag{name_, lineno < 0 ? lineno_ : lineno, err, std::move(msg), lvl});
    if (err)
        failed_ = true;
}

const char *file_reader::lookup(const std::string &name)
{
    if (!name.empty() && name[0] == '.') {
        if (name == ".FILE")
            return name_.c_str();
        if (name == ".LINE") {
            tmp_ = std::to_string(lineno_);
            return tmp_.c_str();
        }
        if (name == ".SECTION")
            return section_.c_str();
        return nullptr;
    }
    if (env_.getenv_fn)
        return env_.getenv_fn(name);
    return std::getenv(name.c_str());
}

bool file_reader::run(std::string_view text)
{
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        lineno_++;
        if (nl == std::string_view::npos) {
            report(diag_level::alert,
                   "Missing LF on last line, file might have been truncated at position " +
                       std::to_string(text.size() - pos + 1) + ".");
            break;
        }
        if (!handle_line(text.substr(pos, nl - pos)))
            return false;
        pos = nl + 1;
    }
    if (!conds_.empty()) {
        report(diag_level::alert, "non-terminated '.if' block.", conds_.back().if_line);
        return false;
    }
    return true;
}

int file_reader::eval(const std::vector<std::string> &w, const char *what)
{
    std::string err;
    cond_env env = env_;
    env.getenv_fn = [this](const std::string &n) { return lookup(n); };
    const int ret = eval_condition(std::vector<std::string>(w.begin() + 1, w.end()), env, err);
    if (ret < 0)
        report(diag_level::alert, err + " in '" + what + "'.");
    return ret;
}

bool file_reader::handle_directive(const std::vector<std::string> &w)
{
    const std::string &kw = w[0];
    if (kw == ".if") {
        if (conds_.size() >= max_nested_conds) {
            report(diag_level::alert, "too many nested '.if', max is " +
                                          std::to_string(max_nested_conds) + ".");
            return false;
        }
        if (!conds_.empty() && is_dropping(conds_.back().state)) {
            conds_.push_back({cond_state::if_skip, lineno_});
            return true;
        }
        const int c = eval(w, ".if");
        if (c < 0)
            return false;
        conds_.push_back({c ? cond_state::if_take : cond_state::if_drop, lineno_});
        return true;
    }
    if (kw == ".elif") {
        if (conds_.empty()) {
            report(diag_level::alert, "lone '.elif' with no matching '.if'.");
            return false;
        }
        cond_state &st = conds_.back().state;
        if (st == cond_state::else_take || st == cond_state::else_drop) {
            report(diag_level::alert, "'.elif' after '.else' is not permitted.");
            return false;
        }
        if (branch_done(st)) {
            st = cond_state::elif_skip;
            return true;
        }
        const int c = eval(w, ".elif");
        if (c < 0)
            return false;
        st = c ? cond_state::elif_take : cond_state::elif_drop;
        return true;
    }
    // .else / .endif
    if (w.size() > 1) {
        report(diag_level::alert, "Unexpected argument '" + w[1] + "' for '" + kw + "'.");
        return false;
    }
    if (conds_.empty()) {
        report(diag_level::alert, "lone '" + kw + "' with no matching '.if'.");
        return false;
    }
    if (kw == ".endif") {
        conds_.pop_back();
        return true;
    }
    cond_state &st = conds_.back().state;
    if (st == cond_state::else_take || st == cond_state::else_drop) {
        report(diag_level::alert, "'.else' after '.else' is not permitted.");
        return false;
    }
    st = branch_done(st) ? cond_state::else_drop : cond_state::else_take;
    return true;
}

bool file_reader::handle_message(const std::vector<std::string> &w)
{
    const std::string &kw = w[0];
    diag_level lvl;
    if (kw == ".alert")
        lvl = diag_level::alert;
    else if (kw == ".warning")
        lvl = diag_level::warning;
    else if (kw == ".notice")
        lvl = diag_level::notice;
    else if (kw == ".diag")
        lvl = diag_level::diag;
    else {
        report(diag_level::alert, "unknown directive '" + kw + "'.");
        return false;
    }
    if (w.size() > 2) {
        report(diag_level::alert, "Unexpected argument '" + w[2] + "' for '" + kw +
                                      "'. Use quotes if the message should contain spaces.");
        return true;
    }
    report(lvl, "'" + (w.size() > 1 ? w[1] : std::string()) + "'.");
    return lvl != diag_level::alert;
}

bool file_reader::handle_line(std::string_view raw)
{
    const size_t nul = raw.find('\0');
    if (nul != std::string_view::npos) {
        report(diag_level::alert, "NUL character at position " + std::to_string(nul + 1) + ".");
        return true;
    }

    std::vector<std::string> w;
    std::string err;
    if (!tokenize(raw, w, err, [this](const std::string &n) { return lookup(n); })) {
        report(diag_level::alert, err + ".");
        return true;
    }
    if (w.empty() || w[0].empty())
        return true;

    const std::string &kw = w[0];
    if (kw == ".if" || kw == ".elif" || kw == ".else" || kw == ".endif")
        return handle_directive(w);
    if (!conds_.empty() && is_dropping(conds_.back().state))
        return true;
    if (kw[0] == '.')
        return handle_message(w);

    if (std::find(section_keywords.begin(), section_keywords.end(), kw) !=
        section_keywords.end())
        section_ = w.size() > 1 ? w[1] : kw;
    out_.push_back(line{name_, lineno_, std::move(w)});
    if (env_.on_line)
        env_.on_line(out_.back());
    return true;
}

// HAProxy takes a directory entry when it does not start with '.' and its first ".cfg"
// is at the end of the name.
bool is_cfg_name(const char *name)
{
    if (name[0] == '.')
        return false;
    const char *ext = std::strstr(name, ".cfg");
    return ext && ext[4] == '\0';
}

} // namespace

bool expand_config_paths(const std::vector<std::string> &paths, std::vector<std::string> &files,
                         std::vector<diag> &diags)
{
    for (const std::string &p : paths) {
        struct stat st;
        if (stat(p.c_str(), &st) != 0) {
            diags.push_back({p, 0, true,
                             "Cannot open configuration file/directory " + p + " : " +
                                 std::strerror(errno),
                             diag_level::alert});
            return false;
        }
        if (!S_ISDIR(st.st_mode)) {
            files.push_back(p);
            continue;
        }
        DIR *d = opendir(p.c_str());
        if (!d) {
            diags.push_back({p, 0, true,
                             "Cannot open configuration directory " + p + " : " +
                                 std::strerror(errno),
                             diag_level::alert});
            return false;
        }
        std::vector<std::string> names;
        while (const dirent *de = readdir(d)) {
            if (is_cfg_name(de->d_name))
                names.emplace_back(de->d_name);
        }
        closedir(d);
        std::sort(names.begin(), names.end()); // byte order, as alphasort in the C locale
        for (const std::string &n : names) {
            const std::string full = p + "/" + n;
            if (stat(full.c_str(), &st) != 0) {
                diags.push_back({full, 0, true,
                                 "Cannot open configuration file " + full + " : " +
                                     std::strerror(errno),
                                 diag_level::alert});
                return false;
            }
            if (S_ISREG(st.st_mode)) // skip sub-directories and special files
                files.push_back(full);
        }
    }
    return true;
}

bool read_string(std::string_view text, const std::string &name, const cond_env &env,
                 std::vector<line> &out, std::vector<diag> &diags)
{
    file_reader r(name, env, out, diags);
    r.run(text);
    return !r.failed();
}

bool read_files(const std::vector<std::string> &paths, const cond_env &env,
                std::vector<line> &out, std::vector<diag> &diags)
{
    std::vector<std::string> files;
    if (!expand_config_paths(paths, files, diags))
        return false;
    bool ok = true;
    for (const std::string &f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            diags.push_back({f, 0, true,
                             "Cannot open configuration file " + f + " : " +
                                 std::strerror(errno),
                             diag_level::alert});
            return false;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        file_reader r(f, env, out, diags);
        const bool go_on = r.run(ss.str());
        ok = ok && !r.failed();
        if (!go_on)
            return false;
    }
    return ok;
}

} // namespace portico::cfg

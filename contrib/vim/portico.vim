" SPDX-License-Identifier: MIT
" Vim syntax for portico (HAProxy-dialect) configuration files.
" Install: copy to ~/.vim/syntax/ and add to ~/.vim/filetype.vim or vimrc:
"   au BufRead,BufNewFile portico*.cfg,*/portico/*.cfg setf portico

if exists("b:current_syntax")
  finish
endif

syn case ignore
syn iskeyword @,48-57,_,192-255,-

syn match   ptcComment     /\(^\|\s\)#.*$/ contains=ptcTodo
syn keyword ptcTodo        TODO FIXME XXX contained

syn match   ptcSection     /^\s*\(global\|defaults\|frontend\|backend\|listen\|resolvers\|peers\|userlist\|program\)\>/
syn match   ptcCond        /^\s*\.\(if\|elif\|else\|endif\|diag\|notice\|warning\|alert\)\>/

syn keyword ptcKeyword     bind server default-server server-template default_backend use_backend
syn keyword ptcKeyword     mode balance hash-type maxconn fullconn timeout retries option log
syn keyword ptcKeyword     log-format acl errorfile monitor-uri cookie stick-table stick slowstart
syn keyword ptcKeyword     http-request http-response http-after-response tcp-request http-check
syn keyword ptcKeyword     tcp-check http-reuse capture stats daemon workers nbthread cpu-map
syn keyword ptcKeyword     user group uid gid chroot pidfile log-tag hard-stop-after spread-checks
syn keyword ptcKeyword     module-path module-load lua-load lua-load-per-thread lua-prepend-path
syn match   ptcKeyword     /\<\(tune\|ssl-default-bind\|ssl-default-server\)[.-][a-z0-9.-]\+/

syn keyword ptcCondWord    if unless
syn keyword ptcServerOpt   check inter fastinter downinter rise fall weight backup disabled ssl
syn keyword ptcServerOpt   verify crt ca-file alpn sni send-proxy send-proxy-v2 accept-proxy
syn keyword ptcValue       tcp http roundrobin static-rr leastconn first source uri url_param
syn keyword ptcValue       random maglev leasttime consistent map-based insert rewrite prefix
syn keyword ptcValue       indirect nocache none required optional

syn region  ptcString      start=/"/ skip=/\\"/ end=/"/ contains=ptcEnvVar oneline
syn region  ptcSString     start=/'/ end=/'/ oneline
syn match   ptcEnvVar      /\${[A-Za-z_][A-Za-z0-9_]*}/ contained
syn match   ptcNumber      /\<\d\+\(us\|ms\|s\|m\|h\|d\|k\|g\)\=\>/
syn match   ptcAddress     /\<\d\{1,3}\(\.\d\{1,3}\)\{3}\(:\d\+\(-\d\+\)\=\)\=\>/
syn match   ptcAddress     /\*:\d\+/

hi def link ptcComment     Comment
hi def link ptcTodo        Todo
hi def link ptcSection     Statement
hi def link ptcCond        PreProc
hi def link ptcKeyword     Keyword
hi def link ptcCondWord    Conditional
hi def link ptcServerOpt   Type
hi def link ptcValue       Constant
hi def link ptcString      String
hi def link ptcSString     String
hi def link ptcEnvVar      Identifier
hi def link ptcNumber      Number
hi def link ptcAddress     Number

let b:current_syntax = "portico"

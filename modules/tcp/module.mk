# tcp module: mode tcp forwarding
MODULES += tcp
tcp_SRCS := modules/tcp/tcp.cpp

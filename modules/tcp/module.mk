# tcp module: mode tcp forwarding
MODULES += tcp
tcp_SRCS := modules/tcp/tcp.cpp modules/tcp/hello.cpp
# The ClientHello reader alone (fuzz/fuzz_hello.cpp, test/test_hello.cpp).
tcp_FUZZ_SRCS := modules/tcp/hello.cpp

# slowstart module: "slowstart <time>" ramps a server's effective weight (and maxconn)
MODULES += slowstart
slowstart_SRCS := modules/slowstart/slowstart.cpp

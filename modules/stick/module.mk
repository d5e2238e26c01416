# SPDX-License-Identifier: MIT
# stick module: persistence cookies and stick tables shared by all workers.
MODULES += stick
stick_SRCS := $(sort $(wildcard modules/stick/*.cpp))
# The peers protocol's pure decoders, for the fuzz targets in fuzz/.
stick_FUZZ_SRCS := modules/stick/peerwire.cpp modules/stick/peermsg.cpp modules/stick/dtypes.cpp

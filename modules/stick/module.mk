# SPDX-License-Identifier: MIT
# stick module: persistence cookies and stick tables shared by all workers.
MODULES += stick
stick_SRCS := $(sort $(wildcard modules/stick/*.cpp))

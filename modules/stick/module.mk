# SPDX-License-Identifier: MIT
# stick module: persistence cookies (stick tables to come).
MODULES += stick
stick_SRCS := $(sort $(wildcard modules/stick/*.cpp))

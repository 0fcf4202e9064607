# bench/serve/bench.mk - builds the bench/serve load generator.
#
# Included by the top-level Makefile, or standalone from the repository root:
#     make -f bench/serve/bench.mk            -> build/loadgen
# Variables the includer sets (BUILD, CC, CFLAGS, LDFLAGS, WERROR) win; the
# defaults below only fill in what is unset, so the standalone build is
# strict (-Werror) while an including Makefile keeps control of -Werror
# through its own WERROR=1.

BUILD ?= build
# make predefines CC=cc; treat that as unset so the documented default holds
ifeq ($(origin CC),default)
CC = gcc
endif
ifeq ($(origin CFLAGS),undefined)
CFLAGS = -O2 -g -Werror
endif
LDFLAGS ?=

# The project's warning set, applied whatever CFLAGS says.
BENCH_SERVE_CFLAGS := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wwrite-strings
ifeq ($(WERROR),1)
BENCH_SERVE_CFLAGS += -Werror
endif

BENCH_SERVE_MK := $(lastword $(MAKEFILE_LIST))
BENCH_SERVE_DIR := $(patsubst %/,%,$(dir $(BENCH_SERVE_MK)))

.PHONY: bench-serve-loadgen
bench-serve-loadgen: $(BUILD)/loadgen

$(BUILD)/loadgen: $(BENCH_SERVE_DIR)/loadgen.c $(BENCH_SERVE_MK)
	@mkdir -p $(@D)
	$(CC) $(BENCH_SERVE_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

# domtimed - GNU Makefile.
#
#   make            build/domtimed and build/domtimectl
#   make check      install what the tests need, build with -Werror, run every test
#   make demo       install what it needs, build, run the demo on loopback
#   make fuzz       build the libFuzzer targets (FUZZ_SECONDS=N make fuzz-run runs them)
#   make bench      run the benchmarks (ratios against chronyd)
#   make sim-check  short closed-loop simulator runs (part of make check)
#   make man        regenerate man/domtimed.conf.5 from the configuration table

VERSION := 0.1.0
BUILD ?= build
CC ?= cc
FUZZ_CC ?= clang
PKGS := libevent jansson libsystemd libcap libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wwrite-strings -Wpointer-arith -Wundef -Wvla
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CFLAGS ?= -g -O2
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DDOMTIMED_VERSION='"$(VERSION)"' $(WARNINGS) \
	$(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lm
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ------------------------------------------------------------------
COMMON_SRCS := common/log.c common/xmalloc.c common/loop.c
NTP_SRCS := ntp/packet.c ntp/clock.c ntp/reference.c ntp/ratelimit.c ntp/io.c ntp/server.c \
	ntp/poll.c ntp/sync.c \
	ntp/filter.c ntp/select.c ntp/discipline.c ntp/srvspec.c ntp/peer.c ntp/client.c
DAEMON_SRCS := daemon/config.c daemon/ctl_proto.c daemon/control.c daemon/daemon.c \
	daemon/commands.c daemon/privs.c daemon/directory.c
HIERARCHY_SRCS := hierarchy/hierarchy.c
# Everything but main(): what unit tests and fuzz targets link against.
LIB_SRCS := $(COMMON_SRCS) $(NTP_SRCS) $(HIERARCHY_SRCS) $(DAEMON_SRCS)
DOMTIMED_SRCS = $(LIB_SRCS) daemon/main.c
DOMTIMECTL_SRCS := daemon/domtimectl.c daemon/stripchart.c daemon/monitor.c daemon/probe.c \
	daemon/ctl_proto.c common/xmalloc.c common/log.c ntp/packet.c ntp/clock.c ntp/srvspec.c

UNIT_TESTS := packet clock config ratelimit server ctl_proto filter select discipline srvspec \
	poll sync \
	hierarchy
FUZZ_TARGETS := packet config ctl_request select forest netlogon

obj = $(patsubst %.c,$(2)/%.o,$(1))
# Objects built through pattern chains are kept: rebuilding every sanitizer and
# fuzzer object on each run costs minutes, and the .d files track headers.
.SECONDARY:

# The directory module brings its own sources, libraries and tests.
include ldap/ldap.mk
LIB_SRCS += $(LDAP_SRCS)
LDLIBS += $(LDAP_LIBS)
UNIT_TESTS += $(LDAP_UNIT_TESTS)

.PHONY: all check unit integration fuzz fuzz-run fuzz-smoke demo bench bench-serve \
	bench-discovery bench-accuracy bench-sim sim-check man man-check deps clean
all: $(BUILD)/domtimed $(BUILD)/domtimectl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -c $< -o $@

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-recover=all -c $< -o $@

$(BUILD)/domtimed: $(call obj,$(DOMTIMED_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/domtimectl: $(call obj,$(DOMTIMECTL_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# ---- unit tests (cmocka, under ASan+UBSan) -----------------------------------------
$(BUILD)/asan/test_%: $(BUILD)/asan/tests/unit/test_%.o $(call obj,$(LIB_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(addprefix $(BUILD)/asan/test_,$(UNIT_TESTS))
	@set -e; for t in $^; do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

# ---- fuzzing (clang libFuzzer) ---------------------------------------------------------
$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(call obj,$(LIB_SRCS),$(BUILD)/fuzz)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))

# Test support in C that a unit test and a fuzz target share.
$(BUILD)/asan/test_forest: $(BUILD)/asan/tests/support/forest_text.o
$(BUILD)/fuzz/fuzz_forest: $(BUILD)/fuzz/tests/support/forest_text.o

FUZZ_SECONDS ?= 600
fuzz-run: fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run.sh $(BUILD)/fuzz/fuzz_$$t tests/fuzz/$$t $(FUZZ_SECONDS); done

# A short run of every target inside make check.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=15

# ---- integration tests, demo, benchmarks -------------------------------------------------
integration: all ldap-tools $(BUILD)/linkdelay
	tests/integration/run.sh

deps:
	scripts/deps.sh

check: deps
	$(MAKE) WERROR=1 all unit man-check sim-check
	$(MAKE) WERROR=1 fuzz-smoke
	$(MAKE) WERROR=1 integration

demo: deps
	$(MAKE) all $(BUILD)/linkdelay
	scripts/demo.sh

# ---- closed-loop simulator (tests/sim) -----------------------------------------------------
$(BUILD)/sim: $(BUILD)/obj/tests/sim/sim.o $(call obj,$(LIB_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Three seeds with bars half as loose again: a regression test of the discipline, ~2 s of CPU.
sim-check: $(BUILD)/sim
	$(BUILD)/sim --loose --seeds 3

# Benchmarks print figures and ratios against chronyd; they are not tests.
bench: bench-sim bench-serve bench-discovery bench-accuracy
# The issue-14 table: five seeds, our figures beside chronyd's (a FAIL is reported, not fatal).
bench-sim: $(BUILD)/sim
	-$(BUILD)/sim --seeds 5
bench-serve: deps all
	bench/serve/run.sh
bench-discovery: deps all ldap-tools
	bench/discovery/run.sh
bench-accuracy: deps all $(BUILD)/linkdelay
	bench/accuracy/run.sh

# ---- manual pages ---------------------------------------------------------------------------
$(BUILD)/cfgdoc: $(BUILD)/obj/man/cfgdoc.o $(call obj,$(LIB_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

man: $(BUILD)/cfgdoc
	scripts/gen-man.sh $(BUILD)/cfgdoc > man/domtimed.conf.5.new
	mv man/domtimed.conf.5.new man/domtimed.conf.5

# The committed page must say what the table says.
man-check: $(BUILD)/cfgdoc
	@scripts/gen-man.sh $(BUILD)/cfgdoc | diff -u man/domtimed.conf.5 - \
		|| { echo "man/domtimed.conf.5 is stale: run 'make man'"; exit 1; }

clean:
	rm -rf $(BUILD)

include tests/tools/tools.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

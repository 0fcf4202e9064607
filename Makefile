# domtimed - GNU Makefile.
#
#   make            build/domtimed and build/domtimectl
#   make check      install what the tests need, build with -Werror, run every test
#   make demo       install what it needs, build, run the demo on loopback
#   make fuzz       build the libFuzzer targets (FUZZ_SECONDS=N make fuzz-run runs them)
#   make bench      run the benchmarks (ratios against chronyd)
#   make sim-check  short closed-loop simulator runs (part of make check)
#   make man        regenerate man/domtimed.conf.5 from the configuration table
#   make format     apply .clang-format (clang-format-14; make check runs format-check)
#   make install    install into $(DESTDIR)$(PREFIX) (see "installation" below)
#   make deb        build the Debian package into build/deb/

VERSION := 0.1.0
BUILD ?= build
# Where the daemon looks for its configuration; compiled in (make clean after changing it).
SYSCONFDIR ?= /etc
CC ?= cc
FUZZ_CC ?= clang
PKGS := libevent jansson libsystemd libcap libssl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wwrite-strings -Wpointer-arith -Wundef -Wvla
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CFLAGS ?= -g -O2
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DDOMTIMED_VERSION='"$(VERSION)"' \
	-DDOMTIMED_CONF_FILE='"$(SYSCONFDIR)/domtimed.conf"' $(WARNINGS) $(CPPFLAGS) $(CFLAGS) \
	$(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lm
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ------------------------------------------------------------------
COMMON_SRCS := common/log.c common/xmalloc.c common/loop.c common/strmap.c common/file.c
NTP_SRCS := ntp/packet.c ntp/clock.c ntp/reference.c ntp/ratelimit.c ntp/io.c ntp/server.c \
	ntp/poll.c ntp/sync.c \
	ntp/filter.c ntp/select.c ntp/discipline.c ntp/srvspec.c ntp/keys.c ntp/nts_ke.c ntp/nts.c \
	ntp/nts_server.c ntp/peer.c ntp/client.c
# MS-SNTP: the checksum and Samba's ntp_signd client.
NTP_SRCS += ntp/mssntp.c ntp/signd.c
DAEMON_SRCS := daemon/config.c daemon/ctl_proto.c daemon/control.c daemon/daemon.c \
	daemon/commands.c daemon/privs.c daemon/directory.c daemon/directory_json.c daemon/policy.c \
	daemon/health.c daemon/metrics.c daemon/watch.c
DAEMON_SRCS += daemon/samba_dc.c daemon/auth.c
HIERARCHY_SRCS := hierarchy/forest.c hierarchy/hierarchy.c
# Everything but main(): what unit tests and fuzz targets link against.
LIB_SRCS := $(COMMON_SRCS) $(NTP_SRCS) $(HIERARCHY_SRCS) $(DAEMON_SRCS)
DOMTIMED_SRCS = $(LIB_SRCS) daemon/main.c
DOMTIMECTL_SRCS := daemon/domtimectl.c daemon/stripchart.c daemon/monitor.c daemon/probe.c \
	daemon/ctl_proto.c common/xmalloc.c common/log.c ntp/packet.c ntp/clock.c ntp/srvspec.c

# Unit tests by module: each links its own module and what the module may use
# (LAYERS below), nothing more, so a dependency that runs the wrong way fails
# to link.
NTP_UNIT_TESTS := packet clock ratelimit server filter select discipline srvspec peer client \
	mssntp poll sync keys nts
HIERARCHY_UNIT_TESTS := hierarchy w32time hier_forest
DAEMON_UNIT_TESTS := config ctl_proto health
COMMON_UNIT_TESTS := strmap
UNIT_TESTS := $(COMMON_UNIT_TESTS) $(NTP_UNIT_TESTS) $(HIERARCHY_UNIT_TESTS) $(DAEMON_UNIT_TESTS)
FUZZ_TARGETS := packet config ctl_request select forest netlogon
FUZZ_TARGETS += signd keys nts_ke nts

obj = $(patsubst %.c,$(2)/%.o,$(1))
# Objects built through pattern chains are kept: rebuilding every sanitizer and
# fuzzer object on each run costs minutes, and the .d files track headers.
.SECONDARY:

# The directory module brings its own sources, libraries and tests.
include ldap/ldap.mk
LIB_SRCS += $(LDAP_SRCS)
LDLIBS += $(LDAP_LIBS)
UNIT_TESTS += $(LDAP_UNIT_TESTS)

# ---- layering -------------------------------------------------------------------
# MODULE:ALLOWED - the other modules whose headers a module's files may include.
# daemon/ may use every module; the forest model (hierarchy/forest.h) is the
# one part of hierarchy/ that ldap/ fills. The objects each module's unit tests
# and tools link follow the same lines.
LAYERS := common: ntp:common hierarchy:common ldap:common,hierarchy
NTP_LINK_SRCS := $(COMMON_SRCS) $(NTP_SRCS)
HIERARCHY_LINK_SRCS := $(COMMON_SRCS) $(HIERARCHY_SRCS)

.PHONY: all check unit layering integration fuzz fuzz-run fuzz-smoke demo bench bench-serve \
	bench-serve-signed bench-serve-nts bench-discovery bench-accuracy bench-sim sim-check bench-soak man man-check format format-check deps clean \
	install uninstall deb
all: layering $(BUILD)/domtimed $(BUILD)/domtimectl

layering:
	@bad=$$(for l in $(LAYERS); do m=$${l%%:*}; ok=$$(echo "$${l#*:}" | tr , '|'); \
		grep -Hn '^#include "\.\./' $$m/*.[ch] | grep -vE "#include \"\.\./($$ok)/"; \
		done); \
	if [ -n "$$bad" ]; then echo "$$bad"; \
		echo "layering: these includes run against LAYERS in the Makefile"; exit 1; fi

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
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/domtimectl: $(call obj,$(DOMTIMECTL_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- unit tests (cmocka, under ASan+UBSan) -----------------------------------------
$(addprefix $(BUILD)/asan/test_,$(COMMON_UNIT_TESTS)): $(BUILD)/asan/test_%: \
	$(BUILD)/asan/tests/unit/test_%.o $(call obj,$(COMMON_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS) -lcmocka

$(addprefix $(BUILD)/asan/test_,$(NTP_UNIT_TESTS)): $(BUILD)/asan/test_%: \
	$(BUILD)/asan/tests/unit/test_%.o $(call obj,$(NTP_LINK_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS) -lcmocka

$(addprefix $(BUILD)/asan/test_,$(HIERARCHY_UNIT_TESTS)): $(BUILD)/asan/test_%: \
	$(BUILD)/asan/tests/unit/test_%.o $(call obj,$(HIERARCHY_LINK_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS) -lcmocka

$(addprefix $(BUILD)/asan/test_,$(DAEMON_UNIT_TESTS)): $(BUILD)/asan/test_%: \
	$(BUILD)/asan/tests/unit/test_%.o $(call obj,$(LIB_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS) -lcmocka

unit: layering $(addprefix $(BUILD)/asan/test_,$(UNIT_TESTS))
	@set -e; for t in $(filter $(BUILD)/%,$^); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1 $$t; done

# ---- fuzzing (clang libFuzzer) ---------------------------------------------------------
$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(call obj,$(LIB_SRCS),$(BUILD)/fuzz)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))

# Test support in C that a unit test and a fuzz target share.
$(BUILD)/asan/test_forest: $(BUILD)/asan/tests/support/forest_text.o
$(BUILD)/fuzz/fuzz_forest: $(BUILD)/fuzz/tests/support/forest_text.o
# A scripted NTP server on loopback for the tests that drive peers and the client.
$(BUILD)/asan/test_peer $(BUILD)/asan/test_client: $(BUILD)/asan/tests/support/fake_ntp.o

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
	$(MAKE) WERROR=1 format-check all unit man-check sim-check
	$(MAKE) WERROR=1 fuzz-smoke
	$(MAKE) WERROR=1 integration

demo: deps
	$(MAKE) all $(BUILD)/linkdelay
	scripts/demo.sh

# ---- closed-loop simulator (tests/sim) -----------------------------------------------------
$(BUILD)/sim: $(BUILD)/obj/tests/sim/sim.o $(call obj,$(NTP_LINK_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Three seeds with bars half as loose again: a regression test of the discipline, ~2 s of CPU.
sim-check: $(BUILD)/sim
	$(BUILD)/sim --loose --seeds 3

# Benchmarks print figures and ratios against chronyd; they are not tests.
bench: bench-sim bench-serve bench-serve-signed bench-serve-nts bench-discovery bench-accuracy
# The issue-14 table: five seeds, our figures beside chronyd's (a FAIL is reported, not fatal).
bench-sim: $(BUILD)/sim
	-$(BUILD)/sim --seeds 5
bench-serve: deps all
	bench/serve/run.sh
# MS-SNTP signing on a real Samba DC, against chronyd's ntpsigndsocket.
bench-serve-signed: deps all
	bench/serve/signed.sh
# NTS (RFC 8915) serving against chronyd's NTS server; the generator links our NTS client.
bench-serve-nts: deps all $(BUILD)/nts_load
	bench/serve/nts.sh
$(BUILD)/nts_load: $(BUILD)/obj/bench/serve/nts_load.o $(call obj,$(NTP_LINK_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
bench-discovery: deps all ldap-tools
	bench/discovery/run.sh
bench-accuracy: deps all $(BUILD)/linkdelay
	bench/accuracy/run.sh
# Ten minutes of load and faults, figures against bars (a short run is in make check).
bench-soak: deps all
	bench/soak/run.sh

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

# ---- formatting -----------------------------------------------------------------------------
# One pinned formatter: another clang-format version formats differently, so
# the check would flap between machines.
CLANG_FORMAT ?= clang-format-14
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES) \
		|| { echo "formatting differs from .clang-format: run 'make format'"; exit 1; }

# ---- installation ---------------------------------------------------------------------------
# make install [DESTDIR=...] [PREFIX=/usr/local] [SBINDIR=...] ...: binaries, manual pages,
# the systemd unit (its paths from SBINDIR), sysusers and tmpfiles snippets, bash
# completion, and /etc/domtimed.conf unless one is there already (an admin's file is
# never overwritten). The package (debian/rules) installs with PREFIX=/usr.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)
	$(INSTALL) -m 755 $(BUILD)/domtimed $(DESTDIR)$(SBINDIR)/domtimed
	$(INSTALL) -m 755 $(BUILD)/domtimectl $(DESTDIR)$(BINDIR)/domtimectl
	$(INSTALL) -m 644 man/domtimectl.1 $(DESTDIR)$(MANDIR)/man1/domtimectl.1
	$(INSTALL) -m 644 man/domtimed.conf.5 $(DESTDIR)$(MANDIR)/man5/domtimed.conf.5
	$(INSTALL) -m 644 man/domtimed.8 $(DESTDIR)$(MANDIR)/man8/domtimed.8
	@# The unit names the binaries where this installation puts them.
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/domtimed.service.in > $(DESTDIR)$(UNITDIR)/domtimed.service
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/domtimed-wait-sync.service.in \
		> $(DESTDIR)$(UNITDIR)/domtimed-wait-sync.service
	chmod 644 $(DESTDIR)$(UNITDIR)/domtimed.service $(DESTDIR)$(UNITDIR)/domtimed-wait-sync.service
	$(INSTALL) -m 644 systemd/domtimed.sysusers $(DESTDIR)$(SYSUSERSDIR)/domtimed.conf
	$(INSTALL) -m 644 systemd/domtimed.tmpfiles $(DESTDIR)$(TMPFILESDIR)/domtimed.conf
	$(INSTALL) -m 644 dist/domtimectl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/domtimectl
	[ -e $(DESTDIR)$(SYSCONFDIR)/domtimed.conf ] || \
		$(INSTALL) -m 644 dist/domtimed.conf $(DESTDIR)$(SYSCONFDIR)/domtimed.conf

# Leaves /etc/domtimed.conf, like a package removal without purge.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/domtimed $(DESTDIR)$(BINDIR)/domtimectl \
		$(DESTDIR)$(MANDIR)/man1/domtimectl.1 $(DESTDIR)$(MANDIR)/man5/domtimed.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/domtimed.8 $(DESTDIR)$(UNITDIR)/domtimed.service \
		$(DESTDIR)$(UNITDIR)/domtimed-wait-sync.service \
		$(DESTDIR)$(SYSUSERSDIR)/domtimed.conf $(DESTDIR)$(TMPFILESDIR)/domtimed.conf \
		$(DESTDIR)$(BASHCOMPDIR)/domtimectl

# ---- Debian package -------------------------------------------------------------------------
# dpkg-buildpackage builds in a copy of the tree under build/deb/ (never in this
# tree: no stale objects, and its results land in build/deb/, not in ..). The
# copy holds what git knows (tracked files and new ones it does not ignore).
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/domtimed-$(VERSION)
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - | tar -C $(DEB_SRC) -xf -
	@# Our command line (BUILD=...: in MAKEFLAGS and the environment) must not reach the copy.
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
		DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:-parallel=2}" dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD)

include tests/tools/tools.mk

-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

#!/bin/bash
# The directory test world itself: tests/world/selftest.sh starts the test
# forest (slapd, MIT KDC, dnsmasq on loopback) and a second one with 60 s
# tickets, and checks what the directory tests rely on: the rootDSE, naming
# contexts, GSSAPI binds mapped to computer objects (also across the
# child/root trust), AD bit filters, DC-locator SRV records, admin writes
# and the ticket lifetime. It runs before the tests that rely on it, so
# that a broken world is named as such rather than as a domtimed failure.
. "$(dirname "$0")/../lib/common.sh"
need_root

if "$TOP/tests/world/selftest.sh" >"$T_DIR/selftest.log" 2>&1; then
	pass "the test world: $(grep -c '^PASS:' "$T_DIR/selftest.log") checks passed"
else
	fail "the test world: the self-test failed"
	cat "$T_DIR/selftest.log"
fi
t_done

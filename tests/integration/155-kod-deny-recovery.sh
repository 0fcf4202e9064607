#!/bin/bash
# A server that refuses us with KoD DENY or RSTR (a scripted server: neither
# chronyd nor domtimed has access control that refuses one client): the
# source is dropped from selection at once, and comes back after the back-off
# (refused_retry), at a resync, and when a reload offers it again.
. "$(dirname "$0")/../lib/common.sh"

start_fakentp up
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" "max_poll = -4" \
	"refused_retry = 600" "ntp_server = 127.0.0.1:$PORT_up"
peer() { ctl cli peers --json | json "j[\"peers\"][0][\"$1\"]"; }
state_is() { test "$(peer state)" = "$1"; }
status_is() { test "$(status_field cli 'j["state"]')" = "$1"; }

# Refused from the start: never synchronised, then a resync brings it in.
echo deny >"$T_DIR/up.mode"
start_domtimed cli
check "a source answering DENY is 'denied'" wait_for 10 state_is denied
check "... says why ($(peer last_error))" grep -q "KoD DENY" <<<"$(peer last_error)"
check "... is not asked again for refused_retry (next poll in $(peer next_poll_in) s)" \
	fcheck "$(peer next_poll_in) > 500"
check "and the client is unsynchronised" status_is unsynchronised
echo good >"$T_DIR/up.mode"
ctl cli resync >/dev/null
check "after a resync it is asked again and selected" wait_for 10 state_is selected
check "and the client synchronised" wait_for 10 status_is synchronised

# Refused while selected: the verdict follows at once, no stale 'selected'.
echo rstr >"$T_DIR/up.mode"
check "a selected source answering RSTR becomes 'denied'" wait_for 10 state_is denied
check "the status no longer says synchronised ($(status_field cli 'j["state"]'))" \
	status_is holdover
check "status names no source" test "$(status_field cli 'j["source"]')" = null
# A reload offers the manual list again: asked at once.
echo good >"$T_DIR/up.mode"
ctl cli reload >/dev/null
check "a reload asks it again: selected" wait_for 10 state_is selected
check "synchronised again" wait_for 10 status_is synchronised

# The back-off: with refused_retry = 2 s, asked again on its own.
sed -i 's/^refused_retry = 600/refused_retry = 2/' "$T_DIR/cli.conf"
ctl cli reload >/dev/null
echo deny >"$T_DIR/up.mode"
check "DENY again" wait_for 10 state_is denied
echo good >"$T_DIR/up.mode"
check "after refused_retry it is asked again on its own" wait_for 10 state_is selected
check "no step was needed through all this" test "$(status_field cli 'j["steps"]')" = 0
t_done

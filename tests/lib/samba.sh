# samba.sh - a real Samba 4.17 AD DC in a test namespace (sourced, bash, after
# common.sh and netns.sh, with netns_init and netns_switch done).
#
# samba_dc_start NODE IP: provision realm SAMBA.TEST (NetBIOS domain SAMBA,
# host name NODE) on netns host NODE at IP (~15 s on two cores) and start
# samba; sets SAMBA_D (its directory: etc/smb.conf, private/, ntp_signd/),
# SAMBA_CONF and SAMBA_PID. Every Samba path is set inside SAMBA_D and
# /run/samba is a private bind mount, so nothing outside the test's
# directory is written. Exits the test (skip or fail) when it cannot.
# samba_dc_run NODE: start samba again (after samba_dc_stop).
# samba_dc_stop NODE: stop it and wait until its processes are gone.
# samba_computer NODE NAME: a computer account NAME$ with a password (so it
# has keys, RC4 among them) and its keytab in $SAMBA_D/NAME.keytab (lower
# case); sets SAMBA_RID to its RID. Exits the test when it cannot.
# samba_tool NODE ARGS...: samba-tool ARGS on the DC, with its smb.conf.
SAMBA_ADMIN_PASS='Adm1n-Pass-xyz'

samba_dc_need() {
	command -v samba >/dev/null && command -v samba-tool >/dev/null &&
		[ -d /usr/share/samba/setup ] ||
		skip "no Samba AD DC (apt-get install samba samba-ad-dc samba-ad-provision winbind)"
}

samba_dc_start() {
	local node=$1 ip=$2 start=$SECONDS
	SAMBA_D=$NETNS_DIR/$node
	SAMBA_CONF=$SAMBA_D/etc/smb.conf
	mkdir -p "$SAMBA_D/run"
	: >"$SAMBA_D/empty.conf"
	# -s an empty file: samba-tool would otherwise copy shares from /etc/samba/smb.conf.
	if ! netns_exec "$node" samba-tool domain provision -s "$SAMBA_D/empty.conf" \
		--use-rfc2307 --server-role=dc --dns-backend=SAMBA_INTERNAL --realm=SAMBA.TEST \
		--domain=SAMBA --host-name="$node" --host-ip="$ip" --adminpass="$SAMBA_ADMIN_PASS" \
		--targetdir="$SAMBA_D" --option="interfaces = $ip" \
		--option="bind interfaces only = yes" --option="log file = $SAMBA_D/log.%m" \
		--option="pid directory = $SAMBA_D/run" \
		--option="ntp signd socket directory = $SAMBA_D/ntp_signd" \
		--option="winbindd socket directory = $SAMBA_D/run/winbindd" \
		--option="ldap server require strong auth = allow_sasl_over_tls" \
		>"$T_DIR/provision.log" 2>&1; then
		fail "samba-tool domain provision failed"
		tail -n 20 "$T_DIR/provision.log"
		exit 1
	fi
	echo "   provisioned in $((SECONDS - start)) s"
	# The generated config forwards DNS to the DC itself (copied from resolv.conf).
	sed -i '/dns forwarder/d' "$SAMBA_CONF"
	netns_etc "$node" /run/samba "$SAMBA_D/run"
	samba_dc_run "$node"
	echo "   Samba answers LDAP $((SECONDS - start)) s after the start of provisioning"
}

samba_dc_run() {
	local node=$1
	netns_bg "$node" samba -F --debug-stdout -s "$SAMBA_CONF" >>"$T_DIR/samba.log" 2>&1
	SAMBA_PID=$NETNS_LAST_PID
	samba__ldap_up() {
		netns_exec "$node" ldapsearch -x -H "ldap://$(netns_addr "$node")" -s base -b "" \
			dnsHostName >/dev/null 2>&1
	}
	wait_for 60 samba__ldap_up ||
		{ fail "Samba's LDAP did not come up"; tail -n 20 "$T_DIR/samba.log"; exit 1; }
}

samba_tool() {
	local node=$1
	shift
	netns_exec "$node" samba-tool "$@" -s "$SAMBA_CONF"
}

samba_computer() {
	local node=$1 name=$2
	{
		samba_tool "$node" computer create "$name" --prepare-oldjoin &&
			samba_tool "$node" user setpassword "$name\$" \
				--newpassword="$name-Pass-0123456789x" &&
			samba_tool "$node" domain exportkeytab \
				"$SAMBA_D/${name,,}.keytab" --principal="$name\$"
	} >>"$T_DIR/member.log" 2>&1 ||
		{ fail "cannot make the account $name\$"; cat "$T_DIR/member.log"; exit 1; }
	SAMBA_RID=$(samba_tool "$node" computer show "$name" --attributes=objectSid |
		sed -n 's/^objectSid: .*-\([0-9]*\)$/\1/p')
}

# Samba's master stops its ~60 processes itself; give them time to go.
samba_dc_stop() {
	local node=$1
	kill "$SAMBA_PID" 2>/dev/null || true
	# Its children rename themselves ("ldap[master]"): look at the executable.
	samba__gone() {
		local p
		for p in $(ip netns pids "$(netns_ns "$node")" 2>/dev/null); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "$(command -v samba)" ] ||
				return 1
		done
	}
	wait_for 30 samba__gone || echo "   (Samba processes still running after 30 s)"
}

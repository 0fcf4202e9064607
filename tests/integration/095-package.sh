#!/bin/bash
# The Debian package, as an admin meets it: `make deb` builds it and lintian
# finds nothing that is not fixed or justified (debian/*.lintian-overrides);
# installed into a clean root with apt-get it creates the domtimed user and
# its state directory; the unit, sysusers and tmpfiles agree with each other
# and with the daemon (systemd-analyze verify); the daemon starts with no
# configuration file, runs as domtimed with no capability (virtual clock)
# and answers NTP and domtimectl; apt-get purge leaves nothing behind.
#
# The clean root: a debootstrap chroot cannot be made offline, so the root is
# this machine's own file system under an overlay whose upper layer is a
# tmpfs, in a private mount, network and PID namespace (unshare). apt-get,
# dpkg, the maintainer scripts and the daemon run there for real and nothing
# reaches the machine: every write lands in the tmpfs, the daemon sees only
# the namespace's loopback, and the namespace dies with the test. No systemd
# runs as PID 1 there, so the unit is verified but not started.
#
# The daemon runs with -f and a file that only says clock = virtual: with no
# file at all the default clock is the system clock, which a test must never
# steer. Starting with no file at all is checked with domtimed -t.
. "$(dirname "$0")/../lib/common.sh"
need_root

if [ "${1:-}" != --inside ]; then
	for tool in unshare dpkg-buildpackage dh lintian systemd-analyze; do
		command -v "$tool" >/dev/null || skip "no $tool (scripts/deps.sh installs it)"
	done
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		skip "no overlay file system"
	# make install: paths from the prefix, an admin's configuration kept.
	stage=$T_DIR/stage
	make -C "$TOP" BUILD="$BUILD" install DESTDIR="$stage" PREFIX=/opt/dt >"$T_DIR/install.log" 2>&1
	check "make install PREFIX=/opt/dt puts the daemon in /opt/dt/sbin" test -x "$stage/opt/dt/sbin/domtimed"
	check "and the unit runs it from there" \
		grep -qx "ExecStart=/opt/dt/sbin/domtimed" "$stage/opt/dt/lib/systemd/system/domtimed.service"
	echo "reliable = yes" >"$stage/etc/domtimed.conf"
	make -C "$TOP" BUILD="$BUILD" install DESTDIR="$stage" PREFIX=/opt/dt >>"$T_DIR/install.log" 2>&1
	check "installing again keeps the admin's /etc/domtimed.conf" \
		grep -qx "reliable = yes" "$stage/etc/domtimed.conf"

	version=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")
	deb="$BUILD/deb/domtimed_${version}_$(dpkg --print-architecture).deb"
	# Build once: again only when something in the tree is newer than the package.
	if [ ! -f "$deb" ] || [ -n "$(find "$TOP" -path "$BUILD" -prune -o -path "$TOP/.git" -prune \
		-o -type f -newer "$deb" -print -quit)" ]; then
		make -C "$TOP" BUILD="$BUILD" deb >"$T_DIR/deb.log" 2>&1 ||
			{ fail "make deb"; tail -30 "$T_DIR/deb.log"; exit 1; }
	fi
	check "make deb built $deb" test -f "$deb"
	check "the package's version is the Makefile's ($version)" \
		test "$(dpkg-deb -f "$deb" Version)" = "$version"
	check "debian/changelog says the same version" \
		test "$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)" = "$version"
	# lintian refuses to run as root only with a warning; its findings are what counts.
	lintian --pedantic -I -E "$BUILD"/deb/*.changes >"$T_DIR/lintian.log" 2>&1
	findings=$(grep -E '^[EWIPX]: ' "$T_DIR/lintian.log")
	check "lintian --pedantic: no finding left unfixed or unjustified${findings:+ ($findings)}" \
		test -z "$findings"
	unshare --mount --net --pid --fork --kill-child --mount-proc "$0" --inside "$deb"
	[ $? -eq 0 ] || T_FAILED=1
	t_done
fi

# ---- inside the namespaces: the clean root ----------------------------------------------
deb=$2
O=$T_DIR/ovl
R=$O/root
mkdir -p "$O"
mount -t tmpfs -o size=512m tmpfs "$O"
# Detach it all before common.sh removes T_DIR: rm -rf must not walk the overlay.
t_on_exit "umount -R -l '$O'"
mkdir "$O/upper" "$O/work" "$R"
mount -t overlay overlay -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$R"
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
ip link set lo up
cp "$deb" "$R/tmp/domtimed.deb"
in_root() { chroot "$R" "$@"; }

check "the root has no domtimed user yet" bash -c "! chroot '$R' getent passwd domtimed"
# (It Provides time-daemon, so apt replaces chrony here, as with any time daemon.)
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q --no-install-recommends \
	/tmp/domtimed.deb >"$T_DIR/install.log" 2>&1
check "apt-get installs the package" in_root dpkg-query -W -f='${Status}\n' domtimed
check "and it is fully configured" \
	bash -c "chroot '$R' dpkg-query -W -f='\${Status}' domtimed | grep -qx 'install ok installed'"
for f in /usr/sbin/domtimed /usr/bin/domtimectl /etc/domtimed.conf \
	/usr/lib/sysusers.d/domtimed.conf /usr/lib/tmpfiles.d/domtimed.conf \
	/usr/share/man/man8/domtimed.8.gz /usr/share/man/man5/domtimed.conf.5.gz \
	/usr/share/man/man1/domtimectl.1.gz /usr/share/bash-completion/completions/domtimectl; do
	check "installs $f" test -f "$R$f"
done
unit=$(chroot "$R" pkg-config --variable=systemdsystemunitdir systemd)/domtimed.service
check "installs the unit $unit" test -f "$R$unit"
check "the unit runs the installed binary" grep -qx "ExecStart=/usr/sbin/domtimed" "$R$unit"
check "the unit is enabled for multi-user.target" \
	test -L "$R/etc/systemd/system/multi-user.target.wants/domtimed.service"
check "the wait-sync unit runs the installed domtimectl" \
	grep -qx "ExecStart=/usr/bin/domtimectl waitsync --timeout 170" "${R}${unit%/*}/domtimed-wait-sync.service"
check "... and is left for the admin to enable" \
	test ! -e "$R/etc/systemd/system/multi-user.target.wants/domtimed-wait-sync.service"

# ---- the user, its directory, and the files agreeing on them ----------------------------
check "postinst created the user domtimed" in_root getent passwd domtimed
check "and its group" in_root getent group domtimed
check "the user cannot log in" \
	bash -c "chroot '$R' getent passwd domtimed | cut -d: -f7 | grep -q nologin"
owner=$(in_root stat -c '%U:%G %a' /var/lib/domtimed 2>/dev/null)
check "tmpfiles made /var/lib/domtimed domtimed's, 0750 ($owner)" test "$owner" = "domtimed:domtimed 750"
check "the unit gives the state directory to nobody else (no User=, no StateDirectory=)" \
	bash -c "! grep -Eq '^(User|StateDirectory)=' '$R$unit'"
check "the unit lets the daemon write there under ProtectSystem=strict" \
	grep -qx "ReadWritePaths=-/var/lib/domtimed" "$R$unit"
check "the daemon's drift file is in that directory" \
	bash -c "chroot '$R' domtimed -t | grep -qx 'drift_file = /var/lib/domtimed/drift'"
in_root systemd-analyze verify "$unit" >"$T_DIR/verify.log" 2>&1
check "systemd-analyze verify: the unit, its binaries and man pages ($(tr '\n' ' ' <"$T_DIR/verify.log"))" \
	test ! -s "$T_DIR/verify.log"
check "the bash completion loads and completes commands" in_root bash -c \
	'. /usr/share/bash-completion/completions/domtimectl &&
	 [[ " $_domtimectl_commands " == *" status "* ]] && [ -n "${_domtimectl_options[source]}" ]'

# ---- the configuration: valid as shipped, and not needed ---------------------------------
check "the shipped /etc/domtimed.conf is valid (domtimed -t -f)" in_root domtimed -t -f /etc/domtimed.conf
in_root domtimed -t -f /dev/null >"$T_DIR/defaults.txt"
sed -E 's/^#([a-z_]+ =.*)$/\1/' "$R/etc/domtimed.conf" >"$R/tmp/uncommented.conf"
in_root domtimed -t -f /tmp/uncommented.conf >"$T_DIR/uncommented.txt" 2>&1
check "every value it shows commented out is the default" \
	cmp -s "$T_DIR/defaults.txt" "$T_DIR/uncommented.txt"
rm "$R/etc/domtimed.conf"
check "with no configuration file at all, domtimed -t passes on the defaults" \
	bash -c "chroot '$R' domtimed -t | grep -qx 'clock = system'"
check "but a file named with -f must exist" bash -c "! chroot '$R' domtimed -t -f /etc/nonexistent.conf"

# ---- no configuration at all: the defaults, as domtimed ----------------------------------
# The defaults mean the system clock. With no source and no drift file the
# daemon writes nothing to it, and here it could not: CAP_SYS_TIME is out of
# its bounding set, so it runs on with a warning instead of steering.
rm -f "$R/var/lib/domtimed/drift"
chroot "$R" setpriv --bounding-set=-sys_time /usr/sbin/domtimed -d >"$T_DIR/nocfg.log" 2>&1 &
T_PIDS+=("$!")
pid=$!
if wait_for 10 chroot "$R" domtimectl counters; then
	pass "with no /etc/domtimed.conf the daemon starts and answers domtimectl"
	check "it says it runs on the defaults" \
		grep -q 'no /etc/domtimed.conf: running on the defaults' "$T_DIR/nocfg.log"
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
	check "it runs as domtimed (uid $uid)" test "$uid" = "$(in_root id -u domtimed)"
	check "it says it cannot steer the clock without CAP_SYS_TIME" \
		grep -q 'CAP_SYS_TIME is not in this process' "$T_DIR/nocfg.log"
	check "status gives the reason: no source" \
		bash -c "chroot '$R' domtimectl status | grep -q '^Reason: no time source: standalone'"
else
	fail "with no /etc/domtimed.conf the daemon starts and answers domtimectl"
	cat "$T_DIR/nocfg.log"
fi
stop_pid "$pid"

# ---- the daemon: as root it becomes domtimed --------------------------------------------
echo "clock = virtual" >"$R/tmp/virtual.conf"
chroot "$R" /usr/sbin/domtimed -d -f /tmp/virtual.conf >"$T_DIR/daemon.log" 2>&1 &
T_PIDS+=("$!")
pid=$!
if ! wait_for 10 chroot "$R" domtimectl counters; then
	fail "the daemon answers domtimectl on /run/domtimed/domtimed.sock"
	cat "$T_DIR/daemon.log"
	exit 1
fi
pass "the daemon starts with nothing but clock = virtual and answers domtimectl"
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$pid/status")
duid=$(in_root id -u domtimed)
check "it runs as domtimed (uid $duid; real, effective, saved, fs: $uid)" test "$uid" = "$duid$duid$duid$duid"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
check "with no capability (virtual clock: $caps)" test "$caps" = 0000000000000000
check "its one thread" test "$(ls "/proc/$pid/task" | wc -l)" = 1
sock=$(in_root stat -c '%U:%G %a' /run/domtimed/domtimed.sock)
check "the control socket is root:domtimed 0660 ($sock)" test "$sock" = "root:domtimed 660"
check "a member of group domtimed may use the read-only commands" \
	in_root setpriv --reuid=nobody --regid=domtimed --clear-groups domtimectl counters
check "anyone else may not" \
	bash -c "! chroot '$R' setpriv --reuid=nobody --regid=nogroup --clear-groups domtimectl counters"
check "it answers NTP on port 123 (the namespace's own loopback)" in_root "$PY" -c '
import ntplib; ntplib.NTPClient().request("127.0.0.1", version=4, timeout=2)'
stop_pid "$pid"
check "it stops on SIGTERM" gone "$pid"

# ---- purge ---------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y -q domtimed >"$T_DIR/purge.log" 2>&1
check "apt-get purge removes the package" \
	bash -c "! chroot '$R' dpkg-query -W -f='\${Status}' domtimed 2>/dev/null | grep -q installed"
# Formatted pages man cached when systemd-analyze verify looked up the
# Documentation= pages are man's, not the package's: man-db never removes them.
left=$(cd "$O/upper" && find . -path ./var/cache/man -prune -o -name '*domtimed*' -print)
check "and leaves no file or directory behind${left:+ ($(echo $left))}" test -z "$left"
check "the user stays (Debian policy: a uid is never given to someone else's files)" \
	in_root getent passwd domtimed
t_done

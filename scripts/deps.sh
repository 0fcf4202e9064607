#!/bin/sh
# Install the Debian packages domtimed needs to build, test and demo.
# Idempotent: installs only what is missing. A policy-rc.d guard stops apt
# from starting any daemon it installs (a system chronyd would steer the
# real clock; a system slapd or KDC would take ports and state we do not own).
set -eu

PKGS="build-essential pkg-config openssl clang clang-format-14 libclang-rt-14-dev libsasl2-dev
libevent-dev libldap-dev libkrb5-dev libsystemd-dev libssl-dev libcmocka-dev
libnetfilter-queue-dev libjansson-dev libcap-dev
chrony ntpsec-ntpdate python3-ntplib iputils-ping
slapd ldap-utils krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit
dnsmasq-base iproute2 iptables procps faketime prometheus
samba samba-ad-dc samba-ad-provision winbind
debhelper dpkg-dev fakeroot lintian bash-completion"

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing; run as root to install them" >&2
	exit 1
fi

guard=/usr/sbin/policy-rc.d
if [ ! -e "$guard" ]; then
	printf '#!/bin/sh\n# installed by domtimed scripts/deps.sh: no daemon auto-starts\nexit 101\n' >"$guard"
	chmod 755 "$guard"
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -q -y --no-install-recommends $missing

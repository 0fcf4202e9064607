# ldap/ldap.mk - the directory module (DC location, Kerberos, LDAP, LDAP pings,
# the discovery worker), its unit tests and tests/tools/dirprobe.
#
# Include it from the top-level Makefile after `obj`, BUILD, CC, CFLAGS,
# ALL_CFLAGS, SANITIZE and COMMON_SRCS are defined (rule lines expand them as
# they are read), then, to put the module into the daemon:
#   LIB_SRCS += $(LDAP_SRCS)      LDLIBS += $(LDAP_LIBS)
#   UNIT_TESTS += $(LDAP_UNIT_TESTS)
# and make the integration tests depend on ldap-tools (tests/integration/2*-dir-*
# skip without build/dirprobe).
#
# Needs: libldap-dev (OpenLDAP 2.5: libldap, liblber), libkrb5-dev (krb5,
# krb5-gssapi), libsasl2-dev (sasl/sasl.h, for the SASL interaction struct
# only), libevent-dev, libcmocka-dev; libresolv from libc.

LDAP_MK := $(lastword $(MAKEFILE_LIST))
# Kept so that being included does not make our target the default goal.
LDAP_SAVED_GOAL := $(.DEFAULT_GOAL)

# libsystemd: for the common code (common/log.c sends events to the journal).
LDAP_PKGS := ldap krb5 krb5-gssapi libevent libsystemd
LDAP_CFLAGS := $(shell pkg-config --cflags $(LDAP_PKGS) 2>/dev/null)
LDAP_LIBS := $(shell pkg-config --libs $(LDAP_PKGS) 2>/dev/null) -lresolv -lpthread

LDAP_SRCS := ldap/raw.c ldap/net.c ldap/locate.c ldap/identity.c ldap/kdc.c ldap/krb.c ldap/conn.c \
	ldap/ping.c ldap/netlogon.c ldap/read.c ldap/discovery.c ldap/dn.c ldap/forest.c
# Samba AD DC detection (smb.conf, samba -b) and the ntp_signd socket check.
LDAP_SRCS += ldap/samba.c
# Our MS-SNTP identity: RC4 keys from the keytab, the RID from objectSid.
LDAP_SRCS += ldap/ntkey.c
# test_forest and test_netlogon belong to forest.c and netlogon.c (other authors).
LDAP_UNIT_TESTS := identity locate ping forest netlogon samba
# What the module and its tools link: the module, the common code and the forest model.
LDAP_STANDALONE_SRCS := $(COMMON_SRCS) hierarchy/forest.c $(LDAP_SRCS)

# krb5's pkg-config points at /usr/include/mit-krb5; anything may include krb5 headers.
ALL_CFLAGS += $(LDAP_CFLAGS)

.PHONY: ldap-tools ldap-unit
ldap-tools: $(BUILD)/dirprobe $(BUILD)/asan/dirprobe

$(BUILD)/dirprobe: $(call obj,tests/tools/dirprobe.c $(LDAP_STANDALONE_SRCS),$(BUILD)/obj)
	$(CC) $(CFLAGS) -o $@ $^ $(LDAP_LIBS) -lm

# The same under ASan+UBSan: DIRPROBE=build/asan/dirprobe tests/integration/2*-dir-*.sh
$(BUILD)/asan/dirprobe: $(call obj,tests/tools/dirprobe.c $(LDAP_STANDALONE_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDAP_LIBS) -lm

# The module's unit tests, under ASan+UBSan like the others.
$(addprefix $(BUILD)/asan/test_,$(LDAP_UNIT_TESTS)): $(BUILD)/asan/test_%: \
	$(BUILD)/asan/tests/unit/test_%.o $(call obj,$(LDAP_STANDALONE_SRCS),$(BUILD)/asan)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(LDAP_LIBS) -lm -lcmocka

ldap-unit: $(addprefix $(BUILD)/asan/test_,$(LDAP_UNIT_TESTS))
	@set -e; for t in $^; do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

ifneq ($(firstword $(MAKEFILE_LIST)),$(LDAP_MK))
.DEFAULT_GOAL := $(LDAP_SAVED_GOAL)
endif

#!/bin/bash
# FSMO transfer: the forest root's PDC role moves from rootdc1 to rootdc2.
# Within pdc_check_interval rootdc2 takes over the manual list (the external
# server) and rootdc1 follows the new PDC; nobody's clock steps, and every
# clock stays within 1 ms.
. "$(dirname "$0")/../lib/common.sh"
need_root
. "$TOP/tests/lib/forest.sh"
. "$TOP/tests/lib/forest-checks.sh"

forest_up || { fail "forest_up"; exit 1; }
start_all_converged
remember_steps

forest_ldapmodify <<LDIF
dn: $ROOT_DN
changetype: modify
replace: fSMORoleOwner
fSMORoleOwner: CN=NTDS Settings,CN=ROOTDC2,CN=Servers,CN=HQ,CN=Sites,$CONFIG_DN
LDIF
moved_at=$SECONDS
role_is() { [ "$(forest_ctl "$1" status --json | json 'j["role"]')" = "$2" ]; }
check "rootdc2 becomes the forest root PDC (pdc_check_interval 2 s)" wait_for 10 role_is rootdc2 root_pdc
took=$((SECONDS - moved_at))
source_is() { [ "$(forest_ctl "$1" source)" = "$2" ]; }
check "rootdc2 now follows the external server" wait_for 10 source_is rootdc2 "$FOREST_EXT_IP"
check "rootdc1 is an ordinary DC now" wait_for 10 role_is rootdc1 dc
old_follows_new() { [ "$(chosen rootdc1)" = rootdc2.forest.test ]; }
check "and follows the new PDC" wait_for 10 old_follows_new
member_follows_new() { [ "$(chosen member1)" = "rootdc2.forest.test rootdc1.forest.test" ]; }
check "members rank the new PDC first" wait_for 10 member_follows_new
# Ten seconds on the new hierarchy (a measurement window), then: no steps anywhere.
sleep 10
for h in "${FOREST_HOSTS[@]}"; do
	check "$h did not step (steps ${STEPS[$h]} -> $(steps_of "$h"))" no_new_steps "$h"
done
check "every clock within 1 ms after the transfer" all_within 0.001
echo "   the new PDC took over $took s after the transfer; chains now:"
for h in "${FOREST_HOSTS[@]}"; do echo "     $(chain "$h")"; done
t_done

/*
 * cfgdoc.c - print the configuration key reference from the key table as
 * man(7) markup; scripts/gen-man.sh splices it into domtimed.conf(5).
 */
#include <stdio.h>

#include "../daemon/config.h"

int
main(void)
{
	cfg_print_man(stdout);
	return 0;
}

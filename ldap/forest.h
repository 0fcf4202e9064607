/*
 * forest.h - the forest picture (hierarchy/forest.h) built from what
 * discovery read (raw.h) and who we are.
 *
 * dir_forest_build() is a pure function of its input; it validates as it
 * goes and records every inconsistency as a sentence in the picture's
 * problems rather than guessing (see hierarchy/forest.h).
 */
#ifndef DOMTIMED_LDAP_FOREST_H
#define DOMTIMED_LDAP_FOREST_H

#include "../hierarchy/forest.h"
#include "raw.h"

/*
 * Build the picture; never NULL (free it with hier_forest_free). RAW and
 * ID are only read and may be freed afterwards: the forest owns copies of
 * everything. ID may be NULL (nothing known about ourselves). The same input always gives the same
 * picture, and the order entries arrive in does not matter: domains are sorted by name, DCs by
 * host, sites by name, subnets by address. Of duplicates, the first read is kept, except for DCs
 * sharing a host name, which are all left out (nothing tells them apart).
 *
 * Values longer than 4096 octets, not UTF-8, or holding control characters
 * are rejected, as are DNs that do not parse; each rejection is a problem.
 * raw->errors come first among the problems, escaped like the rest: every
 * problem is printable ASCII.
 */
struct hier_forest *dir_forest_build(const struct dir_raw *raw, const struct dir_identity *id);

/*
 * Who holds each domain's PDC emulator role, as the NC heads in a read say
 * (fSMORoleOwner): what the cheap check between full reads compares. NCs
 * and owners are in normal DN form; a head whose DN does not parse is left
 * out, one without an owner (or with one that is no DN) has "".
 */
struct dir_pdc_owners;
struct dir_pdc_owners *dir_pdc_owners_read(const struct dir_raw *raw);
/* NULL is fine. */
void dir_pdc_owners_free(struct dir_pdc_owners *o);
/*
 * Whether a domain in both BEFORE and NOW has another owner in NOW; then
 * the first such domain's NC, old and new owner (valid while both live).
 */
int dir_pdc_owners_moved(const struct dir_pdc_owners *before, const struct dir_pdc_owners *now,
                         const char **ret_nc, const char **ret_was, const char **ret_is);

#endif

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

#include <stddef.h>

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
 * DNs compared as AD compares them: case-insensitive, spaces around
 * separators ignored, escapes resolved. Returns an allocated normal form, or
 * NULL for something that is not a DN (RFC 4514, plus the ';' separators
 * and quoted values of RFC 1779). The normal form lower-cases ASCII (AD's
 * folding of other letters is not reproduced), writes attribute types in
 * lower case, joins RDNs with ',' and AVAs with '+' (in the order given),
 * and escapes a value's ,+"\<>;= with a backslash, a leading '#' or space
 * and a trailing space likewise, and control octets or octets that are
 * not UTF-8 as \hh. "" is the (valid) empty DN.
 */
char *dir_dn_normalise(const char *dn);
/* Whether A and B are the same DN; two non-DNs are not equal. */
int dir_dn_equal(const char *a, const char *b);

/*
 * Whether the LEN octets at S are text a directory name may hold: UTF-8
 * (shortest form, no surrogates, at most U+10FFFF) without NUL, other C0 or
 * C1 control characters, or DEL.
 */
int dir_text_valid(const char *s, size_t len);

#endif

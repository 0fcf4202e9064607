/*
 * dn.h - distinguished names and directory text, as every reader of a
 * directory compares and checks them.
 */
#ifndef DOMTIMED_LDAP_DN_H
#define DOMTIMED_LDAP_DN_H

#include <stddef.h>

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

/* The parent of DN (in normal form): a suffix of it, or NULL for a DN of one RDN. */
const char *dir_dn_parent(const char *dn);
/* The value of the first AVA of DN, in its own case, when it is non-empty text; else NULL. */
char *dir_rdn_value(const char *dn);

#endif

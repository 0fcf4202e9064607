/*
 * ntkey.h - this machine's MS-SNTP identity: the RID of its account (from
 * the objectSid discovery reads) and its NT hash, which is the keytab's
 * arcfour-hmac (RC4, enctype 23) key: MIT krb5 derives that key as MD4 of
 * the UTF-16LE password, unsalted, exactly NTOWFv1.
 */
#ifndef DOMTIMED_LDAP_NTKEY_H
#define DOMTIMED_LDAP_NTKEY_H

#include <stddef.h>
#include <stdint.h>

#define DIR_NT_KEY_LEN 16

/*
 * The RC4 keys of PRINCIPAL in KEYTAB (NULL: the default keytab), newest
 * kvno first, at most two (current and previous password, which covers a
 * rotation not yet replicated everywhere). Returns how many (0: the keytab
 * has no RC4 key for it, e.g. an AES-only account), or -1 with an
 * allocated *RET_CAUSE when the keytab cannot be read.
 */
int dir_nt_keys(const char *keytab, const char *principal, uint8_t ret[2][DIR_NT_KEY_LEN],
                char **ret_cause);

/*
 * The RID (last sub-authority) of the binary SID of LEN octets at SID.
 * 0, or -1 when it is not a well-formed SID with at least one sub-authority.
 */
int dir_sid_rid(const uint8_t *sid, size_t len, uint32_t *ret);

#endif

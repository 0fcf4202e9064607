/*
 * dn.c - distinguished names (RFC 4514, with RFC 1779's ';' and quotes)
 * in the normal form AD's comparisons amount to, and the text check every
 * value read from a directory goes through.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/ascii.h"
#include "../common/xmalloc.h"
#include "dn.h"

/* ---- text -------------------------------------------------------------- */

/* Length of the UTF-8 sequence at S, of which N octets are there; 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Shortest form only, no surrogates, nothing past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

int
dir_text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_len(p + i, len - i);
		if (n == 0 || p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* The C1 controls, U+0080 to U+009F, are 0xc2 0x80-0x9f. */
		if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return 0;
	}
	return 1;
}

/* ---- DNs --------------------------------------------------------------- */

/* A growing string of octets; S is NUL-terminated once anything was added. */
struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_char(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* One attribute type and value of an RDN, as parsed. */
struct ava {
	struct buf type;  /* lower case */
	struct buf value; /* escapes resolved; for BER, the '#' and hex digits */
	int ber;          /* '#' form: kept as text, never decoded */
	char sep;         /* what ended it: ',' (also for ';'), '+' or '\0' */
};

static const char *
skip_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* The octets RFC 4514 section 2.4 escapes in values (and ';', which RFC 1779 separates with). */
static int
special(char c)
{
	return c != '\0' && strchr(",+\"\\<>;=", c) != NULL;
}

/*
 * An attribute type (RFC 4514 section 3): a keystring (a letter, then
 * letters, digits and hyphens) or a numeric OID. Appends it lower-cased
 * to OUT; returns what follows, or NULL.
 */
static const char *
parse_type(const char *p, struct buf *out)
{
	const char *start = p;

	if (ascii_is_alpha(*p)) {
		while (ascii_is_alpha(*p) || ascii_is_digit(*p) || *p == '-')
			p++;
	} else if (ascii_is_digit(*p)) {
		while (ascii_is_digit(*p) || (*p == '.' && ascii_is_digit(p[1])))
			p++;
	} else {
		return NULL;
	}
	for (; start < p; start++)
		buf_char(out, ascii_lower(*start));
	return p;
}

/*
 * A backslash escape, P just past the backslash: a hex pair, or one of
 * the characters RFC 4514 lets be escaped. Stores the octet in *RET;
 * returns what follows, or NULL.
 */
static const char *
parse_escape(const char *p, char *ret)
{
	int hi = ascii_hex_value(p[0]), lo = hi < 0 ? -1 : ascii_hex_value(p[1]);

	if (lo >= 0) {
		*ret = (char)(hi << 4 | lo);
		return p + 2;
	}
	if (special(*p) || *p == ' ' || *p == '#') {
		*ret = *p;
		return p + 1;
	}
	return NULL;
}

/* A '#' BER value: kept as its lower-cased hex text. */
static const char *
parse_ber(const char *p, struct ava *a)
{
	buf_char(&a->value, '#');
	for (p++; ascii_hex_value(p[0]) >= 0 && ascii_hex_value(p[1]) >= 0; p += 2) {
		buf_char(&a->value, ascii_lower(p[0]));
		buf_char(&a->value, ascii_lower(p[1]));
	}
	a->ber = 1;
	return a->value.len > 1 && ascii_hex_value(*p) < 0 ? skip_spaces(p) : NULL;
}

/* An RFC 1779 quoted value: separators inside are plain octets. */
static const char *
parse_quoted(const char *p, struct ava *a)
{
	char c;

	for (p++; *p != '"';) {
		if (*p == '\0')
			return NULL;
		if (*p != '\\')
			c = *p++;
		else if ((p = parse_escape(p + 1, &c)) == NULL)
			return NULL;
		buf_char(&a->value, c);
	}
	return skip_spaces(p + 1);
}

/*
 * A plain value, up to the next unescaped separator. Unescaped spaces at
 * its end are not part of it; escaped ones are.
 */
static const char *
parse_plain(const char *p, struct ava *a)
{
	size_t significant = 0;
	char c;

	while (*p != '\0' && *p != ',' && *p != ';' && *p != '+') {
		if (*p == '\\') {
			if ((p = parse_escape(p + 1, &c)) == NULL)
				return NULL;
			buf_char(&a->value, c);
			significant = a->value.len;
			continue;
		}
		buf_char(&a->value, *p);
		if (*p++ != ' ')
			significant = a->value.len;
	}
	a->value.len = significant;
	if (a->value.s != NULL)
		a->value.s[significant] = '\0';
	return p;
}

/*
 * One attribute type and value at P, with the spaces AD and RFC 1779
 * allow around '=' and the separators. Fills A and returns what follows
 * the separator that ended it, or NULL when there is no AVA here.
 */
static const char *
parse_ava(const char *p, struct ava *a)
{
	a->type.len = a->value.len = 0;
	a->ber = 0;
	if ((p = parse_type(skip_spaces(p), &a->type)) == NULL)
		return NULL;
	p = skip_spaces(p);
	if (*p++ != '=')
		return NULL;
	p = skip_spaces(p);
	if (*p == '#')
		p = parse_ber(p, a);
	else if (*p == '"')
		p = parse_quoted(p, a);
	else
		p = parse_plain(p, a);
	if (p == NULL || (*p != '\0' && *p != ',' && *p != ';' && *p != '+'))
		return NULL;
	a->sep = *p == ';' ? ',' : *p;
	return *p == '\0' ? p : p + 1;
}

/* Append A in normal form (see dir_dn_normalise) to OUT. */
static void
render_ava(const struct ava *a, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = (const unsigned char *)a->value.s;
	size_t n = a->value.len;

	buf_add(out, a->type.s, a->type.len);
	buf_char(out, '=');
	if (a->ber) {
		buf_add(out, a->value.s, n);
		return;
	}
	for (size_t i = 0, len; i < n; i += len) {
		char c = ascii_lower((char)v[i]);
		int edge = (i == 0 && (c == '#' || c == ' ')) || (i == n - 1 && c == ' ');

		len = utf8_len(v + i, n - i);
		if (len == 0 || v[i] < 0x20 || v[i] == 0x7f) {
			char e[3] = {'\\', hex[v[i] >> 4], hex[v[i] & 0xf]};

			buf_add(out, e, sizeof(e));
			len = 1;
		} else if (len > 1) {
			buf_add(out, (const char *)v + i, len);
		} else {
			if (special(c) || edge)
				buf_char(out, '\\');
			buf_char(out, c);
		}
	}
}

/* Append the normal form of the non-empty DN at P to OUT; -1 when it is no DN. */
static int
render_dn(const char *p, struct buf *out)
{
	struct ava a = {0};
	int ret = 0;

	do {
		if ((p = parse_ava(p, &a)) == NULL) {
			ret = -1;
			break;
		}
		render_ava(&a, out);
		if (a.sep != '\0')
			buf_char(out, a.sep);
	} while (a.sep != '\0');
	free(a.type.s);
	free(a.value.s);
	return ret;
}

char *
dir_dn_normalise(const char *dn)
{
	struct buf out = {0};

	if (dn == NULL)
		return NULL;
	buf_add(&out, "", 0);
	if (*dn != '\0' && render_dn(dn, &out) < 0) {
		free(out.s);
		return NULL;
	}
	return out.s;
}

int
dir_dn_equal(const char *a, const char *b)
{
	char *na = dir_dn_normalise(a), *nb = dir_dn_normalise(b);
	int equal = na != NULL && nb != NULL && strcmp(na, nb) == 0;

	free(na);
	free(nb);
	return equal;
}

const char *
dir_dn_parent(const char *dn)
{
	for (const char *p = dn; *p != '\0'; p++) {
		/* An escape is a backslash and a special octet or a hex pair: never a ','. */
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			return p + 1;
	}
	return NULL;
}

char *
dir_rdn_value(const char *dn)
{
	struct ava a = {0};
	char *v = NULL;

	if (parse_ava(dn, &a) != NULL && !a.ber && a.value.len > 0 &&
	    dir_text_valid(a.value.s, a.value.len))
		v = xstrndup(a.value.s, a.value.len);
	free(a.type.s);
	free(a.value.s);
	return v;
}

/*
 * fuzz_forest.c - reading the forest from whatever a directory returns:
 * never a crash, always a consistent and repeatable picture.
 *
 * Input: lines of tab-separated fields, one entry or fact per line, so that
 * seeds are readable and mutations stay close to real directories:
 *
 *	x|h|s|v|n|u|m|r DN [attr=value ...]   crossRef, NC head, site, server,
 *	                                       NTDS Settings, subnet, our account,
 *	                                       rootDSE (a value may hold any octet)
 *	p host answered flags dc_site client_site   an LDAP ping
 *	e text       an error discovery met
 *	l address    our local address
 *	i host account domain site                  who we are ("" is unknown)
 *	d X text     defines $X (X a lower-case letter) for the lines after it
 *
 * The macros keep a whole forest within the 2 KiB inputs tests/fuzz/run.sh
 * allows, and mutating one definition moves every DN that uses it.
 *
 * Checked: every index in range or -1, no domain its own ancestor, PDCs
 * and roles consistent, documented strings there, problems printable; the
 * same input gives the same picture; and each DN read normalises to a
 * fixed point equal to itself. Then the read is cut where a limit
 * (ldap_max_entries) chosen by the input would have stopped it: that
 * picture holds as well, and says first that it is incomplete.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../../common/xmalloc.h"
#include "../../ldap/dn.h"
#include "../../ldap/forest.h"
#include "../support/forest_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One field of a line, macros expanded: LEN octets at P (may hold NULs). */
struct field {
	char *p;
	size_t len;
};

#define MAX_FIELDS 24
/* No field grows past this, however macros nest. */
#define MAX_EXPANDED 8192

/* $a to $z. */
struct macros {
	struct field text[26];
};

/* The LEN octets at P with each defined $X replaced by its text. */
static struct field
expand(const struct macros *m, const char *p, size_t len)
{
	struct field out = {xmalloc(MAX_EXPANDED + 1), 0};

	for (size_t i = 0; i < len; i++) {
		const struct field *t = NULL;

		if (p[i] == '$' && i + 1 < len && p[i + 1] >= 'a' && p[i + 1] <= 'z')
			t = &m->text[p[i + 1] - 'a'];
		if (t != NULL && t->p != NULL) {
			size_t n =
			    t->len < MAX_EXPANDED - out.len ? t->len : MAX_EXPANDED - out.len;

			memcpy(out.p + out.len, t->p, n);
			out.len += n;
			i++;
		} else if (out.len < MAX_EXPANDED) {
			out.p[out.len++] = p[i];
		}
	}
	out.p[out.len] = '\0';
	return out;
}

static char *
field_dup(const struct field *f)
{
	return xstrndup(f->p, f->len); /* a C string ends at the first NUL */
}

/* FIELD, "" meaning unknown (NULL). */
static char *
field_or_null(const struct field *f)
{
	return f->len == 0 ? NULL : field_dup(f);
}

static void
put(struct dir_entry *e, const struct field *f)
{
	const char *eq = memchr(f->p, '=', f->len);
	size_t name_len = eq != NULL ? (size_t)(eq - f->p) : f->len;
	const char *value = eq != NULL ? eq + 1 : f->p + f->len;
	size_t len = f->len - (size_t)(value - f->p);
	char *name = xstrndup(f->p, name_len);

	dir_entry_add_value(e, name, value, len);
	free(name);
}

static void
add_entry(struct dir_entry_list *l, const struct field *fields, size_t n)
{
	struct dir_entry *e;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	*e = (struct dir_entry){.dn = n > 0 ? field_dup(&fields[0]) : xstrdup("")};
	for (size_t i = 1; i < n; i++)
		put(e, &fields[i]);
}

static void
add_ping(struct dir_raw *raw, const struct field *fields, size_t n)
{
	struct dir_ping *p;
	char *flags;

	raw->pings = xreallocarray(raw->pings, raw->n_pings + 1, sizeof(*raw->pings));
	p = &raw->pings[raw->n_pings++];
	*p = (struct dir_ping){0};
	p->host = n > 0 ? field_or_null(&fields[0]) : NULL;
	p->answered = n > 1 && fields[1].len > 0 && fields[1].p[0] == '1';
	flags = n > 2 ? field_dup(&fields[2]) : xstrdup("0");
	p->flags = (uint32_t)strtoul(flags, NULL, 16);
	free(flags);
	p->dc_site = n > 3 ? field_or_null(&fields[3]) : NULL;
	p->client_site = n > 4 ? field_or_null(&fields[4]) : NULL;
}

static void
add_error(struct dir_raw *raw, const struct field *fields, size_t n)
{
	raw->errors = xreallocarray(raw->errors, raw->n_errors + 1, sizeof(*raw->errors));
	raw->errors[raw->n_errors++] = n > 0 ? field_dup(&fields[0]) : xstrdup("");
}

static void
set_identity(struct dir_identity *id, const struct field *fields, size_t n)
{
	char **slots[] = {&id->host, &id->account, &id->domain, &id->site};

	dir_identity_clear(id);
	for (size_t i = 0; i < n && i < sizeof(slots) / sizeof(slots[0]); i++)
		*slots[i] = field_or_null(&fields[i]);
}

static void
define(struct macros *m, struct field *fields, size_t n)
{
	struct field *t;

	if (n < 2 || fields[0].len != 1 || fields[0].p[0] < 'a' || fields[0].p[0] > 'z')
		return;
	t = &m->text[fields[0].p[0] - 'a'];
	free(t->p);
	*t = fields[1];
	fields[1] = (struct field){0};
}

/* Split the line at P into its kind and its fields, macros expanded. */
static size_t
split(const struct macros *m, const char *p, size_t len, struct field *fields)
{
	const char *q = p + 1, *end = p + len;
	size_t n = 0;

	if (q < end && *q == '\t')
		q++;
	while (q <= end && n < MAX_FIELDS) {
		const char *tab = memchr(q, '\t', (size_t)(end - q));
		size_t field_len = tab != NULL ? (size_t)(tab - q) : (size_t)(end - q);

		fields[n++] = expand(m, q, field_len);
		q += field_len + 1;
	}
	return n;
}

/* One line: its kind, then its fields. */
static void
parse_line(struct dir_raw *raw, struct dir_identity *id, struct macros *m, const char *p,
           size_t len)
{
	struct dir_entry_list *lists[] = {
	    ['x' - 'a'] = &raw->crossrefs, ['h' - 'a'] = &raw->nc_heads,
	    ['s' - 'a'] = &raw->sites,     ['v' - 'a'] = &raw->servers,
	    ['n' - 'a'] = &raw->ntds,      ['u' - 'a'] = &raw->subnets,
	    ['m' - 'a'] = &raw->self,
	};
	struct field fields[MAX_FIELDS];
	size_t n;
	char kind;

	if (len == 0)
		return;
	kind = p[0];
	n = split(m, p, len, fields);
	if (kind >= 'a' && kind <= 'x' && lists[kind - 'a'] != NULL) {
		add_entry(lists[kind - 'a'], fields, n);
	} else if (kind == 'r') {
		for (size_t i = 1; i < n; i++)
			put(&raw->rootdse, &fields[i]);
	} else if (kind == 'p') {
		add_ping(raw, fields, n);
	} else if (kind == 'e') {
		add_error(raw, fields, n);
	} else if (kind == 'l' && n > 0) {
		free(raw->local_address);
		raw->local_address = field_dup(&fields[0]);
	} else if (kind == 'i') {
		set_identity(id, fields, n);
	} else if (kind == 'd') {
		define(m, fields, n);
	}
	for (size_t i = 0; i < n; i++)
		free(fields[i].p);
}

static void
check_dn(const char *dn)
{
	char *n = dir_dn_normalise(dn), *again;

	if (n == NULL)
		return;
	again = dir_dn_normalise(n);
	if (again == NULL || strcmp(n, again) != 0 || !dir_dn_equal(dn, n))
		abort();
	free(again);
	free(n);
}

static int
in_range(int i, size_t n)
{
	return i == -1 || (i >= 0 && (size_t)i < n);
}

static void
check_domains(const struct hier_forest *f)
{
	size_t n = hier_forest_n_domains(f);
	int root = hier_forest_root(f), n_roots = 0;

	if (!in_range(root, n) || (root >= 0 && hier_forest_domain(f, root)->parent != -1))
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct hier_domain *d = hier_forest_domain(f, i);
		int up = d->parent;

		if (d->name == NULL || d->dn == NULL || !in_range(d->parent, n) ||
		    !in_range(d->root_trust, n) || !in_range(d->pdc, hier_forest_n_dcs(f)))
			abort();
		n_roots += d->forest_root;
		if (d->forest_root != ((int)i == root))
			abort();
		/* No domain is its own ancestor: the chain ends within n steps. */
		for (size_t steps = 0; up >= 0; steps++, up = hier_forest_domain(f, up)->parent)
			if (steps > n || up == (int)i)
				abort();
		if (d->pdc >= 0) {
			const struct hier_dc *pdc = hier_forest_dc(f, d->pdc);

			if (!pdc->pdc || pdc->domain != (int)i || pdc->rodc)
				abort();
		}
	}
	if (n_roots != (root >= 0))
		abort();
}

static void
check_dcs(const struct hier_forest *f)
{
	for (size_t i = 0; i < hier_forest_n_dcs(f); i++) {
		const struct hier_dc *dc = hier_forest_dc(f, i);

		if (dc->host == NULL || dc->name == NULL ||
		    !in_range(dc->domain, hier_forest_n_domains(f)) ||
		    !in_range(dc->site, hier_forest_n_sites(f)))
			abort();
		if (dc->pdc && hier_forest_domain(f, dc->domain)->pdc != (int)i)
			abort();
		/* Sorted by host, so unique hosts are strictly increasing. */
		if (i > 0 && strcmp(hier_forest_dc(f, i - 1)->host, dc->host) >= 0)
			abort();
		for (const char *p = dc->host; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
	}
	if (!in_range(hier_forest_source_dc(f), hier_forest_n_dcs(f)))
		abort();
}

static void
check_sites(const struct hier_forest *f)
{
	for (size_t i = 0; i < hier_forest_n_sites(f); i++)
		if (hier_forest_site(f, i)->name == NULL || hier_forest_site(f, i)->dn == NULL)
			abort();
	for (size_t i = 0; i < hier_forest_n_subnets(f); i++) {
		const struct hier_subnet *s = hier_forest_subnet(f, i);

		if (s->text == NULL || !in_range(s->site, hier_forest_n_sites(f)) ||
		    (s->family != AF_INET && s->family != AF_INET6) ||
		    s->prefix > (s->family == AF_INET ? 32u : 128u))
			abort();
	}
}

static void
check_self(const struct hier_forest *f)
{
	const struct hier_self *s = hier_forest_self(f);

	if (s->site_source == NULL || !in_range(s->domain, hier_forest_n_domains(f)) ||
	    !in_range(s->site, hier_forest_n_sites(f)) || !in_range(s->dc, hier_forest_n_dcs(f)) ||
	    strcmp(hier_role_name(s->role), "unknown") == 0)
		abort();
	if ((s->site >= 0) != (strcmp(s->site_source, "unknown") != 0))
		abort();
	if (s->role == HIER_ROLE_PDC || s->role == HIER_ROLE_ROOT_PDC) {
		if (s->dc < 0 || !hier_forest_dc(f, s->dc)->pdc ||
		    (s->role == HIER_ROLE_ROOT_PDC) != (s->domain == hier_forest_root(f)))
			abort();
	}
	if (s->dc >= 0 && hier_forest_dc(f, s->dc)->domain != s->domain)
		abort();
}

static void
check_problems(const struct hier_forest *f)
{
	for (size_t i = 0; i < hier_forest_n_problems(f); i++) {
		const char *p = hier_forest_problem(f, i);

		if (p == NULL)
			abort();
		for (; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
	}
}

static void
check_dns(const struct dir_entry_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		check_dn(l->v[i].dn);
}

/* The lists in the order discovery reads them (crossRefs, CN=Sites, ourselves, NC heads). */
static size_t
read_order(struct dir_raw *raw, struct dir_entry_list **ret)
{
	struct dir_entry_list *lists[] = {&raw->crossrefs, &raw->sites, &raw->servers, &raw->ntds,
	                                  &raw->subnets,   &raw->self,  &raw->nc_heads};

	memcpy(ret, lists, sizeof(lists));
	return sizeof(lists) / sizeof(lists[0]);
}

/* Keep the first KEEP entries of RAW in read order, as a read stopped by a cap would. */
static void
cut(struct dir_raw *raw, size_t keep)
{
	struct dir_entry_list *lists[8];
	size_t n = read_order(raw, lists), cap = keep;

	for (size_t i = 0; i < n; i++) {
		size_t k = keep < lists[i]->n ? keep : lists[i]->n;

		for (size_t j = k; j < lists[i]->n; j++)
			dir_entry_clear(&lists[i]->v[j]);
		lists[i]->n = k;
		keep -= k;
	}
	dir_raw_set_incomplete(raw, xasprintf("the directory returned more than ldap_max_entries "
	                                      "(%zu) entries: reading stopped",
	                                      cap));
}

static void
check_cut(struct dir_raw *raw, const struct dir_identity *id, size_t size)
{
	struct dir_entry_list *lists[8];
	size_t n = read_order(raw, lists), total = 0;
	struct hier_forest *f;

	for (size_t i = 0; i < n; i++)
		total += lists[i]->n;
	cut(raw, size % (total + 1));
	f = dir_forest_build(raw, id);
	check_domains(f);
	check_dcs(f);
	check_sites(f);
	check_self(f);
	check_problems(f);
	if (hier_forest_n_problems(f) == 0 ||
	    strncmp(hier_forest_problem(f, 0), "the directory returned more than", 32) != 0)
		abort();
	hier_forest_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dir_raw *raw = xcalloc(1, sizeof(*raw));
	struct dir_identity id = {0};
	struct macros macros = {0};
	const char *p = (const char *)data, *end = p + size;
	struct hier_forest *f, *g;
	char *first, *again;

	raw->rootdse.dn = xstrdup("");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		parse_line(raw, &id, &macros, p, len);
		p += len + 1;
	}
	for (size_t i = 0; i < 26; i++)
		free(macros.text[i].p);
	f = dir_forest_build(raw, &id);
	check_domains(f);
	check_dcs(f);
	check_sites(f);
	check_self(f);
	check_problems(f);
	g = dir_forest_build(raw, &id);
	first = forest_text(f);
	again = forest_text(g);
	if (strcmp(first, again) != 0)
		abort();
	check_dns(&raw->crossrefs);
	check_dns(&raw->servers);
	check_dns(&raw->ntds);
	check_cut(raw, &id, size);
	free(first);
	free(again);
	hier_forest_free(f);
	hier_forest_free(g);
	dir_identity_clear(&id);
	dir_raw_free(raw);
	return 0;
}

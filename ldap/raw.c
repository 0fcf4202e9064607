/*
 * raw.c - freeing and reading plain directory data.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "raw.h"

void
dir_entry_clear(struct dir_entry *e)
{
	for (size_t i = 0; i < e->n_attrs; i++) {
		for (size_t j = 0; j < e->attrs[i].n_vals; j++)
			free(e->attrs[i].vals[j].data);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	*e = (struct dir_entry){0};
}

void
dir_entry_list_clear(struct dir_entry_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		dir_entry_clear(&l->v[i]);
	free(l->v);
	*l = (struct dir_entry_list){0};
}

void
dir_raw_free(struct dir_raw *raw)
{
	if (raw == NULL)
		return;
	struct dir_entry_list *lists[] = {&raw->crossrefs, &raw->nc_heads, &raw->sites,
	                                  &raw->servers,   &raw->ntds,     &raw->subnets,
	                                  &raw->self};

	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		dir_entry_list_clear(lists[i]);
	dir_entry_clear(&raw->rootdse);
	for (size_t i = 0; i < raw->n_pings; i++) {
		free(raw->pings[i].host);
		free(raw->pings[i].dc_site);
		free(raw->pings[i].client_site);
	}
	free(raw->pings);
	for (size_t i = 0; i < raw->n_errors; i++)
		free(raw->errors[i]);
	free(raw->errors);
	free(raw->read_from);
	free(raw->local_address);
	free(raw->incomplete);
	free(raw);
}

void
dir_identity_clear(struct dir_identity *id)
{
	free(id->host);
	free(id->account);
	free(id->domain);
	free(id->realm);
	free(id->site);
	*id = (struct dir_identity){0};
}

const struct dir_attr *
dir_entry_attr(const struct dir_entry *e, const char *name)
{
	for (size_t i = 0; i < e->n_attrs; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

void
dir_entry_add_value(struct dir_entry *e, const char *name, const void *value, size_t len)
{
	struct dir_attr *a = (struct dir_attr *)dir_entry_attr(e, name);
	struct dir_value *v;

	if (a == NULL) {
		e->attrs = xreallocarray(e->attrs, e->n_attrs + 1, sizeof(*e->attrs));
		a = &e->attrs[e->n_attrs++];
		*a = (struct dir_attr){.name = xstrdup(name)};
	}
	a->vals = xreallocarray(a->vals, a->n_vals + 1, sizeof(*a->vals));
	v = &a->vals[a->n_vals++];
	v->len = len;
	v->data = xmalloc(len + 1);
	memcpy(v->data, value, len);
	v->data[len] = '\0';
}

const struct dir_value *
dir_entry_value(const struct dir_entry *e, const char *name)
{
	const struct dir_attr *a = dir_entry_attr(e, name);

	return a != NULL && a->n_vals > 0 ? &a->vals[0] : NULL;
}

const char *
dir_entry_text(const struct dir_entry *e, const char *name)
{
	const struct dir_value *v = dir_entry_value(e, name);

	return v != NULL && v->len > 0 && strlen(v->data) == v->len ? v->data : NULL;
}

int
dir_entry_has_value(const struct dir_entry *e, const char *name, const char *s)
{
	const struct dir_attr *a = dir_entry_attr(e, name);
	size_t len = strlen(s);

	for (size_t i = 0; a != NULL && i < a->n_vals; i++)
		if (a->vals[i].len == len && strncasecmp(a->vals[i].data, s, len) == 0)
			return 1;
	return 0;
}

void
dir_errors_add(char ***errors, size_t *n, char *s)
{
	*errors = xreallocarray(*errors, *n + 1, sizeof(**errors));
	(*errors)[(*n)++] = s;
}

void
dir_raw_set_incomplete(struct dir_raw *raw, char *why)
{
	free(raw->incomplete);
	raw->incomplete = xstrdup(why);
	raw->errors = xreallocarray(raw->errors, raw->n_errors + 1, sizeof(*raw->errors));
	memmove(raw->errors + 1, raw->errors, raw->n_errors * sizeof(*raw->errors));
	raw->errors[0] = why;
	raw->n_errors++;
}

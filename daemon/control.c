/*
 * control.c - Unix-socket control server on libevent bufferevents.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "control.h"
#include "ctl_proto.h"

/* Connections served at once; more wait in the listen backlog. */
#define MAX_CONNECTIONS 32
/* Of those, kept for root: a user filling the table cannot lock the admin out. */
#define ROOT_RESERVED 4
/* Connections one (non-root) uid may hold open at once. */
#define MAX_PER_UID 8
/*
 * A connection is closed this long after accept, whatever it does: an idle
 * timeout alone would let a client that drips one octet at a time hold its
 * slot for ever.
 */
#define CONNECTION_DEADLINE_S 5

struct ctl {
	struct event_base *base;
	struct evconnlistener *listener;
	char *path;
	const struct ctl_command *commands;
	size_t n_commands;
	void *ctx;
	struct conn *conns; /* open connections, so ctl_free can close them */
	int n_connections;
	struct ctl_counters counters;
};

struct conn {
	struct ctl *ctl;
	struct bufferevent *bev;
	struct event *deadline;
	uid_t uid;
	int responded;
	struct conn *prev, *next;
};

static void
conn_free(struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->ctl->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->ctl->n_connections--;
	loop_event_free(&c->deadline);
	bufferevent_free(c->bev);
	free(c);
}

static void
respond(struct conn *c, json_t *reply)
{
	size_t len;
	char *frame;

	json_object_set_new(reply, "version", json_integer(CTL_PROTOCOL_VERSION));
	frame = ctl_encode_frame(reply, CTL_MAX_RESPONSE, &len);
	json_decref(reply);
	if (frame == NULL) {
		reply = json_pack("{s:i, s:b, s:s}", "version", CTL_PROTOCOL_VERSION, "ok", 0,
		                  "error", "response too large");
		frame = ctl_encode_frame(reply, CTL_MAX_RESPONSE, &len);
		json_decref(reply);
	}
	c->responded = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (frame == NULL || bufferevent_write(c->bev, frame, len) < 0)
		conn_free(c);
	free(frame);
}

static void
respond_error(struct conn *c, const char *error)
{
	c->ctl->counters.rejected++;
	respond(c, json_pack("{s:b, s:s}", "ok", 0, "error", error));
}

static const struct ctl_command *
find_command(const struct ctl *ctl, const char *name)
{
	for (size_t i = 0; i < ctl->n_commands; i++)
		if (strcmp(ctl->commands[i].name, name) == 0)
			return &ctl->commands[i];
	return NULL;
}

static void
dispatch(struct conn *c, const char *body, size_t len)
{
	struct ctl_request req;
	const struct ctl_command *cmd;
	char *cause = NULL;
	json_t *result;

	c->ctl->counters.requests++;
	if (ctl_decode_request(body, len, &req, &cause) < 0) {
		respond_error(c, cause);
		free(cause);
		return;
	}
	cmd = find_command(c->ctl, req.command);
	if (cmd == NULL) {
		cause = xasprintf("unknown command '%s'", log_esc(req.command).s);
	} else if (cmd->privileged && c->uid != 0 && c->uid != geteuid()) {
		cause = xasprintf("'%s' changes the daemon: root only", cmd->name);
	} else {
		result = cmd->run(c->ctl->ctx, req.args, &cause);
		if (result != NULL) {
			json_decref(req.args);
			respond(c, json_pack("{s:b, s:o}", "ok", 1, "result", result));
			return;
		}
	}
	json_decref(req.args);
	respond_error(c, cause != NULL ? cause : "command failed");
	free(cause);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char prefix[4];
	uint32_t len;
	char *body;

	if (c->responded || evbuffer_get_length(in) < 4)
		return;
	evbuffer_copyout(in, prefix, 4);
	len = ctl_frame_length(prefix);
	if (len > CTL_MAX_REQUEST) {
		respond_error(c, "request too large");
		return;
	}
	if (evbuffer_get_length(in) < 4 + (size_t)len)
		return;
	evbuffer_drain(in, 4);
	body = xmalloc(len + 1);
	evbuffer_remove(in, body, len);
	body[len] = '\0';
	dispatch(c, body, len);
	free(body);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->responded)
		conn_free(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	/* EOF, error or timeout: the client is gone or too slow. */
	conn_free(arg);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->ctl->counters.rejected++;
	conn_free(c);
}

/* May UID open one more connection? Root always while any slot is free. */
static int
admit(const struct ctl *ctl, uid_t uid)
{
	int same = 0;

	if (uid == 0)
		return ctl->n_connections < MAX_CONNECTIONS;
	for (const struct conn *c = ctl->conns; c != NULL; c = c->next)
		same += c->uid == uid;
	return ctl->n_connections < MAX_CONNECTIONS - ROOT_RESERVED && same < MAX_PER_UID;
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct ctl *ctl = arg;
	struct ucred cred;
	socklen_t credlen = sizeof(cred);
	struct conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0 || !admit(ctl, cred.uid)) {
		ctl->counters.rejected++;
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->uid = cred.uid;
	c->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	ctl->n_connections++;
	c->next = ctl->conns;
	if (c->next != NULL)
		c->next->prev = c;
	ctl->conns = c;
	c->deadline = loop_timer_new(ctl->base, on_deadline, c);
	loop_arm(c->deadline, CONNECTION_DEADLINE_S);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* Watching the socket failed (loop.h): drop the client like any I/O error. */
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) < 0)
		conn_free(c);
}

struct ctl *
ctl_new(struct event_base *base, const char *path, unsigned mode,
        const struct ctl_command *commands, size_t n_commands, void *ctx, char **ret_cause)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *ctl;
	mode_t old_umask;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		*ret_cause = xasprintf("control socket path too long (max %zu): %s",
		                       sizeof(sun.sun_path) - 1, path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	/* Replace a stale socket left by a previous run; never a regular file. */
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->base = base;
	ctl->path = xstrdup(path);
	ctl->commands = commands;
	ctl->n_commands = n_commands;
	ctl->ctx = ctx;
	/* Create the socket with no permissions at all, then open it up: no window. */
	old_umask = umask(0777);
	ctl->listener = evconnlistener_new_bind(base, on_accept, ctl,
	                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	                                        (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (ctl->listener == NULL) {
		*ret_cause = xasprintf("control socket %s: %s", path, strerror(errno));
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	if (chmod(path, mode) < 0) {
		*ret_cause = xasprintf("control socket %s: chmod: %s", path, strerror(errno));
		return ctl_free(ctl);
	}
	return ctl;
}

struct ctl *
ctl_free(struct ctl *ctl)
{
	if (ctl == NULL)
		return NULL;
	while (ctl->conns != NULL)
		conn_free(ctl->conns);
	evconnlistener_free(ctl->listener);
	(void)unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	return NULL;
}

const struct ctl_counters *
ctl_get_counters(const struct ctl *ctl)
{
	return &ctl->counters;
}

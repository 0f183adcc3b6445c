/*
 * What the cxmpp command-line tools share: the account and connection
 * options, where settings come from (flags over the environment over the
 * configuration file), the XML console of -v, and exit codes by failure
 * class. Built only on the public API.
 */
#ifndef CXE_TOOL_H
#define CXE_TOOL_H

#include <getopt.h>
#include <stdbool.h>

#include "cxmpp/cxmpp.h"

/* Exit codes, the same for every tool (documented in each man page). */
enum {
	CXE_EXIT_OK = 0,
	CXE_EXIT_FAILURE = 1,   /* anything not below */
	CXE_EXIT_USAGE = 2,     /* bad command line */
	CXE_EXIT_CONFIG = 3,    /* bad configuration: file, environment, JID */
	CXE_EXIT_DNS = 4,       /* the server's name could not be resolved */
	CXE_EXIT_CONNECT = 5,   /* refused, unreachable or timed out */
	CXE_EXIT_TLS = 6,       /* certificate not trusted, pin, TLS required */
	CXE_EXIT_AUTH = 7,      /* authentication failed */
	CXE_EXIT_STREAM = 8,    /* the server ended the stream, binding failed */
	CXE_EXIT_REMOTE = 9     /* the peer answered with an error */
};

#define CXE_COMMON_SHORTOPTS "j:c:vh"
#define CXE_OPT_BASE 1000

/* The long options every tool accepts; append them to the tool's own. */
extern const struct option cxe_common_options[];
extern const size_t cxe_common_noptions;

typedef struct cxe_tool {
	const char *prog;
	const char *config;     /* --config, or NULL for the default path */
	int verbose;            /* -v: XML console on stderr */
	/* flags, applied last, in order */
	const char *keys[32];
	char *values[32];
	int nflags;
} cxe_tool;

/* Handles one common option; returns 1 if it was one, 0 if not, -1 on a
 * usage error (message printed). */
int cxe_tool_option(cxe_tool *t, int opt, const char *arg);

/* Builds the settings: defaults, then the configuration file ($CXMPP_CONFIG,
 * --config, or ~/.config/cxmpp/config if it exists), then the environment,
 * then the flags. Prints a message and returns NULL on failure. */
cx_settings *cxe_tool_settings(cxe_tool *t);

/* Connects a client, printing a clear message on failure; *code receives
 * the exit code. */
cx_client *cxe_tool_connect(cxe_tool *t, cx_settings *s, int *code);

/* The exit code for a status. */
int cxe_exit_code(cx_status st);

/* Prints "prog: what: message" (with the condition if any) to stderr and
 * returns the exit code. */
int cxe_fail(const cxe_tool *t, const char *what, cx_status st,
	     const cx_error *err);

/* The help text of the common options. */
void cxe_common_help(FILE *out);

void cxe_tool_free(cxe_tool *t);

#endif

/*
 * Shared by the tools: options, settings sources, the XML console, exit
 * codes. Precedence is the usual one: a flag beats the environment, which
 * beats the configuration file, which beats the library's defaults.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "examples/tool.h"

enum {
	O_HOST = CXE_OPT_BASE, O_PORT, O_TLS, O_CA_FILE, O_INSECURE, O_PASSWORD_FILE,
	O_RESOURCE, O_TIMEOUT, O_PIN, O_MECHS, O_NAMESERVER
};

const struct option cxe_common_options[] = {
	{ "jid", required_argument, NULL, 'j' },
	{ "config", required_argument, NULL, 'c' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, O_HOST },
	{ "port", required_argument, NULL, O_PORT },
	{ "tls", required_argument, NULL, O_TLS },
	{ "ca-file", required_argument, NULL, O_CA_FILE },
	{ "pin", required_argument, NULL, O_PIN },
	{ "insecure-skip-verify", no_argument, NULL, O_INSECURE },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "resource", required_argument, NULL, O_RESOURCE },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "sasl-mechanisms", required_argument, NULL, O_MECHS },
	{ "nameserver", required_argument, NULL, O_NAMESERVER },
};
const size_t cxe_common_noptions =
	sizeof(cxe_common_options) / sizeof(cxe_common_options[0]);

void
cxe_common_help(FILE *out)
{
	fputs("Account and connection (flags beat CXMPP_* variables, which beat the config file):\n"
	      "  -j, --jid JID             the account (CXMPP_JID)\n"
	      "      --password-file FILE  read the password from FILE (else CXMPP_PASSWORD\n"
	      "                            or the config file's password)\n"
	      "      --resource NAME       resource to request\n"
	      "      --host HOST           connect to HOST instead of looking up DNS SRV\n"
	      "      --port PORT           port (default 5222, 5223 with --tls direct)\n"
	      "      --tls MODE            starttls (default), direct, insecure-none\n"
	      "      --ca-file FILE        trust the CAs in FILE instead of the system's\n"
	      "      --pin sha256/BASE64   accept a server key with this SPKI hash\n"
	      "      --insecure-skip-verify  accept ANY certificate (man-in-the-middle risk)\n"
	      "      --sasl-mechanisms L   comma-separated SASL mechanisms allowed\n"
	      "      --nameserver IP[:PORT]  DNS server for SRV lookups\n"
	      "      --timeout MS          timeout of each request\n"
	      "  -c, --config FILE         configuration file (default ~/.config/cxmpp/config)\n"
	      "  -v, --verbose             print the XML console on stderr (secrets masked)\n"
	      "  -h, --help                this help\n", out);
}

static int
add_flag(cxe_tool *t, const char *key, const char *value)
{
	if (t->nflags >= (int)(sizeof(t->keys) / sizeof(t->keys[0]))) {
		fprintf(stderr, "%s: too many options\n", t->prog);
		return -1;
	}
	t->keys[t->nflags] = key;
	t->values[t->nflags] = strdup(value);
	if (t->values[t->nflags] == NULL)
		return -1;
	t->nflags++;
	return 1;
}

static char *
read_password_file(const char *prog, const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

int
cxe_tool_option(cxe_tool *t, int opt, const char *arg)
{
	char *pw;
	int rc;

	switch (opt) {
	case 'j': return add_flag(t, CX_SETTING_JID, arg);
	case 'c': t->config = arg; return 1;
	case 'v': t->verbose++; return 1;
	case O_HOST: return add_flag(t, CX_SETTING_HOST, arg);
	case O_PORT: return add_flag(t, CX_SETTING_PORT, arg);
	case O_TLS:
		if (strcmp(arg, "starttls") != 0 && strcmp(arg, "direct") != 0 &&
		    strcmp(arg, "insecure-none") != 0) {
			fprintf(stderr, "%s: --tls takes starttls, direct or insecure-none\n",
				t->prog);
			return -1;
		}
		return add_flag(t, CX_SETTING_TLS, arg);
	case O_CA_FILE: return add_flag(t, CX_SETTING_TLS_CA_FILE, arg);
	case O_PIN: return add_flag(t, CX_SETTING_TLS_PINS, arg);
	case O_INSECURE:
		fprintf(stderr,
			"%s: WARNING: --insecure-skip-verify accepts any certificate: "
			"anyone on the path can read and change this session and "
			"learn the password.\n", t->prog);
		return add_flag(t, CX_SETTING_TLS_INSECURE_SKIP_VERIFY, "true");
	case O_PASSWORD_FILE:
		pw = read_password_file(t->prog, arg);
		if (pw == NULL)
			return -1;
		rc = add_flag(t, CX_SETTING_PASSWORD, pw);
		explicit_bzero(pw, strlen(pw));
		free(pw);
		return rc;
	case O_RESOURCE: return add_flag(t, CX_SETTING_RESOURCE, arg);
	case O_TIMEOUT: return add_flag(t, CX_SETTING_TIMEOUT_MS, arg);
	case O_MECHS: return add_flag(t, CX_SETTING_SASL_MECHANISMS, arg);
	case O_NAMESERVER: return add_flag(t, CX_SETTING_DNS_NAMESERVER, arg);
	}
	return 0;
}

/* -v: every line of XML, in and out, with a direction marker. */
static void
console(void *arg, cx_log_level level, const char *category, const char *msg)
{
	(void)arg;
	if (strcmp(category, CX_LOG_CAT_IN) == 0)
		fprintf(stderr, "<<< %s\n", msg);
	else if (strcmp(category, CX_LOG_CAT_OUT) == 0)
		fprintf(stderr, ">>> %s\n", msg);
	else if (level <= CX_LOG_INFO)
		fprintf(stderr, "--- [%s] %s\n", category, msg);
}

static void
quiet(void *arg, cx_log_level level, const char *category, const char *msg)
{
	const char *prog = arg;

	if (level <= CX_LOG_WARN)
		fprintf(stderr, "%s: %s: %s\n", prog, cx_log_level_name(level), msg);
}

cx_settings *
cxe_tool_settings(cxe_tool *t)
{
	cx_settings *s = NULL;
	cx_error err = CX_ERROR_INIT;
	char path[4096];
	const char *cfg = t->config, *home;
	struct stat sb;
	int i;

	if (t->verbose)
		cx_log_set_default(console, NULL, CX_LOG_TRACE);
	else
		cx_log_set_default(quiet, (void *)t->prog, CX_LOG_WARN);
	if (cx_settings_new(&s, &err) != CX_OK) {
		fprintf(stderr, "%s: %s\n", t->prog, err.message);
		return NULL;
	}
	if (cfg == NULL)
		cfg = getenv("CXMPP_CONFIG");
	if (cfg == NULL && (home = getenv("HOME")) != NULL) {
		snprintf(path, sizeof(path), "%s/.config/cxmpp/config", home);
		if (stat(path, &sb) == 0)
			cfg = path;
	}
	if (cfg != NULL && cx_settings_load_file(s, cfg, &err) != CX_OK) {
		fprintf(stderr, "%s: %s\n", t->prog, err.message);
		goto fail;
	}
	if (cx_settings_load_env(s, &err) != CX_OK) {
		fprintf(stderr, "%s: environment: %s\n", t->prog, err.message);
		goto fail;
	}
	for (i = 0; i < t->nflags; i++) {
		if (cx_settings_set_from_string(s, t->keys[i], t->values[i], &err) != CX_OK) {
			fprintf(stderr, "%s: %s\n", t->prog, err.message);
			goto fail;
		}
	}
	return s;
fail:
	cx_settings_unref(s);
	return NULL;
}

int
cxe_exit_code(cx_status st)
{
	switch (st) {
	case CX_OK:
		return CXE_EXIT_OK;
	case CX_ERR_SETTING: case CX_ERR_JID: case CX_ERR_INVALID:
		return CXE_EXIT_CONFIG;
	case CX_ERR_DNS: case CX_ERR_DNS_MALFORMED:
		return CXE_EXIT_DNS;
	case CX_ERR_CONNECT: case CX_ERR_TIMEOUT:
		return CXE_EXIT_CONNECT;
	case CX_ERR_TLS: case CX_ERR_TLS_VERIFY: case CX_ERR_TLS_PIN:
	case CX_ERR_TLS_REQUIRED:
		return CXE_EXIT_TLS;
	case CX_ERR_AUTH: case CX_ERR_AUTH_TEMPORARY: case CX_ERR_AUTH_MECHANISM:
	case CX_ERR_AUTH_DISABLED: case CX_ERR_AUTH_EXPIRED:
	case CX_ERR_AUTH_ENCRYPTION: case CX_ERR_AUTH_SERVER:
	case CX_ERR_AUTH_PROTOCOL: case CX_ERR_AUTH_POLICY:
		return CXE_EXIT_AUTH;
	case CX_ERR_STREAM_ERROR: case CX_ERR_BIND: case CX_ERR_PROTOCOL:
	case CX_ERR_CLOSED: case CX_ERR_DISCONNECTED: case CX_ERR_IO:
		return CXE_EXIT_STREAM;
	case CX_ERR_STANZA_ERROR: case CX_ERR_NOT_SUPPORTED: case CX_ERR_NOT_FOUND:
		return CXE_EXIT_REMOTE;
	default:
		return CXE_EXIT_FAILURE;
	}
}

int
cxe_fail(const cxe_tool *t, const char *what, cx_status st, const cx_error *err)
{
	const char *msg = err && err->message[0] ? err->message : cx_strerror(st);

	if (err && err->condition[0])
		fprintf(stderr, "%s: %s: %s (%s)\n", t->prog, what, msg, err->condition);
	else
		fprintf(stderr, "%s: %s: %s\n", t->prog, what, msg);
	return cxe_exit_code(st);
}

cx_client *
cxe_tool_connect(cxe_tool *t, cx_settings *s, int *code)
{
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;

	st = cx_client_new(&c, s, NULL, &err);
	if (st != CX_OK) {
		*code = cxe_fail(t, "account", st, &err);
		return NULL;
	}
	st = cx_client_connect(c, &err);
	if (st != CX_OK) {
		*code = cxe_fail(t, "connect", st, &err);
		cx_client_free(c);
		return NULL;
	}
	*code = CXE_EXIT_OK;
	return c;
}

void
cxe_tool_free(cxe_tool *t)
{
	int i;

	for (i = 0; i < t->nflags; i++) {
		if (t->values[i]) {
			explicit_bzero(t->values[i], strlen(t->values[i]));
			free(t->values[i]);
		}
	}
	t->nflags = 0;
}

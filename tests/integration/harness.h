/*
 * Integration tests: main() runs the suite against a real server. Started
 * by make check without CX_TEST_SERVER, the program re-executes itself
 * under tests/servers/with-server.sh both, which starts Prosody and
 * ejabberd on loopback and runs it once with each server's CX_TEST_*
 * variables. A server that cannot be started is a hard error (99), never a
 * skip.
 */
#ifndef CXT_INTEGRATION_HARNESS_H
#define CXT_INTEGRATION_HARNESS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline int
cxt_integration_main(int argc, char **argv, Suite *(*suite_fn)(void),
		     const char *servers)
{
	SRunner *sr;
	int failed;

	if (getenv("CX_TEST_SERVER") == NULL) {
		const char *top = getenv("top_srcdir");
		char path[4096];
		char **nargv = calloc((size_t)argc + 4, sizeof(char *));
		int i;

		if (nargv == NULL)
			return 99;
		snprintf(path, sizeof(path), "%s/tests/servers/with-server.sh",
			 top ? top : ".");
		nargv[0] = path;
		nargv[1] = (char *)servers;
		nargv[2] = (char *)"--";
		for (i = 0; i < argc; i++)
			nargv[3 + i] = argv[i];
		execv(path, nargv);
		perror(path);
		return 99;
	}
	fprintf(stderr, "== against %s (%s:%s)\n", getenv("CX_TEST_SERVER"),
		getenv("CX_TEST_HOST") ? getenv("CX_TEST_HOST") : "?",
		getenv("CX_TEST_PORT") ? getenv("CX_TEST_PORT") : "?");
	sr = srunner_create(suite_fn());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define CXT_INTEGRATION_MAIN(suite_fn, servers)                             \
	int main(int argc, char **argv)                                     \
	{                                                                   \
		return cxt_integration_main(argc, argv, suite_fn, servers); \
	}

#endif

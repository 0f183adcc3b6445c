/* Shared helpers for the Check unit tests. */
#ifndef CXT_TESTUTIL_H
#define CXT_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Defines main() running one suite; exit status 0 only if all passed. */
#define CXT_MAIN(suite_fn)                                                  \
	int main(void)                                                      \
	{                                                                   \
		SRunner *sr = srunner_create(suite_fn());                   \
		int failed;                                                 \
		srunner_run_all(sr, CK_NORMAL);                             \
		failed = srunner_ntests_failed(sr);                         \
		srunner_free(sr);                                           \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;           \
	}

/* Path of a file under tests/data (uses $top_srcdir set by make check). */
static inline const char *
cxt_data_path(char *buf, size_t len, const char *name)
{
	const char *top = getenv("top_srcdir");
	snprintf(buf, len, "%s/tests/data/%s", top ? top : ".", name);
	return buf;
}

#endif

/*
 * Shared helpers of the benchmark programs (tests/bench): clocks, order
 * statistics, the process's resident set, and the CX_TEST_* environment
 * written by tests/servers/with-server.sh. Header-only so that the cxmpp and
 * the libstrophe programs share it without sharing an object file.
 *
 * Every result is printed on stdout as one line
 *     RESULT <workload> <library> <metric> <value>
 * which tests/bench/run.sh collects; anything else printed is commentary.
 */
#ifndef CX_BENCH_H
#define CX_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

static inline int64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void
bench_die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* CPU time (user + system) of the whole process, all threads, in µs:
 * what the client library costs, whatever else the machine is doing. */
static inline double
bench_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static inline const char *
bench_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "bench: %s is not set: run under "
			"tests/servers/with-server.sh\n", name);
		exit(2);
	}
	return v;
}

/* Account n (1..5) of the test server. */
static inline const char *
bench_user(int n)
{
	char name[32];

	snprintf(name, sizeof(name), "CX_TEST_USER%d", n);
	return bench_env(name);
}

static inline const char *
bench_pass(int n)
{
	char name[32];

	snprintf(name, sizeof(name), "CX_TEST_PASS%d", n);
	return bench_env(name);
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n-1], nearest rank; sorts v. */
static inline double
bench_quantile(double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1. */
static inline long
bench_status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t len = strlen(field);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static inline void
bench_result(const char *workload, const char *lib, const char *metric,
	     double value)
{
	printf("RESULT %s %s %s %.6g\n", workload, lib, metric, value);
	fflush(stdout);
}

static inline long
bench_arg(int argc, char **argv, int i, long dflt)
{
	return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

#endif

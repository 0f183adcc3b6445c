/*
 * Replays fuzz inputs without libFuzzer: the regression mode of the fuzz
 * targets, run by `make check`. Each argument is a file or a directory
 * (every regular file in it, in name order). With no argument, it replays
 * $top_srcdir/tests/fuzz/corpus/NAME and .../crashes/NAME, NAME being the
 * target's name (CXF_TARGET); the corpus must not be empty.
 *
 * Each input goes to LLVMFuzzerTestOneInput in a buffer of its exact size
 * (malloc'd, so AddressSanitizer sees a read past the end). A target aborts
 * on a violated invariant; the sanitizers abort on memory errors and leaks.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#ifndef CXF_TARGET
#error "CXF_TARGET must name the target"
#endif

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size the file\n", path);
		goto out;
	}
	/* at least one byte, so that an empty input is a valid pointer */
	data = malloc(len > 0 ? (size_t)len : 1);
	if (data == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (len > 0 && fread(data, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: short read\n", path);
		goto out;
	}
	fclose(f);
	f = NULL;
	LLVMFuzzerTestOneInput(data, (size_t)len);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(data);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of dir; returns how many, or -1. */
static long
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **grown, path[4096];
	size_t n = 0, cap = 0, i;
	long count = 0;
	struct stat st;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL) {
				count = -1;
				goto out;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			count = -1;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) != 0) {
			count = -1;
			goto out;
		}
		count++;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return count;
}

/* A file or a directory; returns the number of inputs, or -1. */
static long
run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	return run_file(path) == 0 ? 1 : -1;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	struct stat st;
	long n, total = 0;
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			n = run_path(argv[i]);
			if (n < 0)
				return EXIT_FAILURE;
			total += n;
		}
		printf("fuzz_%s: replayed %ld inputs\n", CXF_TARGET, total);
		return EXIT_SUCCESS;
	}
	if (top == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, CXF_TARGET);
	n = run_dir(dir);
	if (n <= 0) {
		fprintf(stderr, "fuzz_%s: no corpus in %s\n", CXF_TARGET, dir);
		return EXIT_FAILURE;
	}
	printf("fuzz_%s: replayed %ld corpus inputs\n", CXF_TARGET, n);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/crashes/%s", top, CXF_TARGET);
	if (stat(dir, &st) == 0) {
		n = run_dir(dir);
		if (n < 0)
			return EXIT_FAILURE;
		printf("fuzz_%s: replayed %ld former crashes\n", CXF_TARGET, n);
	}
	return EXIT_SUCCESS;
}

/*
 * bench_read_file: a whole file in memory, for the parser benchmarks
 * (NUL-terminated; exits on failure).
 */
#ifndef CX_BENCH_FILE_H
#define CX_BENCH_FILE_H

#include <stdio.h>
#include <stdlib.h>

static char *
bench_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		exit(1);
	}
	data[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return data;
}

#endif

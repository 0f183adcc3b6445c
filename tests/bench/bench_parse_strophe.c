/*
 * bench_parse_strophe: cost of libstrophe's stream parser (its expat
 * backend in Debian's build) on the same bytes as bench_parse_cxmpp, fed in
 * the same 4 KiB chunks; each depth-1 element is built as an xmpp_stanza_t
 * tree, handed to the callback and released by libstrophe.
 *
 *     bench_parse_strophe FILE [PASSES]    (default 3)
 *
 * parser.h is internal to libstrophe and not installed; its five functions
 * are declared here from libstrophe 0.12's documentation, and only the
 * static archive (libstrophe.a) exports them, so this program links it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <strophe.h>

#include "tests/bench/bench.h"
#include "tests/bench/bench_file.h"

#define LIB "libstrophe"
#define CHUNK 4096

/* libstrophe 0.12 src/parser.h */
typedef struct _parser_t parser_t;
typedef void (*parser_start_callback)(char *name, char **attrs, void *userdata);
typedef void (*parser_end_callback)(char *name, void *userdata);
typedef void (*parser_stanza_callback)(xmpp_stanza_t *stanza, void *userdata);
parser_t *parser_new(xmpp_ctx_t *ctx, parser_start_callback startcb,
		     parser_end_callback endcb, parser_stanza_callback stanzacb,
		     void *userdata);
void parser_free(parser_t *parser);
int parser_feed(parser_t *parser, char *chunk, int len);

static void
on_stanza(xmpp_stanza_t *stanza, void *userdata)
{
	(void)stanza;
	(*(unsigned long *)userdata)++;
}

int
main(int argc, char **argv)
{
	xmpp_ctx_t *ctx;
	size_t len, off;
	char *data;
	long passes = bench_arg(argc, argv, 2, 3), p;
	double *mibs, *rate;
	unsigned long count = 0;

	if (argc < 2 || passes < 1) {
		fprintf(stderr, "usage: bench_parse_strophe FILE [PASSES]\n");
		return 2;
	}
	data = bench_read_file(argv[1], &len);
	mibs = calloc((size_t)passes, sizeof(*mibs));
	rate = calloc((size_t)passes, sizeof(*rate));
	if (mibs == NULL || rate == NULL)
		bench_die("out of memory");
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	if (ctx == NULL)
		bench_die("xmpp_ctx_new");
	for (p = 0; p < passes; p++) {
		parser_t *parser;
		int64_t t0 = bench_now_ns();
		double s;

		count = 0;
		parser = parser_new(ctx, NULL, NULL, on_stanza, &count);
		if (parser == NULL)
			bench_die("parser_new");
		for (off = 0; off < len; off += CHUNK) {
			size_t n = len - off < CHUNK ? len - off : CHUNK;

			if (!parser_feed(parser, data + off, (int)n)) {
				fprintf(stderr, "bench_parse_strophe: parse error "
					"near %zu\n", off);
				return 1;
			}
		}
		parser_free(parser);
		s = (double)(bench_now_ns() - t0) / 1e9;
		mibs[p] = (double)len / (1024.0 * 1024.0) / s;
		rate[p] = (double)count / s;
	}
	fprintf(stderr, "bench_parse_strophe: %lu stanzas per pass\n", count);
	bench_result("parse", LIB, "stanzas", (double)count);
	bench_result("parse", LIB, "mib_per_s",
		     bench_quantile(mibs, (size_t)passes, 0.5));
	bench_result("parse", LIB, "stanzas_per_s",
		     bench_quantile(rate, (size_t)passes, 0.5));
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	free(mibs);
	free(rate);
	free(data);
	return 0;
}

/*
 * bench_parse_cxmpp: cost of cxmpp's sans-I/O stream parser (lib/core/xml.h)
 * without a network: the file made by gen_stanzas is fed in 4 KiB chunks,
 * the size of a typical socket read, and every depth-1 element is built as
 * a tree and freed, as the client does before dispatch.
 *
 *     bench_parse_cxmpp FILE [PASSES]      (default 3)
 *
 * Prints the median of the passes: MiB/s and stanzas/s. The twin is
 * bench_parse_strophe.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <libxml/tree.h>

#include "lib/core/xml.h"
#include "tests/bench/bench.h"

#include "tests/bench/bench_file.h"

#define LIB "cxmpp"
#define CHUNK 4096

static void
on_element(void *arg, xmlNodePtr elem)
{
	(*(unsigned long *)arg)++;
	xmlFreeDoc(elem->doc);
}

int
main(int argc, char **argv)
{
	cxi_xml_limits limits = CXI_XML_LIMITS_DEFAULT;
	cxi_xml_callbacks cb = { NULL, on_element, NULL };
	size_t len, off;
	char *data;
	long passes = bench_arg(argc, argv, 2, 3), p;
	double *mibs, *rate;
	unsigned long count = 0;

	if (argc < 2 || passes < 1) {
		fprintf(stderr, "usage: bench_parse_cxmpp FILE [PASSES]\n");
		return 2;
	}
	data = bench_read_file(argv[1], &len);
	mibs = calloc((size_t)passes, sizeof(*mibs));
	rate = calloc((size_t)passes, sizeof(*rate));
	if (mibs == NULL || rate == NULL)
		bench_die("out of memory");
	for (p = 0; p < passes; p++) {
		cxi_xml_parser *parser = NULL;
		cx_error err = CX_ERROR_INIT;
		int64_t t0 = bench_now_ns();
		double s;

		count = 0;
		if (cxi_xml_parser_new(&parser, &limits, &cb, &count, &err) != CX_OK)
			bench_die("cxi_xml_parser_new");
		for (off = 0; off < len; off += CHUNK) {
			size_t n = len - off < CHUNK ? len - off : CHUNK;

			if (cxi_xml_parser_feed(parser, data + off, n, NULL,
						&err) != CX_OK) {
				fprintf(stderr, "bench_parse_cxmpp: feed at %zu: "
					"%s\n", off, err.message);
				return 1;
			}
		}
		cxi_xml_parser_free(parser);
		s = (double)(bench_now_ns() - t0) / 1e9;
		mibs[p] = (double)len / (1024.0 * 1024.0) / s;
		rate[p] = (double)count / s;
	}
	fprintf(stderr, "bench_parse_cxmpp: %lu stanzas per pass\n", count);
	bench_result("parse", LIB, "stanzas", (double)count);
	bench_result("parse", LIB, "mib_per_s",
		     bench_quantile(mibs, (size_t)passes, 0.5));
	bench_result("parse", LIB, "stanzas_per_s",
		     bench_quantile(rate, (size_t)passes, 0.5));
	free(mibs);
	free(rate);
	free(data);
	return 0;
}

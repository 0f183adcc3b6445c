/* Writes doc/settings.md (from the table in settings.c) to standard output.
 * Run by `make settings-doc`. */
#include "config.h"

#include <stdio.h>

#include "lib/core/settings.h"

int
main(void)
{
	cxi_buf b = CXI_BUF_INIT;
	int rc = 1;

	if (cxi_settings_doc_markdown(&b) == CX_OK &&
	    fwrite(cxi_buf_head(&b), 1, cxi_buf_size(&b), stdout) ==
		    cxi_buf_size(&b) &&
	    fflush(stdout) == 0)
		rc = 0;
	cxi_buf_free(&b);
	return rc;
}

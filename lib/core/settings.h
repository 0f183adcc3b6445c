/* Internal side of cx_settings (include/cxmpp/settings.h). */
#ifndef CXI_CORE_SETTINGS_H
#define CXI_CORE_SETTINGS_H

#include "cxmpp/settings.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/core/xml.h"

/* Logs every key as "setting key = value" lines at `level` (category "api"),
 * the secret masked; nothing is formatted when the level is off. */
void cxi_settings_log(const cx_settings *s, const cxi_logger *lg,
		      cx_log_level level);

/* The parser limits from the limits.* keys. */
cx_status cxi_settings_xml_limits(cxi_xml_limits *out, const cx_settings *s);

/* Appends doc/settings.md, generated from the table of keys. */
cx_status cxi_settings_doc_markdown(cxi_buf *out);

#endif

/*
 * TCP connect for the client: tries each address in turn with a deadline,
 * and returns a connected, blocking, close-on-exec socket with TCP_NODELAY
 * (the writer thread already coalesces small stanzas). Uses poll(), never
 * select(), so descriptors above 1023 work.
 */
#ifndef CXI_NET_TCP_H
#define CXI_NET_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cxmpp/common.h"
#include "lib/core/log.h"

/*
 * Connects to the first address of addrs[0..n) that answers within
 * timeout_ms (each attempt gets what is left of the overall budget split
 * over the remaining addresses, at least 1 s). CX_ERR_CONNECT when every
 * address refused or was unreachable (message names the last errno),
 * CX_ERR_TIMEOUT when the budget ran out.
 */
cx_status cxi_tcp_connect(int *fd_out, const struct sockaddr_storage *addrs,
			  size_t n, int timeout_ms, const cxi_logger *log,
			  cx_error *err);

/* "127.0.0.1:5222" / "[::1]:5222" for logs. */
void cxi_sockaddr_format(const struct sockaddr_storage *sa, char *out,
			 size_t len);

#endif

/*
 * Design notes: the socket is made non-blocking only for connect(), so that
 * a deadline can be kept with poll(); once connected it goes back to
 * blocking mode, because the client gives each connection a reader thread
 * (blocking recv) and a writer thread (blocking writev), and wakes them with
 * shutdown(2) when it tears the connection down.
 */
#include "config.h"

#include "lib/net/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/core/error.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cxi_sockaddr_format(const struct sockaddr_storage *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(out, len, "(family %d)", sa->ss_family);
	}
}

static socklen_t
sa_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* One attempt. Returns 0 and the fd, or an errno value (ETIMEDOUT included). */
static int
try_one(const struct sockaddr_storage *sa, int64_t deadline, int *fd_out)
{
	int fd, flags, rc, soerr = 0, one = 1;
	socklen_t slen = sizeof(soerr);
	struct pollfd pfd;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	rc = connect(fd, (const struct sockaddr *)sa, sa_len(sa));
	if (rc < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		return e;
	}
	while (rc < 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			close(fd);
			return ETIMEDOUT;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno == EINTR) {
			rc = -1;
			continue;
		}
		if (rc < 0) {
			int e = errno;
			close(fd);
			return e;
		}
		if (rc == 0) {
			rc = -1;
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
			soerr = errno;
		if (soerr != 0) {
			close(fd);
			return soerr;
		}
		rc = 0;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 0;
}

cx_status
cxi_tcp_connect(int *fd_out, const struct sockaddr_storage *addrs, size_t n,
		int timeout_ms, const cxi_logger *log, cx_error *err)
{
	int64_t start = now_ms(), end;
	int last = ECONNREFUSED;
	char name[80];
	size_t i;

	*fd_out = -1;
	if (n == 0)
		return cxi_error_set(err, CX_ERR_CONNECT, "no address to connect to");
	if (timeout_ms <= 0)
		timeout_ms = 10000;
	end = start + timeout_ms;
	for (i = 0; i < n; i++) {
		int64_t now = now_ms(), left = end - now, slot;

		if (left <= 0) {
			last = ETIMEDOUT;
			break;
		}
		/* Share what is left between the remaining addresses, so that one
		 * black-holed address cannot eat the whole budget. */
		slot = left / (int64_t)(n - i);
		if (slot < 1000)
			slot = left < 1000 ? left : 1000;
		cxi_sockaddr_format(&addrs[i], name, sizeof(name));
		last = try_one(&addrs[i], now + slot, fd_out);
		if (last == 0) {
			cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET, "connected to %s",
				name);
			return CX_OK;
		}
		if (cxi_log_enabled(log, CX_LOG_INFO)) {
			char ebuf[128];
			cxi_log(log, CX_LOG_INFO, CX_LOG_CAT_NET, "connect to %s: %s",
				name, cxi_errno_str(last, ebuf, sizeof(ebuf)));
		}
	}
	if (last == ETIMEDOUT)
		return cxi_error_set(err, CX_ERR_TIMEOUT,
				     "connect timed out after %d ms", timeout_ms);
	return cxi_error_set_errno(err, CX_ERR_CONNECT, last,
				   "could not connect (%zu address%s tried)", n,
				   n == 1 ? "" : "es");
}

/* Logging to stderr, one line per event, with a UTC timestamp and level. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "siphon/log.h"

enum sip_log_level sip_log_threshold = SIP_LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

void sip_log_set_level(enum sip_log_level lvl)
{
	sip_log_threshold = lvl;
}

int sip_log_level_parse(const char *name, enum sip_log_level *out)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum sip_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void sip_log_write(enum sip_log_level lvl, const char *subsys, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s [%s] ", tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, names[lvl], subsys);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines from threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}

/* siphon base layer: logging.
 *
 * One line per event on stderr: "LEVEL [subsystem] message". The level test is an
 * inline compare so a disabled debug line costs a branch, not a format (the server's
 * hot path logs at debug level only). */
#ifndef SIPHON_LOG_H
#define SIPHON_LOG_H

#include <stdbool.h>

enum sip_log_level {
	SIP_LOG_ERROR = 0,
	SIP_LOG_WARN = 1,
	SIP_LOG_INFO = 2,
	SIP_LOG_DEBUG = 3,
};

extern enum sip_log_level sip_log_threshold;

static inline bool sip_log_enabled(enum sip_log_level lvl) { return lvl <= sip_log_threshold; }
void sip_log_set_level(enum sip_log_level lvl);
/* Parse "error", "warn", "info", "debug"; 0 or -EINVAL. */
int sip_log_level_parse(const char *name, enum sip_log_level *out);
void sip_log_write(enum sip_log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define sip_log(lvl, subsys, ...)                                     \
	do {                                                          \
		if (sip_log_enabled(lvl))                             \
			sip_log_write((lvl), (subsys), __VA_ARGS__);   \
	} while (0)
#define sip_log_error(subsys, ...) sip_log(SIP_LOG_ERROR, subsys, __VA_ARGS__)
#define sip_log_warn(subsys, ...) sip_log(SIP_LOG_WARN, subsys, __VA_ARGS__)
#define sip_log_info(subsys, ...) sip_log(SIP_LOG_INFO, subsys, __VA_ARGS__)
#define sip_log_debug(subsys, ...) sip_log(SIP_LOG_DEBUG, subsys, __VA_ARGS__)

#endif

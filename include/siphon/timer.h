/* siphon txn layer: the clock and timer service.
 *
 * struct sip_timers is one clock plus one ordered set of timers. Timers are embedded
 * in their owner (struct sip_timer inside a transaction), so starting, stopping or
 * re-arming one never allocates. Two clocks drive it:
 *   - the libuv clock (sip_timers_init_uv) for the real server: one uv_timer_t per
 *     service, armed for the earliest deadline;
 *   - the manual clock (sip_timers_init_manual) for tests: time moves only when the
 *     test calls sip_timers_advance, and every timer due on the way fires in order,
 *     with sip_timers_now() equal to its deadline while its callback runs.
 *
 * Why a pairing heap (timer.c) and not one uv_timer_t per transaction or a wheel:
 * a uv_timer_t is 152 bytes, two per transaction is 300 bytes of the budget, and it
 * can only be freed after an asynchronous uv_close (a transaction could not be
 * destroyed synchronously). A hierarchical wheel quantises deadlines and must step
 * through empty slots (or cascade) as time passes, which would make the test clock
 * report rounded retransmission times. The intrusive pairing heap keeps exact
 * millisecond deadlines, costs three pointers per timer, has O(1) insert and
 * O(1) "earliest deadline" (what the single uv timer is armed for) and O(log n)
 * amortised removal, and firing touches only timers that are due: nothing scans
 * the 100,000 live transactions (bench/txn measures it). Equal deadlines fire in
 * the order they were started (a sequence number breaks ties). */
#ifndef SIPHON_TIMER_H
#define SIPHON_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sip_timer;
struct sip_timers;

/* Called when the timer fires; the timer is already stopped and may be restarted.
 * Find the owner with container_of. */
typedef void (*sip_timer_cb)(struct sip_timer *t);

/* Embed in the owner; zero-initialise (or sip_timer_init) before first use. */
struct sip_timer {
	struct sip_timer *child;   /* heap links (private) */
	struct sip_timer *next;
	struct sip_timer *prev;    /* parent when leftmost child, else left sibling */
	uint64_t due;              /* deadline, ms on the service's clock */
	uint64_t seq;              /* start order, breaks ties */
	sip_timer_cb cb;
	bool active;
};

struct sip_timers {
	struct sip_timer *root;    /* earliest deadline (private) */
	uint64_t seq;
	size_t count;              /* active timers */
	uint64_t now_ms;           /* manual clock */
	uint64_t armed;            /* deadline the backend waits for, UINT64_MAX for none */
	/* The clock: now() in ms; arm() asks the backend to call sip_timers_run at or
	 * after due (UINT64_MAX: nothing to wait for). arm is NULL for the manual clock. */
	uint64_t (*now)(struct sip_timers *ts);
	void (*arm)(struct sip_timers *ts, uint64_t due);
	void *backend;             /* the libuv clock's uv_timer_t (owned) */
};

static inline void sip_timer_init(struct sip_timer *t)
{
	*t = (struct sip_timer){ 0 };
}

/* A manual clock starting at start_ms. */
void sip_timers_init_manual(struct sip_timers *ts, uint64_t start_ms);
/* Manual clock: move time forward by ms, firing every timer due up to the new time
 * in deadline order (sip_timers_now() is the timer's deadline in its callback).
 * Timers started by callbacks fire too when due within the window. */
void sip_timers_advance(struct sip_timers *ts, uint64_t ms);

/* The libuv clock on loop (a uv_loop_t *, void here so this header does not need
 * uv.h). 0 or -ENOMEM / a libuv error. Close with sip_timers_close. */
int sip_timers_init_uv(struct sip_timers *ts, void *loop);
/* Stop the backend; for the libuv clock its handle is closed and freed by the loop.
 * Active timers are forgotten (their owners must not be started again). */
void sip_timers_close(struct sip_timers *ts);

uint64_t sip_timers_now(struct sip_timers *ts);
/* Start (or restart) t to fire cb after ms milliseconds. ms 0 fires at the next run
 * (never inside this call). */
void sip_timer_start(struct sip_timers *ts, struct sip_timer *t, uint64_t ms, sip_timer_cb cb);
/* Stop t if active; a no-op otherwise. */
void sip_timer_stop(struct sip_timers *ts, struct sip_timer *t);
static inline bool sip_timer_active(const struct sip_timer *t) { return t->active; }
/* Fire every timer whose deadline is <= now. Returns how many fired. */
size_t sip_timers_run(struct sip_timers *ts);
/* Earliest deadline, or UINT64_MAX when no timer is active. */
uint64_t sip_timers_next(const struct sip_timers *ts);

#endif

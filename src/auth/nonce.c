/* Stateless nonces and the nonce-count table.
 *
 * Nonce layout (30 bytes, base64url without padding: 40 characters):
 *
 *   issued   6 bytes  issue time, milliseconds since the epoch, big-endian
 *   serial   8 bytes  per-state counter, strictly increasing
 *   mac     16 bytes  HMAC-SHA256(secret, issued || serial || len16(realm) ||
 *                     realm || bind), truncated to 128 bits
 *
 * Why this shape:
 *   - The nonce carries its own issue time, so checking age needs no table
 *     (RFC 7616 3.3 suggests exactly a time stamp plus a private key hash).
 *     The MAC binds the time, so a client cannot extend a nonce's life.
 *   - The serial makes every nonce unique (two challenges in the same
 *     millisecond differ) and is the key of the nonce-count table. It starts at
 *     (start time in ms) << 16, so a restarted process with a supplied secret
 *     issues serials above its predecessor's and the table's "floor" rule
 *     below stays sound across restarts.
 *   - The realm is in the MAC: a nonce issued for one domain is refused for
 *     another. bind (optional) can tie a nonce to e.g. the client address.
 *   - 128 bits of HMAC-SHA256 are far beyond what an online forger can try;
 *     the full 256 bits would only make every challenge and request longer.
 *   - base64url needs no escaping inside a quoted-string and no padding at
 *     30 bytes. The serial is visible, which tells a client how many nonces the
 *     server issued; that is not a secret worth 8 more bytes of encryption.
 *   The MAC is compared with CRYPTO_memcmp so timing reveals nothing.
 *
 * Nonce-count table (RFC 7616 3.3/3.4: the server should refuse a request
 * whose nc it saw before for the same nonce):
 *   - Open addressing over a power-of-two array, key = serial, Fibonacci
 *     hashing (serials are consecutive). A lookup scans a fixed window of
 *     PROBE slots from the home slot and never stops early, so slots can be
 *     overwritten in place without tombstones: O(1), no allocation after
 *     sip_nonce_state_alloc.
 *   - Each entry keeps the highest nc accepted and a 64-bit window below it
 *     (the IPsec anti-replay window, RFC 4303 3.4.3). Plain "nc must grow"
 *     would refuse a UA that sends two requests with one nonce in parallel
 *     (REGISTER and SUBSCRIBE) whose copies cross on UDP; the window accepts
 *     each count once in any order within 64 of the highest.
 *   - Entries are created only when a response has been verified, so only
 *     clients that know a password can fill the table.
 *   - An entry is dead once its nonce has expired (the nonce would be stale
 *     anyway) and its slot is reused. When every slot of a window is live the
 *     entry expiring first is evicted, and "floor" rises above its serial:
 *     a nonce with serial below floor and no entry may have been evicted, so
 *     it is answered FORGOTTEN (the server re-challenges with stale=true, the
 *     client retries with a new nonce and no password prompt). The table can
 *     therefore never let a replay through, whatever the load; overload only
 *     costs extra challenges. floor starts at the first serial of this state,
 *     which also covers nonces issued by an earlier process.
 *   - Default 16384 entries of 32 bytes (512 KiB); entries live one nonce
 *     lifetime, so it holds the clients that authenticated in the last 300 s. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "auth_int.h"

#define NONCE_RAW 30
#define NONCE_MAC_OFF 14
#define NONCE_MAC_LEN 16
#define SECRET_MAX 256
#define PROBE 8
/* An authentic nonce issued up to this far in the future (clock stepped back)
 * is still accepted as fresh; beyond it, it is stale. */
#define FUTURE_SKEW_MS 1000

struct nc_entry {
	uint64_t serial;     /* 0: never used */
	uint64_t expires_ms; /* the nonce's end of life: the entry is dead after it */
	uint64_t window;     /* bit i set: nc == top - i was accepted */
	uint32_t top;        /* highest nc accepted */
	uint32_t pad;
};

struct sip_nonce_state {
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx; /* keyed once; re-initialised with a NULL key per use */
	uint64_t lifetime_ms;
	uint64_t (*clock_ms)(void *arg);
	void *clock_arg;
	uint64_t next_serial;
	uint64_t floor; /* serials below it without an entry may have been evicted */
	struct nc_entry *tab;
	uint32_t mask;
	uint32_t used;
	uint64_t issued;
	uint64_t evictions;
};

static uint64_t clock_realtime_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ms(const struct sip_nonce_state *ns)
{
	return ns->clock_ms(ns->clock_arg);
}

int sip_nonce_state_alloc(struct sip_nonce_state **nsp, const struct sip_nonce_cfg *cfg)
{
	static const struct sip_nonce_cfg defaults;
	uint8_t rnd[32];
	const uint8_t *key;
	size_t keylen, cap;
	OSSL_PARAM params[2];
	struct sip_nonce_state *ns;
	int err = -EIO;

	if (!cfg)
		cfg = &defaults;
	if (cfg->secret && (cfg->secret_len == 0 || cfg->secret_len > SECRET_MAX))
		return -EINVAL;
	cap = cfg->max_entries ? cfg->max_entries : 16384;
	if (cap > (1u << 30))
		return -EINVAL;
	if (cap < PROBE)
		cap = PROBE;
	/* round up to a power of two */
	cap--;
	cap |= cap >> 1;
	cap |= cap >> 2;
	cap |= cap >> 4;
	cap |= cap >> 8;
	cap |= cap >> 16;
	cap++;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->tab = calloc(cap, sizeof(*ns->tab));
	if (!ns->tab) {
		err = -ENOMEM;
		goto out;
	}
	ns->mask = (uint32_t)(cap - 1);
	ns->lifetime_ms = (uint64_t)(cfg->lifetime_s ? cfg->lifetime_s : 300) * 1000u;
	ns->clock_ms = cfg->clock_ms ? cfg->clock_ms : clock_realtime_ms;
	ns->clock_arg = cfg->clock_arg;

	if (cfg->secret) {
		key = cfg->secret;
		keylen = cfg->secret_len;
	} else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			goto out;
		key = rnd;
		keylen = sizeof(rnd);
	}
	ns->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!ns->mac)
		goto out;
	ns->mctx = EVP_MAC_CTX_new(ns->mac);
	if (!ns->mctx) {
		err = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA2-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ns->mctx, key, keylen, params) != 1)
		goto out;
	/* Above any serial of an earlier process (see the file comment); never 0,
	 * which marks an empty table slot. */
	ns->next_serial = (now_ms(ns) << 16) | 1u;
	ns->floor = ns->next_serial;
	err = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (err) {
		sip_nonce_state_free(ns);
		return err;
	}
	*nsp = ns;
	return 0;
}

void sip_nonce_state_free(struct sip_nonce_state *ns)
{
	if (!ns)
		return;
	EVP_MAC_CTX_free(ns->mctx); /* cleanses the key */
	EVP_MAC_free(ns->mac);
	free(ns->tab);
	free(ns);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* mac = HMAC(secret, raw[0..14) || len16(realm) || realm || bind)[0..16) */
static int nonce_mac(struct sip_nonce_state *ns, uint8_t mac[NONCE_MAC_LEN], const uint8_t *raw,
		     struct sip_str realm, struct sip_str bind)
{
	uint8_t full[EVP_MAX_MD_SIZE], rlen[2];
	size_t outl = 0;

	if (realm.len > 0xffff)
		return -EINVAL;
	put_be(rlen, realm.len, 2);
	if (EVP_MAC_init(ns->mctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(ns->mctx, raw, NONCE_MAC_OFF) != 1 ||
	    EVP_MAC_update(ns->mctx, rlen, sizeof(rlen)) != 1 ||
	    (realm.len && EVP_MAC_update(ns->mctx, (const uint8_t *)realm.p, realm.len) != 1) ||
	    (bind.len && EVP_MAC_update(ns->mctx, (const uint8_t *)bind.p, bind.len) != 1) ||
	    EVP_MAC_final(ns->mctx, full, &outl, sizeof(full)) != 1 || outl < NONCE_MAC_LEN)
		return -EIO;
	memcpy(mac, full, NONCE_MAC_LEN);
	return 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* 30 bytes -> 40 chars: ten whole 3-byte groups, so no padding. */
static void b64url_encode(char out[SIP_NONCE_LEN + 1], const uint8_t raw[NONCE_RAW])
{
	int i, o = 0;

	for (i = 0; i < NONCE_RAW; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
}

static int b64url_decode(uint8_t raw[NONCE_RAW], struct sip_str s)
{
	size_t i;
	int o = 0;

	if (s.len != SIP_NONCE_LEN)
		return -EINVAL;
	for (i = 0; i < SIP_NONCE_LEN; i += 4) {
		int a = b64url_val((unsigned char)s.p[i]), b = b64url_val((unsigned char)s.p[i + 1]);
		int c = b64url_val((unsigned char)s.p[i + 2]), d = b64url_val((unsigned char)s.p[i + 3]);
		uint32_t v;

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -EINVAL;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		raw[o++] = (uint8_t)(v >> 16);
		raw[o++] = (uint8_t)(v >> 8);
		raw[o++] = (uint8_t)v;
	}
	return 0;
}

int sip_nonce_make(struct sip_nonce_state *ns, char out[SIP_NONCE_LEN + 1], struct sip_str realm,
		   struct sip_str bind)
{
	uint8_t raw[NONCE_RAW];
	int err;

	put_be(raw, now_ms(ns), 6);
	put_be(raw + 6, ns->next_serial, 8);
	err = nonce_mac(ns, raw + NONCE_MAC_OFF, raw, realm, bind);
	if (err)
		return err;
	ns->next_serial++;
	ns->issued++;
	b64url_encode(out, raw);
	return 0;
}

enum sip_nonce_status sip_nonce_check(struct sip_nonce_state *ns, struct sip_nonce_info *info,
				      struct sip_str nonce, struct sip_str realm, struct sip_str bind)
{
	uint8_t raw[NONCE_RAW], mac[NONCE_MAC_LEN];
	uint64_t issued, now;

	if (b64url_decode(raw, nonce) != 0)
		return SIP_NONCE_INVALID;
	if (nonce_mac(ns, mac, raw, realm, bind) != 0)
		return SIP_NONCE_INVALID;
	if (CRYPTO_memcmp(mac, raw + NONCE_MAC_OFF, NONCE_MAC_LEN) != 0)
		return SIP_NONCE_INVALID;
	issued = get_be(raw, 6);
	info->issued_ms = issued;
	info->serial = get_be(raw + 6, 8);
	now = now_ms(ns);
	/* RFC 7616 3.3: an authentic nonce past its life makes the server
	 * answer stale=true rather than reject the credentials. */
	if (issued > now + FUTURE_SKEW_MS)
		return SIP_NONCE_STALE;
	if (now >= issued && now - issued >= ns->lifetime_ms)
		return SIP_NONCE_STALE;
	return SIP_NONCE_VALID;
}

static uint32_t home_slot(const struct sip_nonce_state *ns, uint64_t serial)
{
	/* Fibonacci hashing: consecutive serials land far apart. */
	return (uint32_t)((serial * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & ns->mask;
}

static struct nc_entry *nc_find(struct sip_nonce_state *ns, uint64_t serial)
{
	uint32_t h = home_slot(ns, serial), i;

	for (i = 0; i < PROBE; i++) {
		struct nc_entry *e = &ns->tab[(h + i) & ns->mask];

		if (e->serial == serial)
			return e;
	}
	return NULL;
}

/* Would nc pass the window of e? RFC 4303 3.4.3's sliding window. */
static bool nc_window_fresh(const struct nc_entry *e, uint32_t nc)
{
	uint32_t d;

	if (nc > e->top)
		return true;
	d = e->top - nc;
	if (d >= 64)
		return false;
	return !(e->window & (UINT64_C(1) << d));
}

static void nc_window_mark(struct nc_entry *e, uint32_t nc)
{
	if (nc > e->top) {
		uint32_t shift = nc - e->top;

		e->window = shift >= 64 ? 0 : e->window << shift;
		e->window |= 1;
		e->top = nc;
	} else {
		e->window |= UINT64_C(1) << (e->top - nc);
	}
}

static enum sip_nc_status nc_lookup(struct sip_nonce_state *ns, const struct sip_nonce_info *info,
				    uint32_t nc, struct nc_entry **ep)
{
	struct nc_entry *e;

	*ep = NULL;
	if (nc == 0)
		return SIP_NC_REPLAY; /* nc starts at 1 (RFC 2617 3.2.2); 0 is never fresh */
	e = nc_find(ns, info->serial);
	if (e && e->expires_ms > now_ms(ns)) {
		*ep = e;
		return nc_window_fresh(e, nc) ? SIP_NC_FRESH : SIP_NC_REPLAY;
	}
	if (e) /* dead entry: the nonce itself is past its life */
		return SIP_NC_FORGOTTEN;
	return info->serial < ns->floor ? SIP_NC_FORGOTTEN : SIP_NC_FRESH;
}

enum sip_nc_status sip_nonce_count_peek(struct sip_nonce_state *ns, const struct sip_nonce_info *info,
					uint32_t nc)
{
	struct nc_entry *e;

	return nc_lookup(ns, info, nc, &e);
}

enum sip_nc_status sip_nonce_count_use(struct sip_nonce_state *ns, const struct sip_nonce_info *info,
				       uint32_t nc)
{
	struct nc_entry *e, *victim = NULL;
	enum sip_nc_status st = nc_lookup(ns, info, nc, &e);
	uint64_t now;
	uint32_t h, i;

	if (st != SIP_NC_FRESH)
		return st;
	if (e) {
		nc_window_mark(e, nc);
		return SIP_NC_FRESH;
	}
	/* New entry: an empty or dead slot of the window, else evict the live
	 * entry closest to its end of life and raise the floor past it. */
	now = now_ms(ns);
	h = home_slot(ns, info->serial);
	for (i = 0; i < PROBE; i++) {
		struct nc_entry *c = &ns->tab[(h + i) & ns->mask];

		if (c->serial == 0 || c->expires_ms <= now) {
			victim = c;
			break;
		}
		if (!victim || c->expires_ms < victim->expires_ms)
			victim = c;
	}
	if (victim->serial == 0) {
		ns->used++;
	} else if (victim->expires_ms > now) {
		ns->evictions++;
		if (victim->serial >= ns->floor)
			ns->floor = victim->serial + 1;
	}
	victim->serial = info->serial;
	victim->expires_ms = info->issued_ms + ns->lifetime_ms;
	victim->window = 0;
	victim->top = 0;
	nc_window_mark(victim, nc);
	return SIP_NC_FRESH;
}

void sip_nonce_stats(const struct sip_nonce_state *ns, struct sip_nonce_stats *out)
{
	out->issued = ns->issued;
	out->entries = ns->used;
	out->capacity = ns->mask + 1;
	out->evictions = ns->evictions;
}

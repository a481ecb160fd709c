/* Header names: character classes, name -> id lookup (full and compact forms),
 * id -> canonical name. The name table itself is generated (hdrname_table.c). */
#include "msg_int.h"

#define T SIP_C_TOKEN
/* RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" /
 * "`" / "'" / "~"). */
const uint8_t sip_cclass_[256] = {
	['!'] = T, ['%'] = T, ['\''] = T, ['*'] = T, ['+'] = T, ['-'] = T, ['.'] = T,
	['0'] = T, ['1'] = T, ['2'] = T, ['3'] = T, ['4'] = T,
	['5'] = T, ['6'] = T, ['7'] = T, ['8'] = T, ['9'] = T,
	['A'] = T, ['B'] = T, ['C'] = T, ['D'] = T, ['E'] = T, ['F'] = T, ['G'] = T,
	['H'] = T, ['I'] = T, ['J'] = T, ['K'] = T, ['L'] = T, ['M'] = T, ['N'] = T,
	['O'] = T, ['P'] = T, ['Q'] = T, ['R'] = T, ['S'] = T, ['T'] = T, ['U'] = T,
	['V'] = T, ['W'] = T, ['X'] = T, ['Y'] = T, ['Z'] = T,
	['_'] = T, ['`'] = T,
	['a'] = T, ['b'] = T, ['c'] = T, ['d'] = T, ['e'] = T, ['f'] = T, ['g'] = T,
	['h'] = T, ['i'] = T, ['j'] = T, ['k'] = T, ['l'] = T, ['m'] = T, ['n'] = T,
	['o'] = T, ['p'] = T, ['q'] = T, ['r'] = T, ['s'] = T, ['t'] = T, ['u'] = T,
	['v'] = T, ['w'] = T, ['x'] = T, ['y'] = T, ['z'] = T,
	['~'] = T,
};
#undef T

#define L4(c) (uint8_t)(c), (uint8_t)((c) + 1), (uint8_t)((c) + 2), (uint8_t)((c) + 3)
#define L16(c) L4(c), L4((c) + 4), L4((c) + 8), L4((c) + 12)
/* ASCII lower-casing; bytes outside A-Z map to themselves. */
const uint8_t sip_lower_[256] = {
	L16(0x00), L16(0x10), L16(0x20), L16(0x30),
	0x40, L4(0x61), L4(0x65), L4(0x69), L4(0x6d), L4(0x71), L4(0x75), 0x79, 0x7a,
	0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	L16(0x60), L16(0x70),
	L16(0x80), L16(0x90), L16(0xa0), L16(0xb0),
	L16(0xc0), L16(0xd0), L16(0xe0), L16(0xf0),
};
#undef L16
#undef L4
_Static_assert(sizeof(sip_lower_) == 256, "lower table");

const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR__COUNT ? sip_hdr_names_[id].p : "";
}

enum sip_hdr_id sip_hdr_lookup(struct sip_str name)
{
	/* Any byte may come in here, so check for a token first: then the fast
	 * OR-0x20 compare of sip_hdr_id_token is exact. */
	if (name.len == 0 || name.len > 64)
		return SIP_HDR_OTHER;
	for (size_t i = 0; i < name.len; i++)
		if (!sip_is_token((unsigned char)name.p[i]))
			return SIP_HDR_OTHER;
	return sip_hdr_id_token(name.p, name.len);
}

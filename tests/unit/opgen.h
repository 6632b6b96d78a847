/* tests/unit/opgen.h — random op sets from several sites for the convergence
 * property test (test_converge.c) and its soak mode (tests/bench/bench_ops.c):
 * creates, edits, deletes, restores, merges, DNC set/clear (flag and list),
 * owner changes, stage moves, calls, notes, amends, follow-up done vs
 * reschedule, team data and roster changes, with random partial views as
 * supersedes (and, rarely, references to ops not yet written). Header-only:
 * every function is static. */
#ifndef TSM_TEST_OPGEN_H
#define TSM_TEST_OPGEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OG_T0 1795000000000LL
#define OG_NSITES 6
#define OG_NCUST 4
#define OG_NFU 2
#define OG_ROSTER 7 /* the team create and six grants come first */

static const char *const og_sites[OG_NSITES] = {
    "aaaa000000000001", "bbbb000000000002", "cccc000000000003",
    "dddd000000000004", "eeee000000000005", "ffff000000000006",
};
static const char *const og_members[OG_NSITES] = {
    "mgr", "lee", "ann", "bob", "sue", "aud",
};
static const char *const og_phones[] = {
    "+8613800000001",
    "+8613800000002",
    "+861055550101",
};

static uint64_t og_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

static int og_pick(uint64_t *s, int n)
{
	return (int)(og_rand(s) % (uint64_t)n);
}

/* The ops written so far per entity, for supersedes. */
typedef struct og_ent {
	char ids[256][24];
	int n;
} og_ent;

typedef struct og_state {
	uint64_t rng;
	int seq[OG_NSITES];
	int64_t clock[OG_NSITES];
	int ctr[OG_NSITES];
	og_ent cust[OG_NCUST], fu[OG_NFU], dnc[3], pol;
	char calls[64][24]; /* call op ids, for amends */
	int ncalls;
	char **out;
	size_t n;
	size_t cap;
} og_state;

static void og_emit(og_state *g, int site, const char *etype, const char *eid,
		    const char *action, const char *field, const char *value,
		    og_ent *ent, int view)
{
	char sup[1024], *p = sup, id[24], *json, **tmp;
	int64_t ms;
	unsigned long long hlc;
	int i, k = 0, other;

	*p = '\0';
	/* What this writer saw: a random part of the entity's ops. */
	for (i = 0; ent && i < ent->n && k < 5; i++) {
		if (og_pick(&g->rng, 100) >= view)
			continue;
		p += snprintf(p, sizeof(sup) - (size_t)(p - sup), "%s\"%s\"",
			      k ? "," : "", ent->ids[i]);
		k++;
	}
	if (og_pick(&g->rng, 100) < 2) {
		/* rarely, an op claims to supersede one not yet written */
		other = og_pick(&g->rng, OG_NSITES);
		p += snprintf(p, sizeof(sup) - (size_t)(p - sup), "%s\"%s:%d\"",
			      k ? "," : "", og_sites[other], g->seq[other] + 1);
	}
	if (og_pick(&g->rng, 100) < 70)
		g->clock[site] += og_pick(&g->rng, 3000);
	ms = g->clock[site];
	if (og_pick(&g->rng, 100) < 10) {
		/* the same millisecond as another site */
		other = og_pick(&g->rng, OG_NSITES);
		if (g->clock[other] > ms)
			ms = g->clock[site] = g->clock[other];
	}
	hlc = ((unsigned long long)ms << 16) |
	      (unsigned long long)(g->ctr[site]++ & 0xffff);
	g->seq[site]++;
	snprintf(id, sizeof(id), "%s:%d", og_sites[site], g->seq[site]);
	json = malloc(2048 + strlen(sup));
	if (json == NULL)
		abort();
	snprintf(json, 2048 + strlen(sup),
		 "{\"site\":\"%s\",\"seq\":%d,\"hlc\":\"%016llx\","
		 "\"author\":\"%s\",\"etype\":\"%s\",\"eid\":\"%s\","
		 "\"action\":\"%s\",\"field\":\"%s\",\"value\":%s,"
		 "\"supersedes\":[%s]}",
		 og_sites[site], g->seq[site], hlc, og_members[site], etype,
		 eid, action, field, value ? value : "null", sup);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		tmp = realloc(g->out, g->cap * sizeof(*tmp));
		if (tmp == NULL)
			abort();
		g->out = tmp;
	}
	g->out[g->n++] = json;
	if (ent && ent->n < 256)
		snprintf(ent->ids[ent->n++], sizeof(ent->ids[0]), "%s", id);
	if (strcmp(field, "call") == 0 && g->ncalls < 64)
		snprintf(g->calls[g->ncalls++], sizeof(g->calls[0]), "%s", id);
}

/* One random op. */
static void og_step(og_state *g)
{
	static const char *const names[] = {"\"Li Lei\"", "\"Han Mei\"",
					    "\"Li Lei\"", "null"};
	static const char *const fields[] = {"name", "company", "region",
					     "industry", "needs"};
	static const char *const stages[] = {
	    "\"new\"",	       "\"contacted\"", "\"interested\"",
	    "\"negotiating\"", "\"won\"",	"\"lost\""};
	static const char *const owners[] = {"\"ann\"", "\"bob\"", "\"lee\"",
					     "null"};
	static const char *const outcomes[] = {
	    "no-answer",  "busy",  "gatekeeper",  "callback",
	    "interested", "order", "dnc-request", "revisit-done"};
	char cid[8], fid[8], val[256];
	int site = og_pick(&g->rng, 5); /* the auditor rarely writes */
	int c = og_pick(&g->rng, OG_NCUST), f = og_pick(&g->rng, OG_NFU);
	int r = og_pick(&g->rng, 100), view = 30 + og_pick(&g->rng, 70);
	og_ent *ce = &g->cust[c], *fe = &g->fu[f];

	if (og_pick(&g->rng, 100) < 3)
		site = 5;
	snprintf(cid, sizeof(cid), "c%d", c);
	snprintf(fid, sizeof(fid), "f%d", f);
	if (r < 10) {
		snprintf(val, sizeof(val), "{\"name\":%s,\"phone\":\"%s\"%s}",
			 names[og_pick(&g->rng, 3)],
			 og_phones[og_pick(&g->rng, 3)],
			 og_pick(&g->rng, 4) ? "" : ",\"dnc\":true");
		og_emit(g, site, "customer", cid, "create", "", val, ce, 0);
	} else if (r < 24) {
		const char *fl = fields[og_pick(&g->rng, 5)];

		og_emit(g, site, "customer", cid, "set", fl,
			names[og_pick(&g->rng, 4)], ce, view);
	} else if (r < 27) {
		snprintf(val, sizeof(val), "\"%s\"",
			 og_phones[og_pick(&g->rng, 3)]);
		og_emit(g, site, "customer", cid, "set", "phone", val, ce,
			view);
	} else if (r < 35) {
		og_emit(g, site, "customer", cid, "set", "stage",
			stages[og_pick(&g->rng, 6)], ce, view);
	} else if (r < 41) {
		og_emit(g, site, "customer", cid, "set", "owner",
			owners[og_pick(&g->rng, 4)], ce, view);
	} else if (r < 47) {
		og_emit(g, site, "customer", cid, "set", "dnc",
			og_pick(&g->rng, 2) ? "true" : "false", ce, view);
	} else if (r < 51) {
		int ph = og_pick(&g->rng, 3);

		og_emit(g, site, "dnc", og_phones[ph], "set", "dnc",
			og_pick(&g->rng, 2) ? "true" : "false", &g->dnc[ph],
			view);
	} else if (r < 54) {
		og_emit(g, site, "customer", cid, "delete", "", NULL, ce, view);
	} else if (r < 57) {
		og_emit(g, site, "customer", cid, "restore", "", NULL, ce,
			view);
	} else if (r < 60) {
		snprintf(val, sizeof(val), "{\"into\":\"c%d\"}",
			 og_pick(&g->rng, OG_NCUST));
		og_emit(g, site, "customer", cid, "merge", "", val, ce, view);
	} else if (r < 70) {
		snprintf(val, sizeof(val),
			 "{\"outcome\":\"%s\",\"duration_s\":%d}",
			 outcomes[og_pick(&g->rng, 8)], og_pick(&g->rng, 600));
		og_emit(g, site, "customer", cid, "append", "call", val, ce,
			view / 2);
	} else if (r < 73) {
		og_emit(g, site, "customer", cid, "append", "note",
			"{\"text\":\"call back after lunch\"}", ce, view / 2);
	} else if (r < 76 && g->ncalls) {
		snprintf(val, sizeof(val),
			 "{\"amends\":\"%s\",\"outcome\":\"interested\"}",
			 g->calls[og_pick(&g->rng, g->ncalls)]);
		og_emit(g, site, "customer", cid, "append", "amend", val, ce,
			view / 2);
	} else if (r < 80) {
		snprintf(val, sizeof(val),
			 "{\"customer\":\"%s\",\"due\":%lld,\"kind\":"
			 "\"callback\"}",
			 cid, OG_T0 + 86400000LL * (1 + og_pick(&g->rng, 9)));
		og_emit(g, site, "followup", fid, "create", "", val, fe, 0);
	} else if (r < 87) {
		snprintf(val, sizeof(val), "%lld",
			 OG_T0 + 86400000LL * (1 + og_pick(&g->rng, 9)));
		og_emit(g, site, "followup", fid, "set", "due", val, fe, view);
	} else if (r < 94) {
		og_emit(g, site, "followup", fid, "done", "",
			og_pick(&g->rng, 2) ? NULL : "{\"satisfaction\":5}", fe,
			view);
	} else if (r < 97) {
		snprintf(val, sizeof(val), "%d", og_pick(&g->rng, 120));
		og_emit(g, site, "policy", "report", "set", "effective_s", val,
			&g->pol, view);
	} else {
		/* roster changes in the middle of everything */
		if (og_pick(&g->rng, 2))
			og_emit(g, 0, "member", "bob", "revoke", "", NULL, NULL,
				0);
		else
			og_emit(g, og_pick(&g->rng, 2), "member", "ann",
				"grant", "",
				og_pick(&g->rng, 2) ? "{\"role\":\"lead\"}"
						    : "{\"role\":\"agent\"}",
				NULL, 0);
	}
}

/* Generates the team, the roster and nops random ops; *out gets n JSON
 * objects (free each and the array). */
static size_t og_generate(char ***out, uint64_t seed, int nops)
{
	static const char *const roles[OG_NSITES] = {
	    "manager", "lead", "agent", "agent", "assistant", "auditor"};
	og_state *g = calloc(1, sizeof(*g));
	char val[128];
	size_t n;
	int i;

	if (g == NULL)
		abort();
	g->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (i = 0; i < OG_NSITES; i++)
		g->clock[i] = OG_T0 + 1000 + og_pick(&g->rng, 500);
	g->clock[0] = OG_T0;
	og_emit(g, 0, "team", "t1", "create", "",
		"{\"name\":\"Sales\",\"founder\":\"mgr\"}", NULL, 0);
	for (i = 0; i < OG_NSITES; i++) {
		snprintf(val, sizeof(val), "{\"role\":\"%s\"}", roles[i]);
		og_emit(g, 0, "member", og_members[i], "grant", "", val, NULL,
			0);
	}
	for (i = 0; i < nops; i++)
		og_step(g);
	*out = g->out;
	n = g->n;
	free(g);
	return n;
}

/* Writes ops[idx[0..n)] as one JSON array into a new string. */
static char *og_join(char **ops, const size_t *idx, size_t n, size_t *len)
{
	size_t total = 3, i, k = 0;
	char *buf;

	for (i = 0; i < n; i++)
		total += strlen(ops[idx[i]]) + 1;
	buf = malloc(total);
	if (buf == NULL)
		abort();
	buf[k++] = '[';
	for (i = 0; i < n; i++) {
		if (i)
			buf[k++] = ',';
		memcpy(buf + k, ops[idx[i]], strlen(ops[idx[i]]));
		k += strlen(ops[idx[i]]);
	}
	buf[k++] = ']';
	buf[k] = '\0';
	*len = k;
	return buf;
}

static void og_shuffle(uint64_t *rng, size_t *idx, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = (size_t)(og_rand(rng) % i);
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

#endif

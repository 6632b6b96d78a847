/* tests/unit/test_sync_batch.c — the batch format: seal, sign, commit, read
 * back and open; every kind of tampering and misplacement is rejected with
 * its reason; the sync documents round-trip through their codecs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "batch.h"
#include "codec.h"
#include "mirror.h"
#include "testutil.h"
#include "tsm/common.h"

static tsm_mirror *mirror;
static unsigned char team_key[32], other_key[32];
static unsigned char pk_a[32], sk_a[64], pk_b[32], sk_b[64];
static const char team[] = "0123456789abcdef0123456789abcdef";
static const char site_a[] = "aaaaaaaaaaaaaaaa";
static const char site_b[] = "bbbbbbbbbbbbbbbb";
static const char payload[] =
	"[{\"site\":\"aaaaaaaaaaaaaaaa\",\"seq\":1,\"author\":\"ana\"}]";

static int setup(void **state)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/m.git", tu_tmpdir("sync-batch"));
	assert_int_equal(tsm_mirror_open(&mirror, path, NULL), 0);
	randombytes_buf(team_key, sizeof(team_key));
	randombytes_buf(other_key, sizeof(other_key));
	crypto_sign_keypair(pk_a, sk_a);
	crypto_sign_keypair(pk_b, sk_b);
	return 0;
}

static int teardown(void **state)
{
	tsm_mirror_free(mirror);
	return 0;
}

/* Seals a batch of site (signed with sk, claiming pk) on parent and writes
 * it as a commit; out gets the commit id. */
static void write_batch(char *out, const char *site, const unsigned char *pk,
			const unsigned char *sk, const char *parent,
			uint64_t first, uint64_t last, const unsigned char *key)
{
	tsm_batch_header h;
	tsm_batch_out b;

	memset(&h, 0, sizeof(h));
	snprintf(h.team, sizeof(h.team), "%s", team);
	snprintf(h.site, sizeof(h.site), "%s", site);
	memcpy(h.signer, pk, 32);
	h.seq_first = first;
	h.seq_last = last;
	assert_int_equal(tsm_batch_seal(&b, &h, parent,
					(const unsigned char *)payload,
					strlen(payload), key, sk),
			 0);
	assert_int_equal(tsm_mirror_commit(out, mirror, parent, b.entries,
					   b.nentries, b.message, site),
			 0);
	tsm_batch_out_free(&b);
}

/* Opens commit id as the batch expected on site's ref; returns the code
 * and leaves the reason in the error slot. */
static int open_as(const char *id, const char *site, const unsigned char *pk,
		   const char *parent, uint64_t first, const unsigned char *key)
{
	tsm_batch_expect exp = {team, site, pk, parent, first};
	tsm_git_commit *c = NULL;
	tsm_batch_header h;
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc;

	assert_int_equal(tsm_mirror_read(&c, mirror, id, 1 << 20), 0);
	rc = tsm_batch_open(&plain, &len, &h, c, &exp, key);
	if (rc == 0) {
		assert_int_equal(len, strlen(payload));
		assert_memory_equal(plain, payload, len);
		assert_string_equal(h.site, site);
	} else {
		assert_null(plain);
	}
	free(plain);
	tsm_git_commit_free(c);
	return rc;
}

static void assert_reason(const char *needle)
{
	const char *msg = tsm_error_last()->message;

	if (strstr(msg, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", msg, needle);
}

static void test_good_chain(void **state)
{
	char c1[41], c2[41];

	write_batch(c1, site_a, pk_a, sk_a, NULL, 1, 3, team_key);
	write_batch(c2, site_a, pk_a, sk_a, c1, 4, 9, team_key);
	assert_int_equal(open_as(c1, site_a, pk_a, "", 1, team_key), 0);
	assert_int_equal(open_as(c2, site_a, pk_a, c1, 4, team_key), 0);
}

static void test_misplaced(void **state)
{
	char c1[41], c2[41];

	write_batch(c1, site_a, pk_a, sk_a, NULL, 1, 3, team_key);
	write_batch(c2, site_a, pk_a, sk_a, c1, 4, 9, team_key);
	/* out of sequence */
	assert_int_equal(open_as(c2, site_a, pk_a, c1, 5, team_key),
			 TSM_ECORRUPT);
	assert_reason("out of sequence");
	/* a batch read where another parent was expected */
	assert_int_equal(open_as(c2, site_a, pk_a, "", 4, team_key),
			 TSM_ECORRUPT);
	assert_reason("wrong parent");
	/* a batch of site a replayed on the ref of site b */
	assert_int_equal(open_as(c1, site_b, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("replayed");
	/* the team key of another team */
	assert_int_equal(open_as(c1, site_a, pk_a, "", 1, other_key),
			 TSM_ECORRUPT);
	assert_reason("does not authenticate");
}

static void test_wrong_signer(void **state)
{
	char c1[41];

	/* b signs a batch for a's site with b's own key */
	write_batch(c1, site_a, pk_b, sk_b, NULL, 1, 1, team_key);
	assert_int_equal(open_as(c1, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("not the site's registered key");
	/* b claims a's key but signs with its own */
	write_batch(c1, site_a, pk_a, sk_b, NULL, 1, 1, team_key);
	assert_int_equal(open_as(c1, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("bad signature");
}

/* Rewrites commit id with one blob replaced (or added) and/or another
 * message; out gets the new commit id. */
static void tamper(char *out, const char *id, const char *blob,
		   const unsigned char *data, size_t len, const char *message)
{
	tsm_git_commit *c = NULL;
	tsm_git_entry e[8];
	size_t i, n = 0;
	int replaced = 0;

	assert_int_equal(tsm_mirror_read(&c, mirror, id, 1 << 20), 0);
	for (i = 0; i < c->nentries; i++) {
		e[n].name = c->entries[i].name;
		e[n].data = c->entries[i].data;
		e[n].len = c->entries[i].len;
		if (blob && strcmp(blob, e[n].name) == 0) {
			e[n].data = data;
			e[n].len = len;
			replaced = 1;
		}
		n++;
	}
	if (blob && !replaced) {
		e[n].name = blob;
		e[n].data = data;
		e[n].len = len;
		n++;
	}
	assert_int_equal(tsm_mirror_commit(out, mirror,
					   c->nparents ? c->parent : NULL, e,
					   n, message ? message : c->message,
					   "x"),
			 0);
	tsm_git_commit_free(c);
}

static void test_tampered(void **state)
{
	char c1[41], bad[41], header[512];
	tsm_git_commit *c = NULL;
	const struct tsm_git_blob *b;
	unsigned char env[512];
	size_t len;
	char *p;

	write_batch(c1, site_a, pk_a, sk_a, NULL, 1, 3, team_key);
	assert_int_equal(tsm_mirror_read(&c, mirror, c1, 1 << 20), 0);
	b = tsm_git_commit_entry(c, "env-team");
	assert_non_null(b);
	len = b->len;
	assert_true(len <= sizeof(env));
	memcpy(env, b->data, len);
	b = tsm_git_commit_entry(c, "header.json");
	assert_true(b->len < sizeof(header));
	memcpy(header, b->data, b->len);
	header[b->len] = '\0';
	tsm_git_commit_free(c);

	/* one bit of the ciphertext flipped after signing */
	env[30] ^= 1;
	tamper(bad, c1, "env-team", env, len, NULL);
	assert_int_equal(open_as(bad, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("bad signature");
	/* the header's seq range changed after signing */
	p = strstr(header, "\"seq_last\":3");
	assert_non_null(p);
	p[11] = '7';
	tamper(bad, c1, "header.json", (unsigned char *)header, strlen(header),
	       NULL);
	assert_int_equal(open_as(bad, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("bad signature");
	/* an extra blob */
	tamper(bad, c1, "notes.txt", (const unsigned char *)"hi", 2, NULL);
	assert_int_equal(open_as(bad, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("unexpected tree entries");
	/* no signature trailers at all */
	tamper(bad, c1, NULL, NULL, 0, "tsm batch\n");
	assert_int_equal(open_as(bad, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
	assert_reason("not signed");
	/* garbage header */
	tamper(bad, c1, "header.json", (const unsigned char *)"{", 1, NULL);
	assert_int_equal(open_as(bad, site_a, pk_a, "", 1, team_key),
			 TSM_ECORRUPT);
}

static void test_signed_message(void **state)
{
	unsigned char sig[64], pk[32], sig2[64];
	char *msg = NULL;

	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(tsm_signed_message(&msg, "hello", pk_a, sig), 0);
	assert_int_equal(tsm_signed_parse(pk, sig2, msg), 0);
	assert_memory_equal(pk, pk_a, 32);
	assert_memory_equal(sig, sig2, 64);
	free(msg);
	/* a repeated trailer is refused */
	assert_int_equal(tsm_signed_parse(pk, sig2,
					  "x\n\nSigner: 00\nSigner: 00\n"),
			 TSM_ECORRUPT);
}

static void test_codecs(void **state)
{
	tsm_roster r, *back = NULL;
	tsm_roster_member m[2];
	tsm_roster_site s[2];
	tsm_join j, j2;
	tsm_invite inv, inv2;
	char *json = NULL, *code = NULL;
	size_t len = 0;

	memset(&r, 0, sizeof(r));
	memset(m, 0, sizeof(m));
	memset(s, 0, sizeof(s));
	snprintf(r.team, sizeof(r.team), "%s", team);
	r.version = 2;
	randombytes_buf(r.prev, sizeof(r.prev));
	snprintf(m[0].member, sizeof(m[0].member), "mgr");
	snprintf(m[0].role, sizeof(m[0].role), "manager");
	snprintf(m[1].member, sizeof(m[1].member), "ana");
	snprintf(m[1].role, sizeof(m[1].role), "agent");
	snprintf(s[0].site, sizeof(s[0].site), "%s", site_a);
	snprintf(s[1].site, sizeof(s[1].site), "%s", site_b);
	randombytes_buf(s[1].sealed, sizeof(s[1].sealed));
	memcpy(s[1].sign_pk, pk_b, 32);
	m[0].sites = &s[0];
	m[0].nsites = 1;
	m[1].sites = &s[1];
	m[1].nsites = 1;
	r.members = m;
	r.nmembers = 2;
	assert_int_equal(tsm_codec_roster_write(&json, &len, &r), 0);
	assert_int_equal(tsm_codec_roster_read(&back, (unsigned char *)json,
					       len),
			 0);
	assert_int_equal(back->version, 2);
	assert_memory_equal(back->prev, r.prev, 32);
	assert_int_equal(back->nmembers, 2);
	assert_string_equal(back->members[1].member, "ana");
	assert_string_equal(back->members[1].role, "agent");
	assert_int_equal(back->members[1].nsites, 1);
	assert_memory_equal(back->members[1].sites[0].sealed, s[1].sealed, 80);
	assert_memory_equal(back->members[1].sites[0].sign_pk, pk_b, 32);
	tsm_roster_free(back);
	free(json);
	/* an unknown role is refused */
	snprintf(m[1].role, sizeof(m[1].role), "king");
	assert_int_equal(tsm_codec_roster_write(&json, &len, &r), 0);
	assert_int_equal(tsm_codec_roster_read(&back, (unsigned char *)json,
					       len),
			 TSM_ECORRUPT);
	assert_null(back);
	free(json);

	memset(&j, 0, sizeof(j));
	snprintf(j.team, sizeof(j.team), "%s", team);
	snprintf(j.member, sizeof(j.member), "bo");
	snprintf(j.site, sizeof(j.site), "%s", site_b);
	randombytes_buf(j.mac, sizeof(j.mac));
	assert_int_equal(tsm_codec_join_write(&json, &len, &j), 0);
	assert_int_equal(tsm_codec_join_read(&j2, (unsigned char *)json, len),
			 0);
	assert_memory_equal(&j, &j2, sizeof(j));
	free(json);

	memset(&inv, 0, sizeof(inv));
	snprintf(inv.team, sizeof(inv.team), "%s", team);
	snprintf(inv.remote, sizeof(inv.remote), "git://127.0.0.1:9/t.git");
	snprintf(inv.member, sizeof(inv.member), "bo");
	snprintf(inv.role, sizeof(inv.role), "lead");
	randombytes_buf(inv.secret, sizeof(inv.secret));
	randombytes_buf(inv.root, sizeof(inv.root));
	assert_int_equal(tsm_codec_invite_write(&code, &inv), 0);
	assert_null(strchr(code, '='));
	assert_null(strchr(code, '+'));
	assert_int_equal(tsm_codec_invite_read(&inv2, code), 0);
	assert_memory_equal(&inv, &inv2, sizeof(inv));
	code[5] = code[5] == 'A' ? 'B' : 'A';
	assert_int_equal(tsm_codec_invite_read(&inv2, code), TSM_EINVALID);
	free(code);
	assert_int_equal(tsm_codec_invite_read(&inv2, "!!"), TSM_EINVALID);
}

static int count_op(const char *site, uint64_t seq, const char *author,
		    void *p)
{
	int *n = p;

	assert_string_equal(site, site_a);
	assert_int_equal(seq, 1);
	assert_string_equal(author, "ana");
	(*n)++;
	return 0;
}

static void test_ops_each(void **state)
{
	int n = 0;

	assert_int_equal(tsm_codec_ops_each((const unsigned char *)payload,
					    strlen(payload), count_op, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(tsm_codec_ops_each((const unsigned char *)"{}", 2,
					    count_op, &n),
			 TSM_ECORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_chain),
		cmocka_unit_test(test_misplaced),
		cmocka_unit_test(test_wrong_signer),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_signed_message),
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_ops_each),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}

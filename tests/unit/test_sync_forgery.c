/* tests/unit/test_sync_forgery.c — forged and tampered batches on the central
 * repository: a batch on ana's ref signed by bo, one signed by a non-member,
 * one modified after signing, one replayed from bo's ref, a rewritten
 * (force-pushed) ref, a site outside the roster, a roster set back to an
 * older version. Every replica rejects and reports each one, applies
 * nothing from it (its state hash is unchanged), still applies the good
 * batch before it, and recovers once it is gone. */
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
#include "identity_internal.h"
#include "mirror.h"
#include "state.h"
#include "testutil.h"
#include "tsm/common.h"
#include "tsm/identity.h"
#include "tsm/ops.h"
#include "tsm/store.h"
#include "tsm/sync.h"
#include "tsm/team.h"

static char root[4096], central[4200];
static tsm_store *boss, *ana, *bo;
static tsm_identity id_ana, id_bo;
static unsigned char *team_key, *sk_ana, *sk_bo;
static char team[TSM_TEAM_MAX];
static tsm_mirror *cm; /* the central repository, tampered with directly */
static char ana_ref[64], bo_ref[64];

static tsm_store *new_store(const char *name, const char *member)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	tsm_store *s = NULL;
	char dir[4300];

	o.kdf = TSM_KDF_INTERACTIVE;
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(tsm_store_create(&s, dir, "pw", 2, &o), 0);
	assert_int_equal(tsm_identity_create(s, member, "Test Person"), 0);
	return s;
}

static void sync_clean(tsm_store *s)
{
	tsm_sync_report rep;
	int err = tsm_sync(&rep, s, NULL);

	if (err < 0)
		fail_msg("sync: %s", tsm_error_last()->message);
	assert_int_equal(rep.nrejections, 0);
	tsm_sync_report_dispose(&rep);
}

static void invite_join(tsm_store *s, const char *member)
{
	char *code = NULL;

	assert_int_equal(tsm_member_invite(&code, boss, member, "agent", NULL,
					   0),
			 0);
	assert_int_equal(tsm_team_join(s, NULL, code), 0);
	free(code);
}

static void append(tsm_store *s, const char *eid, const char *value)
{
	tsm_op_spec spec = {"customer", eid, "create", NULL, value};

	if (tsm_ops_append(NULL, s, &spec, 1) < 0)
		fail_msg("append: %s", tsm_error_last()->message);
}

static int setup(void **state)
{
	tsm_team_info info;

	snprintf(root, sizeof(root), "%s", tu_tmpdir("sync-forgery"));
	snprintf(central, sizeof(central), "%s/central.git", root);
	assert_int_equal(tsm_mirror_open(&cm, central, NULL), 0);
	boss = new_store("boss", "boss");
	ana = new_store("ana", "ana");
	bo = new_store("bo", "bo");
	assert_int_equal(tsm_team_create(boss, central, "Forgery Team"), 0);
	sync_clean(boss);
	invite_join(ana, "ana");
	invite_join(bo, "bo");
	sync_clean(boss);
	sync_clean(ana);
	sync_clean(bo);
	append(ana, "c0000000000a1",
	       "{\"name\":\"Ana Customer\",\"phone\":\"+8613800002001\"}");
	append(bo, "c0000000000b1",
	       "{\"name\":\"Bo Customer\",\"phone\":\"+8613800002002\"}");
	sync_clean(ana);
	sync_clean(bo);
	sync_clean(boss);
	sync_clean(ana);
	assert_int_equal(tsm_identity_get(&id_ana, ana), 0);
	assert_int_equal(tsm_identity_get(&id_bo, bo), 0);
	assert_int_equal(tsm_state_team_key(&team_key, boss), 0);
	assert_int_equal(tsm_identity_sign_sk(&sk_ana, ana), 0);
	assert_int_equal(tsm_identity_sign_sk(&sk_bo, bo), 0);
	assert_int_equal(tsm_team_info_get(&info, boss), 0);
	snprintf(team, sizeof(team), "%s", info.team);
	snprintf(ana_ref, sizeof(ana_ref), "refs/tsm/sites/%s", id_ana.site);
	snprintf(bo_ref, sizeof(bo_ref), "refs/tsm/sites/%s", id_bo.site);
	return 0;
}

static int teardown(void **state)
{
	tsm_identity_secret_free(team_key);
	tsm_identity_secret_free(sk_ana);
	tsm_identity_secret_free(sk_bo);
	tsm_store_free(boss);
	tsm_store_free(ana);
	tsm_store_free(bo);
	tsm_mirror_free(cm);
	return 0;
}

/* The seq_last of commit id's header. */
static uint64_t last_seq(const char *id)
{
	tsm_git_commit *c = NULL;
	const struct tsm_git_blob *b;
	tsm_batch_header h;

	assert_int_equal(tsm_mirror_read(&c, cm, id, 1 << 24), 0);
	b = tsm_git_commit_entry(c, "header.json");
	assert_non_null(b);
	assert_int_equal(tsm_codec_header_read(&h, b->data, b->len), 0);
	tsm_git_commit_free(c);
	return h.seq_last;
}

/* A batch for ana's site on top of ana's central tip, holding one op that
 * does action (normally "create") on customer "cf0rged000001", signed with
 * sk claiming pk. */
static void forge_action(char *out, const unsigned char *pk,
			 const unsigned char *sk, const char *action)
{
	char tip[41], payload[1024];
	tsm_batch_header h;
	tsm_batch_out b;
	uint64_t seq;

	assert_int_equal(tsm_mirror_ref(tip, cm, ana_ref), 0);
	seq = last_seq(tip) + 1;
	snprintf(payload, sizeof(payload),
		 "[{\"site\":\"%s\",\"seq\":%llu,\"hlc\":\"0000ffff00000000\","
		 "\"author\":\"ana\",\"etype\":\"customer\",\"eid\":"
		 "\"cf0rged000001\",\"action\":\"%s\",\"field\":\"\","
		 "\"value\":{\"name\":\"Forged Customer\",\"phone\":"
		 "\"+8613800009999\"},\"supersedes\":[]}]",
		 id_ana.site, (unsigned long long)seq, action);
	memset(&h, 0, sizeof(h));
	snprintf(h.team, sizeof(h.team), "%s", team);
	snprintf(h.site, sizeof(h.site), "%s", id_ana.site);
	memcpy(h.signer, pk, 32);
	h.seq_first = h.seq_last = seq;
	assert_int_equal(tsm_batch_seal(&b, &h, tip, (unsigned char *)payload,
					strlen(payload), team_key, sk),
			 0);
	assert_int_equal(tsm_mirror_commit(out, cm, tip, b.entries,
					   b.nentries, b.message, "x"),
			 0);
	tsm_batch_out_free(&b);
}

static void forge(char *out, const unsigned char *pk, const unsigned char *sk)
{
	forge_action(out, pk, sk, "create");
}

/* Syncs s expecting exactly one rejection on ref naming reason; checks that
 * nothing forged arrived and, when same_hash, that the state is as it was. */
static void expect_rejected(tsm_store *s, const char *ref,
			    const char *reason, int same_hash)
{
	tsm_sync_report rep;
	char before[65], after[65];
	tsm_op *ops = NULL;
	size_t n = 0, i;
	int err, found = 0;

	assert_int_equal(tsm_state_hash(before, s), 0);
	err = tsm_sync(&rep, s, NULL);
	assert_int_equal(err, TSM_ECONFLICT);
	for (i = 0; i < rep.nrejections; i++) {
		if (strcmp(rep.rejections[i].ref, ref) == 0 &&
		    strstr(rep.rejections[i].reason, reason))
			found = 1;
	}
	if (!found)
		fail_msg("no rejection of %s for '%s' (%zu rejections, "
			 "first: %s)",
			 ref, reason, rep.nrejections,
			 rep.nrejections ? rep.rejections[0].reason : "-");
	tsm_sync_report_dispose(&rep);
	assert_int_equal(tsm_ops_list(&ops, &n, s, "customer",
				      "cf0rged000001"),
			 0);
	assert_int_equal(n, 0);
	tsm_ops_list_free(ops, n);
	assert_int_equal(tsm_state_hash(after, s), 0);
	if (same_hash)
		assert_string_equal(before, after);
}

/* Puts ana's central ref back to good, then every replica syncs clean. */
static void restore(const char *good)
{
	char h1[65], h2[65], h3[65];

	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, good, NULL), 0);
	sync_clean(boss);
	sync_clean(bo);
	sync_clean(ana);
	sync_clean(boss);
	sync_clean(bo);
	assert_int_equal(tsm_state_hash(h1, boss), 0);
	assert_int_equal(tsm_state_hash(h2, ana), 0);
	assert_int_equal(tsm_state_hash(h3, bo), 0);
	assert_string_equal(h1, h2);
	assert_string_equal(h1, h3);
}

static void test_signed_by_other_member(void **state)
{
	char good[41], bad[41];
	tsm_op *ops = NULL;
	size_t n = 0;

	/* a good batch of ana's, then bo's forgery on top of it */
	append(ana, "c0000000000a2",
	       "{\"name\":\"Ana Second\",\"phone\":\"+8613800002003\"}");
	sync_clean(ana);
	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	forge(bad, id_bo.sign_pk, sk_bo);
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, bad, NULL), 0);
	expect_rejected(boss, ana_ref, "not the site's registered key", 0);
	expect_rejected(bo, ana_ref, "not the site's registered key", 0);
	expect_rejected(ana, ana_ref, "never wrote", 1);
	/* the good batch before the forgery was applied */
	assert_int_equal(tsm_ops_list(&ops, &n, boss, "customer",
				      "c0000000000a2"),
			 0);
	assert_int_equal(n, 1);
	tsm_ops_list_free(ops, n);
	/* again: still rejected, nothing new applied */
	expect_rejected(boss, ana_ref, "not the site's registered key", 1);
	restore(good);
}

static void test_signed_by_non_member(void **state)
{
	unsigned char pk[32], sk[64];
	char good[41], bad[41];

	crypto_sign_keypair(pk, sk);
	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	forge(bad, pk, sk);
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, bad, NULL), 0);
	expect_rejected(boss, ana_ref, "not the site's registered key", 1);
	expect_rejected(bo, ana_ref, "not the site's registered key", 1);
	expect_rejected(ana, ana_ref, "never wrote", 1);
	restore(good);
}

static void test_modified_after_signing(void **state)
{
	char good[41], signed_ok[41], bad[41];
	tsm_git_commit *c = NULL;
	tsm_git_entry e[2];
	unsigned char *env;
	size_t i;

	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	/* signed with ana's real key, then one ciphertext byte changed */
	forge(signed_ok, id_ana.sign_pk, sk_ana);
	assert_int_equal(tsm_mirror_read(&c, cm, signed_ok, 1 << 20), 0);
	assert_int_equal(c->nentries, 2);
	for (i = 0; i < 2; i++) {
		e[i].name = c->entries[i].name;
		e[i].data = c->entries[i].data;
		e[i].len = c->entries[i].len;
	}
	env = c->entries[strcmp(c->entries[0].name, "env-team") == 0 ? 0 : 1]
		      .data;
	env[40] ^= 0x20;
	assert_int_equal(tsm_mirror_commit(bad, cm, good, e, 2, c->message,
					   "x"),
			 0);
	tsm_git_commit_free(c);
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, bad, NULL), 0);
	expect_rejected(boss, ana_ref, "bad signature", 1);
	expect_rejected(bo, ana_ref, "bad signature", 1);
	expect_rejected(ana, ana_ref, "never wrote", 1);
	restore(good);
}

static void test_replayed_from_other_site(void **state)
{
	char good[41], bo_tip[41], bad[41];
	tsm_git_commit *c = NULL;
	tsm_git_entry e[2];
	size_t i;

	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	assert_int_equal(tsm_mirror_ref(bo_tip, cm, bo_ref), 0);
	/* bo's real batch, put on ana's chain */
	assert_int_equal(tsm_mirror_read(&c, cm, bo_tip, 1 << 20), 0);
	for (i = 0; i < 2; i++) {
		e[i].name = c->entries[i].name;
		e[i].data = c->entries[i].data;
		e[i].len = c->entries[i].len;
	}
	assert_int_equal(tsm_mirror_commit(bad, cm, good, e, 2, c->message,
					   "x"),
			 0);
	tsm_git_commit_free(c);
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, bad, NULL), 0);
	expect_rejected(boss, ana_ref, "replayed", 1);
	expect_rejected(bo, ana_ref, "replayed", 1);
	restore(good);
}

static void test_rewritten_ref(void **state)
{
	char good[41], first[41], rewritten[41];
	char **ids = NULL;
	size_t n = 0;
	tsm_git_commit *c = NULL;
	tsm_git_entry e[2];
	size_t i;

	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	assert_int_equal(tsm_mirror_chain(&ids, &n, cm, good, NULL, 0), 0);
	assert_true(n >= 2);
	snprintf(first, sizeof(first), "%s", ids[0]);
	tsm_mirror_chain_free(ids, n);
	/* rolled back to ana's first batch: an ancestor, not a descendant */
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, first, NULL), 0);
	expect_rejected(boss, ana_ref, "history rewritten", 1);
	expect_rejected(bo, ana_ref, "history rewritten", 1);
	/* ana sees its own ref behind its chain: it pushes it forward */
	sync_clean(ana);
	sync_clean(boss);
	/* a different history: ana's first commit re-made (same content,
	 * another commit id), force-pushed */
	assert_int_equal(tsm_mirror_read(&c, cm, first, 1 << 20), 0);
	for (i = 0; i < 2; i++) {
		e[i].name = c->entries[i].name;
		e[i].data = c->entries[i].data;
		e[i].len = c->entries[i].len;
	}
	assert_int_equal(tsm_mirror_commit_at(rewritten, cm, NULL, e, 2,
					      c->message, "x", 12345),
			 0);
	tsm_git_commit_free(c);
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, rewritten, NULL), 0);
	expect_rejected(boss, ana_ref, "history rewritten", 1);
	expect_rejected(bo, ana_ref, "history rewritten", 1);
	expect_rejected(ana, ana_ref, "never wrote", 1);
	restore(good);
}

/* The central roster set back to an older version (which would bring back
 * removed members or old roles): ana and bo, who only hold versions they
 * fetched, report it and change nothing; the manager's version is the
 * newer one, so its sync puts it back, and then everyone syncs clean. */
static void test_rewound_roster(void **state)
{
	char good[41], now[41];
	tsm_git_commit *c = NULL;

	(void)state;
	assert_int_equal(tsm_mirror_ref(good, cm, TSM_REF_ROSTER), 0);
	assert_int_equal(tsm_mirror_read(&c, cm, good, 1 << 20), 0);
	assert_true(c->parent[0] != '\0');
	assert_int_equal(tsm_mirror_set_ref(cm, TSM_REF_ROSTER, c->parent, NULL),
			 0);
	tsm_git_commit_free(c);
	expect_rejected(ana, TSM_REF_ROSTER, "rewound to an older version", 1);
	expect_rejected(bo, TSM_REF_ROSTER, "rewound to an older version", 1);
	sync_clean(boss);
	assert_int_equal(tsm_mirror_ref(now, cm, TSM_REF_ROSTER), 0);
	assert_string_equal(now, good);
	sync_clean(ana);
	sync_clean(bo);
}

static void test_unknown_site(void **state)
{
	unsigned char pk[32], sk[64];
	char tip[41], ref[64];
	const char *site = "0123456789abcdef";
	tsm_batch_header h;
	tsm_batch_out b;
	const char payload[] = "[]";

	crypto_sign_keypair(pk, sk);
	memset(&h, 0, sizeof(h));
	snprintf(h.team, sizeof(h.team), "%s", team);
	snprintf(h.site, sizeof(h.site), "%s", site);
	memcpy(h.signer, pk, 32);
	h.seq_first = h.seq_last = 1;
	assert_int_equal(tsm_batch_seal(&b, &h, NULL,
					(const unsigned char *)payload, 2,
					team_key, sk),
			 0);
	assert_int_equal(tsm_mirror_commit(tip, cm, NULL, b.entries,
					   b.nentries, b.message, "x"),
			 0);
	tsm_batch_out_free(&b);
	snprintf(ref, sizeof(ref), "refs/tsm/sites/%s", site);
	assert_int_equal(tsm_mirror_set_ref(cm, ref, tip, NULL), 0);
	expect_rejected(boss, ref, "not in the roster", 1);
	expect_rejected(ana, ref, "not in the roster", 1);
	expect_rejected(bo, ref, "not in the roster", 1);
}

/* Properly signed by ana's own key, but the op inside is not one the op
 * log can take: that batch is refused, other sites' batches still apply. */
static void test_signed_but_malformed(void **state)
{
	char good[41], bad[41];
	tsm_op *ops = NULL;
	size_t n = 0;

	append(bo, "c0000000000b2",
	       "{\"name\":\"Bo Second\",\"phone\":\"+8613800002004\"}");
	sync_clean(bo);
	assert_int_equal(tsm_mirror_ref(good, cm, ana_ref), 0);
	forge_action(bad, id_ana.sign_pk, sk_ana, "not a word!");
	assert_int_equal(tsm_mirror_set_ref(cm, ana_ref, bad, NULL), 0);
	expect_rejected(boss, ana_ref, "the op log refused it", 0);
	assert_int_equal(tsm_ops_list(&ops, &n, boss, "customer",
				      "c0000000000b2"),
			 0);
	assert_int_equal(n, 1);
	tsm_ops_list_free(ops, n);
	expect_rejected(boss, ana_ref, "the op log refused it", 1);
	restore(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_by_other_member),
		cmocka_unit_test(test_signed_by_non_member),
		cmocka_unit_test(test_modified_after_signing),
		cmocka_unit_test(test_replayed_from_other_site),
		cmocka_unit_test(test_rewritten_ref),
		cmocka_unit_test(test_rewound_roster),
		cmocka_unit_test(test_signed_but_malformed),
		cmocka_unit_test(test_unknown_site),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}

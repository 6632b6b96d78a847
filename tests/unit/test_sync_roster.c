/* tests/unit/test_sync_roster.c — the roster chain (founder as the root of
 * trust, manager-signed versions, hash links, rewritten histories) and join
 * requests (signed, MAC'd with the invite secret). */
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
#include "invite.h"
#include "mirror.h"
#include "roster.h"
#include "testutil.h"
#include "tsm/common.h"

static const char team[] = "t0123456789abcdef";
static tsm_mirror *mirror;
static unsigned char team_key[32];

struct who {
	const char *member, *site;
	unsigned char sign_pk[32], sign_sk[64], box_pk[32], box_sk[32];
};

static struct who boss = {.member = "boss", .site = "1111111111111111"};
static struct who ana = {.member = "ana", .site = "2222222222222222"};
static struct who eve = {.member = "eve", .site = "3333333333333333"};

static void keys(struct who *w)
{
	crypto_sign_keypair(w->sign_pk, w->sign_sk);
	crypto_box_keypair(w->box_pk, w->box_sk);
}

static int setup(void **state)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/m.git", tu_tmpdir("sync-roster"));
	assert_int_equal(tsm_mirror_open(&mirror, path, NULL), 0);
	randombytes_buf(team_key, sizeof(team_key));
	keys(&boss);
	keys(&ana);
	keys(&eve);
	return 0;
}

static int teardown(void **state)
{
	tsm_mirror_free(mirror);
	return 0;
}

/* Writes the next roster after head (or the first one) with the given
 * members added, signed by signer; out gets the commit. */
static void next_version(char *out, const tsm_roster_head *head,
			 struct who *signer, struct who **add,
			 const char **roles, size_t n, int64_t version_delta)
{
	tsm_roster *r = NULL;
	char *doc = NULL;
	size_t len = 0, i;

	if (head && head->roster) {
		assert_int_equal(tsm_codec_roster_read(
					 &r, (unsigned char *)head->doc,
					 head->len),
				 0);
		r->version += (uint64_t)version_delta;
		crypto_generichash(r->prev, 32, (unsigned char *)head->doc,
				   head->len, NULL, 0);
	} else {
		assert_int_equal(tsm_roster_new(&r, team), 0);
	}
	for (i = 0; i < n; i++)
		assert_int_equal(tsm_roster_add_site(r, add[i]->member,
						     roles[i], add[i]->site,
						     add[i]->sign_pk,
						     add[i]->box_pk, team_key),
				 0);
	assert_int_equal(tsm_codec_roster_write(&doc, &len, r), 0);
	assert_int_equal(tsm_roster_commit(out, mirror, doc, len,
					   head ? head->commit : "",
					   signer->sign_pk, signer->sign_sk),
			 0);
	free(doc);
	tsm_roster_free(r);
}

static void assert_reason(const char *needle)
{
	const char *msg = tsm_error_last()->message;

	if (strstr(msg, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", msg, needle);
}

static void test_chain(void **state)
{
	tsm_roster_head head = {"", NULL, NULL, 0}, other = {"", NULL, NULL, 0};
	struct who *add[1];
	const char *role[1];
	const tsm_roster_member *m = NULL;
	const tsm_roster_site *s;
	unsigned char opened[32];
	char v1[41], v2[41], v3[41], bad[41], fork[41];

	add[0] = &boss;
	role[0] = "manager";
	next_version(v1, NULL, &boss, add, role, 1, 0);
	/* the first version must be signed by the pinned founder key */
	assert_int_equal(tsm_roster_verify_next(&head, mirror, v1, team,
						ana.sign_pk),
			 TSM_ECORRUPT);
	assert_reason("founder");
	assert_int_equal(tsm_roster_verify_next(&head, mirror, v1,
						"tother", boss.sign_pk),
			 TSM_ECORRUPT);
	assert_reason("another team");
	assert_int_equal(tsm_roster_verify_next(&head, mirror, v1, team,
						boss.sign_pk),
			 0);
	assert_string_equal(head.commit, v1);
	assert_int_equal(head.roster->version, 1);

	/* the boss admits ana */
	add[0] = &ana;
	role[0] = "agent";
	next_version(v2, &head, &boss, add, role, 1, 1);
	/* ana, an agent, may not sign the next version */
	add[0] = &eve;
	role[0] = "manager";
	assert_int_equal(tsm_roster_verify_chain(&head, mirror, v2, team,
						 boss.sign_pk),
			 0);
	assert_string_equal(head.commit, v2);
	s = tsm_roster_site_of(head.roster, ana.site, &m);
	assert_non_null(s);
	assert_string_equal(m->member, "ana");
	assert_int_equal(crypto_box_seal_open(opened, s->sealed, 80,
					      ana.box_pk, ana.box_sk),
			 0);
	assert_memory_equal(opened, team_key, 32);
	assert_int_equal(crypto_box_seal_open(opened, s->sealed, 80,
					      eve.box_pk, eve.box_sk),
			 -1);

	next_version(bad, &head, &ana, add, role, 1, 1);
	assert_int_equal(tsm_roster_verify_next(&head, mirror, bad, team,
						boss.sign_pk),
			 TSM_ECORRUPT);
	assert_reason("not a manager");
	assert_string_equal(head.commit, v2);
	/* a skipped version number */
	next_version(bad, &head, &boss, add, role, 1, 2);
	assert_int_equal(tsm_roster_verify_next(&head, mirror, bad, team,
						boss.sign_pk),
			 TSM_ECORRUPT);
	assert_reason("out of sequence");
	/* a good v3; then a rewritten history: v2' on v1 */
	next_version(v3, &head, &boss, add, role, 1, 1);
	assert_int_equal(tsm_roster_verify_chain(&head, mirror, v3, team,
						 boss.sign_pk),
			 0);
	assert_int_equal(head.roster->version, 3);
	assert_true(tsm_roster_is_manager_key(head.roster, eve.sign_pk));
	assert_false(tsm_roster_is_manager_key(head.roster, ana.sign_pk));
	assert_int_equal(tsm_roster_verify_chain(&other, mirror, v1, team,
						 boss.sign_pk),
			 0);
	add[0] = &ana;
	role[0] = "auditor";
	next_version(fork, &other, &boss, add, role, 1, 1);
	assert_int_equal(tsm_roster_verify_chain(&head, mirror, fork, team,
						 boss.sign_pk),
			 TSM_ECONFLICT);
	assert_reason("history rewritten");
	assert_string_equal(head.commit, v3);
	/* a site listed twice is refused when written */
	tsm_roster_head_dispose(&other);
	assert_int_equal(tsm_roster_head_load(&other, head.commit, head.doc,
					      head.len),
			 0);
	assert_int_equal(tsm_roster_add_site(other.roster, "zed", "agent",
					     ana.site, ana.sign_pk, ana.box_pk,
					     team_key),
			 TSM_EEXISTS);
	tsm_roster_head_dispose(&other);
	tsm_roster_head_dispose(&head);
}

static void test_join(void **state)
{
	unsigned char secret[32], mac_key[32], mac[32];
	char id[41], forged[41];
	tsm_join j, back;
	tsm_git_entry e;
	char *doc = NULL, *msg = NULL;
	unsigned char sig[64];
	size_t len = 0;
	tsm_signed what;

	randombytes_buf(secret, sizeof(secret));
	memset(&j, 0, sizeof(j));
	snprintf(j.team, sizeof(j.team), "%s", team);
	snprintf(j.member, sizeof(j.member), "ana");
	snprintf(j.site, sizeof(j.site), "%s", ana.site);
	memcpy(j.sign_pk, ana.sign_pk, 32);
	memcpy(j.box_pk, ana.box_pk, 32);
	tsm_invite_mac_key(mac_key, secret);
	tsm_join_mac(j.mac, mac_key, &j);
	assert_int_equal(tsm_join_commit(id, mirror, &j, ana.sign_sk), 0);
	/* deterministic: the same request is the same commit */
	assert_int_equal(tsm_join_commit(forged, mirror, &j, ana.sign_sk), 0);
	assert_string_equal(id, forged);
	assert_int_equal(tsm_join_read(&back, mirror, id, ana.site), 0);
	assert_memory_equal(&back, &j, sizeof(j));
	tsm_join_mac(mac, mac_key, &back);
	assert_memory_equal(mac, back.mac, 32);
	/* another secret gives another MAC */
	secret[0] ^= 1;
	tsm_invite_mac_key(mac_key, secret);
	tsm_join_mac(mac, mac_key, &back);
	assert_memory_not_equal(mac, back.mac, 32);
	/* on another site's ref */
	assert_int_equal(tsm_join_read(&back, mirror, id, eve.site),
			 TSM_ECORRUPT);
	/* eve signs a request that names ana's key */
	assert_int_equal(tsm_codec_join_write(&doc, &len, &j), 0);
	what.domain = "tsm-join";
	what.doc = (unsigned char *)doc;
	what.doc_len = len;
	what.blobs = NULL;
	what.nblobs = 0;
	what.parent = NULL;
	assert_int_equal(tsm_signed_sign(sig, &what, eve.sign_sk), 0);
	assert_int_equal(tsm_signed_message(&msg, "x", ana.sign_pk, sig), 0);
	e.name = "join.json";
	e.data = (unsigned char *)doc;
	e.len = len;
	assert_int_equal(tsm_mirror_commit(forged, mirror, NULL, &e, 1, msg,
					   "x"),
			 0);
	assert_int_equal(tsm_join_read(&back, mirror, forged, ana.site),
			 TSM_ECORRUPT);
	assert_reason("bad signature");
	free(doc);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_join),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}

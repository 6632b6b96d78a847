/* tests/unit/test_identity.c — the replica identity: member id and name
 * rules, create/get, refusal to create twice, secret keys that match their
 * public halves, and secrets that never reach the disk in plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "identity_internal.h"
#include "store_internal.h"
#include "testutil.h"

static const char PASS[] = "Zhao Lei 赵磊 test passphrase";
#define PASSLEN (sizeof(PASS) - 1)

static char dirbuf[4096];

static tsm_store *make_store(const char *tag)
{
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *d = tu_tmpdir(tag);
	tsm_store *s = NULL;

	assert_non_null(d);
	snprintf(dirbuf, sizeof(dirbuf), "%s/store", d);
	o.kdf = TSM_KDF_INTERACTIVE;
	if (tsm_store_create(&s, dirbuf, PASS, PASSLEN, &o) < 0)
		fail_msg("create: %s", tsm_error_last()->message);
	return s;
}

static void test_member_ids(void **state)
{
	char longest[TSM_MEMBER_MAX], too_long[TSM_MEMBER_MAX + 1];

	(void)state;
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'b', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_true(tsm_member_id_valid("alice"));
	assert_true(tsm_member_id_valid("wang.fang_2-x"));
	assert_true(tsm_member_id_valid("7"));
	assert_true(tsm_member_id_valid(longest));
	assert_false(tsm_member_id_valid(too_long));
	assert_false(tsm_member_id_valid(""));
	assert_false(tsm_member_id_valid(NULL));
	assert_false(tsm_member_id_valid("Alice"));
	assert_false(tsm_member_id_valid("wang fang"));
	assert_false(tsm_member_id_valid("a/b"));
	assert_false(tsm_member_id_valid("li\n"));
	assert_false(tsm_member_id_valid("王芳"));
}

static void test_names(void **state)
{
	char longest[TSM_NAME_MAX], too_long[TSM_NAME_MAX + 1];

	(void)state;
	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_true(tsm_name_valid("Wang Fang"));
	assert_true(tsm_name_valid("王芳 (Wang Fang) 🙂"));
	assert_true(tsm_name_valid(longest));
	assert_false(tsm_name_valid(too_long));
	assert_false(tsm_name_valid(""));
	assert_false(tsm_name_valid(NULL));
	assert_false(tsm_name_valid("two\nlines"));
	assert_false(tsm_name_valid("tab\there"));
	assert_false(tsm_name_valid("del\x7f"));
	assert_false(tsm_name_valid("\xc0\xaf"));	  /* overlong '/' */
	assert_false(tsm_name_valid("\xe0\x80\xaf"));	  /* overlong '/' */
	assert_false(tsm_name_valid("\xed\xa0\x80"));	  /* surrogate */
	assert_false(tsm_name_valid("\xf4\x90\x80\x80")); /* > U+10FFFF */
	assert_false(tsm_name_valid("\xe7\x8e"));	  /* truncated */
	assert_false(tsm_name_valid("\xc2\x85"));	  /* C1 control */
	assert_false(tsm_name_valid("\xff"));
}

static void test_create_and_get(void **state)
{
	tsm_store *s = make_store("identity-create");
	tsm_identity id, again;
	size_t i;

	(void)state;
	assert_int_equal(tsm_identity_get(&id, s), TSM_ENOTFOUND);
	assert_int_equal(tsm_identity_create(s, "Bad Id", "Name"),
			 TSM_EINVALID);
	assert_int_equal(tsm_identity_create(s, "zhao.lei", "bad\x01name"),
			 TSM_EINVALID);
	assert_int_equal(tsm_identity_get(&id, s), TSM_ENOTFOUND);

	assert_int_equal(tsm_identity_create(s, "zhao.lei", "赵磊"), 0);
	assert_int_equal(tsm_identity_get(&id, s), 0);
	assert_string_equal(id.member, "zhao.lei");
	assert_string_equal(id.name, "赵磊");
	assert_int_equal(strlen(id.site), TSM_SITE_LEN);
	for (i = 0; i < TSM_SITE_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", id.site[i]));

	/* A second identity is refused and the first one stays. */
	assert_int_equal(tsm_identity_create(s, "chen.jing", "Chen Jing"),
			 TSM_EEXISTS);
	assert_int_equal(tsm_identity_get(&again, s), 0);
	assert_memory_equal(&id, &again, sizeof(id));
	tsm_store_free(s);
}

static void test_survives_reopen(void **state)
{
	tsm_store *s = make_store("identity-reopen");
	tsm_identity id, again;
	tsm_key *key = NULL;

	(void)state;
	assert_int_equal(tsm_identity_create(s, "li.na", "Li Na"), 0);
	assert_int_equal(tsm_identity_get(&id, s), 0);
	tsm_store_free(s);
	assert_int_equal(tsm_key_unwrap(&key, dirbuf, PASS, PASSLEN), 0);
	assert_int_equal(tsm_store_open(&s, dirbuf, key), 0);
	tsm_key_free(key);
	assert_int_equal(tsm_identity_get(&again, s), 0);
	assert_memory_equal(&id, &again, sizeof(id));
	tsm_store_free(s);
}

static void test_secret_keys_match(void **state)
{
	static const unsigned char msg[] = "batch 1..40 of site";
	unsigned char sig[crypto_sign_BYTES], pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sealed[sizeof(msg) + crypto_box_SEALBYTES];
	unsigned char opened[sizeof(msg)];
	unsigned char *sign_sk = NULL, *box_sk = NULL;
	tsm_store *s = make_store("identity-keys");
	tsm_identity id;

	(void)state;
	assert_int_equal(tsm_identity_sign_sk(&sign_sk, s), TSM_ENOTFOUND);
	assert_null(sign_sk);
	assert_int_equal(tsm_identity_create(s, "wu.min", "Wu Min"), 0);
	assert_int_equal(tsm_identity_get(&id, s), 0);

	assert_int_equal(tsm_identity_sign_sk(&sign_sk, s), 0);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sign_sk);
	assert_int_equal(
	    crypto_sign_verify_detached(sig, msg, sizeof(msg), id.sign_pk), 0);
	sig[0] ^= 1;
	assert_int_not_equal(
	    crypto_sign_verify_detached(sig, msg, sizeof(msg), id.sign_pk), 0);

	assert_int_equal(tsm_identity_box_sk(&box_sk, s), 0);
	crypto_scalarmult_base(pk, box_sk);
	assert_memory_equal(pk, id.box_pk, sizeof(pk));
	assert_int_equal(crypto_box_seal(sealed, msg, sizeof(msg), id.box_pk),
			 0);
	assert_int_equal(crypto_box_seal_open(opened, sealed, sizeof(sealed),
					      id.box_pk, box_sk),
			 0);
	assert_memory_equal(opened, msg, sizeof(msg));
	tsm_store_free(s);

	/* Neither secret key appears in any file of the store. */
	{
		static const char *const files[] = {"tsm.db", "tsm.db-wal",
						    "tsm.key"};
		char path[4200];
		unsigned char *buf;
		size_t len, i, off;

		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", dirbuf, files[i]);
			buf = tu_read_file(path, &len);
			for (off = 0; buf && off + 32 <= len; off++) {
				assert_false(memcmp(buf + off, box_sk, 32) ==
					     0);
				assert_false(memcmp(buf + off, sign_sk, 32) ==
					     0);
			}
			free(buf);
		}
	}
	tsm_identity_secret_free(sign_sk);
	tsm_identity_secret_free(box_sk);
	tsm_identity_secret_free(NULL);
}

static void test_sites_differ(void **state)
{
	tsm_store *a = make_store("identity-site-a");
	tsm_store *b = make_store("identity-site-b");
	tsm_identity ia, ib;

	(void)state;
	assert_int_equal(tsm_identity_create(a, "he.jun", "He Jun"), 0);
	assert_int_equal(tsm_identity_create(b, "he.jun", "He Jun"), 0);
	assert_int_equal(tsm_identity_get(&ia, a), 0);
	assert_int_equal(tsm_identity_get(&ib, b), 0);
	assert_string_not_equal(ia.site, ib.site);
	assert_false(memcmp(ia.sign_pk, ib.sign_pk, 32) == 0);
	assert_false(memcmp(ia.box_pk, ib.box_pk, 32) == 0);
	tsm_store_free(a);
	tsm_store_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_member_ids),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_create_and_get),
	    cmocka_unit_test(test_survives_reopen),
	    cmocka_unit_test(test_secret_keys_match),
	    cmocka_unit_test(test_sites_differ),
	};

	if (tsm_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

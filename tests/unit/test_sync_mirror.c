/* tests/unit/test_sync_mirror.c — the git layer of sync against a bare
 * repository on disk: commits, refs, push with confirmation, refusal of a
 * non-fast-forward push, fetch, chain walks and rewritten histories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mirror.h"
#include "testutil.h"
#include "tsm/common.h"

static char root[4096];
static char central[4200], path_a[4200], path_b[4200];

static int setup(void **state)
{
	tsm_mirror *c = NULL;

	snprintf(root, sizeof(root), "%s", tu_tmpdir("sync-mirror"));
	snprintf(central, sizeof(central), "%s/central.git", root);
	snprintf(path_a, sizeof(path_a), "%s/a.git", root);
	snprintf(path_b, sizeof(path_b), "%s/b.git", root);
	/* a mirror opened without a URL is a plain bare repository */
	assert_int_equal(tsm_mirror_open(&c, central, NULL), 0);
	assert_string_equal(tsm_mirror_url(c), "");
	tsm_mirror_free(c);
	return 0;
}

static void commit_one(char *out, tsm_mirror *m, const char *parent,
		       const char *text)
{
	tsm_git_entry e[2] = {
		{"header.json", (const unsigned char *)text, strlen(text)},
		{"env-team", (const unsigned char *)"\x01\x02\x00\x03", 4},
	};

	assert_int_equal(tsm_mirror_commit(out, m, parent, e, 2,
					   "batch\n\nSigner: x\n", "site"),
			 0);
}

struct seen {
	char ref[256];
	char id[TSM_OID_HEX + 1];
	int n;
};

static int remember(const char *ref, const char *id, void *p)
{
	struct seen *s = p;

	snprintf(s->ref, sizeof(s->ref), "%s", ref);
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->n++;
	return 0;
}

static void test_push_fetch_chain(void **state)
{
	tsm_mirror *a = NULL, *b = NULL;
	char c1[41], c2[41], c3[41], tip[41];
	char **ids = NULL;
	size_t n = 0;
	tsm_git_commit *gc = NULL;
	const struct tsm_git_blob *blob;
	tsm_push_ref pr = {"refs/tsm/sites/aaaa", NULL, 0, ""};
	struct seen s = {"", "", 0};

	assert_int_equal(tsm_mirror_open(&a, path_a, central), 0);
	assert_string_equal(tsm_mirror_url(a), central);
	commit_one(c1, a, NULL, "one");
	commit_one(c2, a, c1, "two");
	commit_one(c3, a, c2, "three");
	assert_true(tsm_mirror_has(a, c3));
	assert_false(tsm_mirror_has(a, "0123456789012345678901234567890123456789"));
	assert_int_equal(tsm_mirror_ref(tip, a, pr.ref), TSM_ENOTFOUND);
	assert_int_equal(tsm_mirror_set_ref(a, pr.ref, c2, ""), 0);
	/* compare-and-swap: the ref is at c2, not c1 */
	assert_int_equal(tsm_mirror_set_ref(a, pr.ref, c3, c1),
			 TSM_ECONFLICT);
	assert_int_equal(tsm_mirror_set_ref(a, pr.ref, c3, c2), 0);
	assert_int_equal(tsm_mirror_ref(tip, a, pr.ref), 0);
	assert_string_equal(tip, c3);

	pr.id = c3;
	assert_int_equal(tsm_mirror_push(a, &pr, 1), 0);
	assert_int_equal(pr.ok, 1);
	assert_int_equal(tsm_mirror_ls_remote(a, remember, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ref, pr.ref);
	assert_string_equal(s.id, c3);

	/* another replica fetches and walks the chain */
	assert_int_equal(tsm_mirror_open(&b, path_b, central), 0);
	assert_int_equal(tsm_mirror_fetch(b), 0);
	assert_int_equal(
		tsm_mirror_ref(tip, b, TSM_REF_FETCHED "tsm/sites/aaaa"), 0);
	assert_string_equal(tip, c3);
	s.n = 0;
	assert_int_equal(tsm_mirror_each_ref(b, TSM_REF_FETCHED "tsm/sites/",
					     remember, &s),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ref, TSM_REF_FETCHED "tsm/sites/aaaa");

	assert_int_equal(tsm_mirror_chain(&ids, &n, b, tip, NULL, 0), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], c1);
	assert_string_equal(ids[1], c2);
	assert_string_equal(ids[2], c3);
	tsm_mirror_chain_free(ids, n);
	assert_int_equal(tsm_mirror_chain(&ids, &n, b, tip, c1, 0), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], c2);
	tsm_mirror_chain_free(ids, n);
	assert_int_equal(tsm_mirror_chain(&ids, &n, b, tip, c3, 0), 0);
	assert_int_equal(n, 0);
	tsm_mirror_chain_free(ids, n);
	assert_int_equal(tsm_mirror_chain(&ids, &n, b, tip, NULL, 2),
			 TSM_EINVALID);

	assert_int_equal(tsm_mirror_read(&gc, b, c2, 1 << 20), 0);
	assert_int_equal(gc->nparents, 1);
	assert_string_equal(gc->parent, c1);
	assert_string_equal(gc->message, "batch\n\nSigner: x\n");
	assert_int_equal(gc->nentries, 2);
	blob = tsm_git_commit_entry(gc, "header.json");
	assert_non_null(blob);
	assert_int_equal(blob->len, 3);
	assert_memory_equal(blob->data, "two", 3);
	blob = tsm_git_commit_entry(gc, "env-team");
	assert_non_null(blob);
	assert_int_equal(blob->len, 4);
	assert_memory_equal(blob->data, "\x01\x02\x00\x03", 4);
	assert_null(tsm_git_commit_entry(gc, "nope"));
	tsm_git_commit_free(gc);
	assert_int_equal(tsm_mirror_read(&gc, b, c2, 4), TSM_EINVALID);
	assert_null(gc);

	tsm_mirror_free(a);
	tsm_mirror_free(b);
}

static void test_refused_and_rewritten(void **state)
{
	tsm_mirror *a = NULL, *b = NULL;
	char c1[41], x1[41], x2[41], tip[41];
	char **ids = NULL;
	size_t n = 0;
	tsm_push_ref pr = {"refs/tsm/sites/bbbb", NULL, 0, ""};

	assert_int_equal(tsm_mirror_open(&a, path_a, central), 0);
	assert_int_equal(tsm_mirror_open(&b, path_b, central), 0);
	commit_one(c1, a, NULL, "a-one");
	assert_int_equal(tsm_mirror_set_ref(a, pr.ref, c1, NULL), 0);
	pr.id = c1;
	assert_int_equal(tsm_mirror_push(a, &pr, 1), 0);
	assert_int_equal(pr.ok, 1);

	/* b writes an unrelated history on the same ref: never forced */
	commit_one(x1, b, NULL, "b-one");
	commit_one(x2, b, x1, "b-two");
	assert_int_equal(tsm_mirror_set_ref(b, pr.ref, x2, NULL), 0);
	pr.id = x2;
	assert_int_equal(tsm_mirror_push(b, &pr, 1), TSM_ECONFLICT);
	assert_int_equal(pr.ok, 0);
	assert_true(strlen(pr.status) > 0);
	print_message("refused: %s\n", pr.status);
	assert_int_equal(tsm_mirror_fetch(b), 0);
	assert_int_equal(
		tsm_mirror_ref(tip, b, TSM_REF_FETCHED "tsm/sites/bbbb"), 0);
	assert_string_equal(tip, c1);

	/* a walk from a cursor that the tip does not descend from */
	assert_int_equal(tsm_mirror_chain(&ids, &n, b, x2, c1, 0),
			 TSM_ECONFLICT);
	assert_null(ids);
	assert_int_equal(n, 0);
	assert_int_equal(tsm_mirror_chain(&ids, &n, b, "zz", NULL, 0),
			 TSM_EINVALID);
	tsm_mirror_free(a);
	tsm_mirror_free(b);
}

static void test_unreachable(void **state)
{
	tsm_mirror *m = NULL;
	char path[4300], url[4300];
	tsm_push_ref pr = {"refs/tsm/sites/cccc", NULL, 0, ""};
	char c1[41];

	snprintf(path, sizeof(path), "%s/lonely.git", root);
	snprintf(url, sizeof(url), "%s/does-not-exist.git", root);
	assert_int_equal(tsm_mirror_open(&m, path, url), 0);
	assert_true(tsm_mirror_fetch(m) < 0);
	commit_one(c1, m, NULL, "x");
	assert_int_equal(tsm_mirror_set_ref(m, pr.ref, c1, NULL), 0);
	pr.id = c1;
	assert_true(tsm_mirror_push(m, &pr, 1) < 0);
	assert_int_equal(pr.ok, 0);
	tsm_mirror_free(m);

	/* a mirror without a remote says so */
	snprintf(path, sizeof(path), "%s/noremote.git", root);
	assert_int_equal(tsm_mirror_open(&m, path, NULL), 0);
	assert_int_equal(tsm_mirror_fetch(m), TSM_ENOTFOUND);
	tsm_mirror_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_fetch_chain),
		cmocka_unit_test(test_refused_and_rewritten),
		cmocka_unit_test(test_unreachable),
	};

	tsm_init();
	return cmocka_run_group_tests(tests, setup, NULL);
}

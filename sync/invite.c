/* sync/invite.c — invite MACs and signed join requests. */
#include "invite.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "error.h"

static const char mac_label[] = "tsm-invite-mac-v1";

void tsm_invite_mac_key(unsigned char out[32],
			const unsigned char secret[TSM_SECRET_LEN])
{
	crypto_generichash(out, 32, (const unsigned char *)mac_label,
			   sizeof(mac_label) - 1, secret, TSM_SECRET_LEN);
}

static void absorb(crypto_generichash_state *st, const void *data,
		   size_t len)
{
	unsigned char be[8];
	uint64_t v = len;
	int i;

	for (i = 7; i >= 0; i--) {
		be[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	crypto_generichash_update(st, be, sizeof(be));
	crypto_generichash_update(st, data, len);
}

void tsm_join_mac(unsigned char out[TSM_MAC_LEN],
		  const unsigned char mac_key[32], const tsm_join *j)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, mac_key, 32, TSM_MAC_LEN);
	absorb(&st, "tsm-join", 8);
	absorb(&st, j->team, strlen(j->team));
	absorb(&st, j->member, strlen(j->member));
	absorb(&st, j->site, strlen(j->site));
	absorb(&st, j->sign_pk, TSM_PK_LEN);
	absorb(&st, j->box_pk, TSM_PK_LEN);
	crypto_generichash_final(&st, out, TSM_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

int tsm_join_commit(char *out, tsm_mirror *m, const tsm_join *j,
		    const unsigned char *sign_sk)
{
	unsigned char sig[TSM_SIG_LEN];
	char *doc = NULL, *message = NULL, summary[64];
	size_t len = 0;
	tsm_git_entry e;
	tsm_signed what;
	int err;

	if ((err = tsm_codec_join_write(&doc, &len, j)) < 0)
		return err;
	what.domain = "tsm-join";
	what.doc = (const unsigned char *)doc;
	what.doc_len = len;
	what.blobs = NULL;
	what.nblobs = 0;
	what.parent = NULL;
	if ((err = tsm_signed_sign(sig, &what, sign_sk)) < 0)
		goto done;
	snprintf(summary, sizeof(summary), "tsm join %s", j->site);
	if ((err = tsm_signed_message(&message, summary, j->sign_pk, sig)) < 0)
		goto done;
	e.name = TSM_JOIN_BLOB;
	e.data = (const unsigned char *)doc;
	e.len = len;
	err = tsm_mirror_commit_at(out, m, NULL, &e, 1, message, "tsm", 0);
done:
	free(doc);
	free(message);
	return err;
}

int tsm_join_read(tsm_join *out, tsm_mirror *m, const char *id,
		  const char *site)
{
	unsigned char pk[TSM_PK_LEN], sig[TSM_SIG_LEN];
	const struct tsm_git_blob *b;
	tsm_git_commit *c = NULL;
	tsm_signed what;
	int err;

	if ((err = tsm_mirror_read(&c, m, id, 1u << 16)) < 0)
		return err;
	b = tsm_git_commit_entry(c, TSM_JOIN_BLOB);
	if (c->nparents != 0 || c->nentries != 1 || b == NULL ||
	    b->data == NULL) {
		err = tsm_error_set(TSM_ECORRUPT, "not a join request");
		goto done;
	}
	if ((err = tsm_codec_join_read(out, b->data, b->len)) < 0)
		goto done;
	if (strcmp(out->site, site) != 0) {
		err = tsm_error_set(TSM_ECORRUPT,
				    "join request of site %s on the ref of %s",
				    out->site, site);
		goto done;
	}
	if ((err = tsm_signed_parse(pk, sig, c->message)) < 0)
		goto done;
	if (sodium_memcmp(pk, out->sign_pk, TSM_PK_LEN) != 0) {
		err = tsm_error_set(TSM_ECORRUPT, "join request signed by "
						  "another key");
		goto done;
	}
	what.domain = "tsm-join";
	what.doc = b->data;
	what.doc_len = b->len;
	what.blobs = NULL;
	what.nblobs = 0;
	what.parent = NULL;
	err = tsm_signed_verify(sig, &what, pk);
done:
	tsm_git_commit_free(c);
	return err;
}

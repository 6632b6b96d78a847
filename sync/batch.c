/* sync/batch.c — signing of sync commits (batches, roster, join requests)
 * and the batch format: envelopes sealed per scope with XChaCha20-Poly1305,
 * team, site, scope, seq range and parent bound as associated data. */
#include "batch.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const char tsm_zero_oid[TSM_OID_HEX + 1] =
	"0000000000000000000000000000000000000000";

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

/* A growable byte string for the bytes that are signed or authenticated. */
struct bytes {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void put(struct bytes *b, const void *data, size_t len)
{
	unsigned char *grown;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (grown == NULL) {
			b->oom = 1;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_u64(struct bytes *b, uint64_t v)
{
	unsigned char be[8];
	int i;

	for (i = 7; i >= 0; i--) {
		be[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	put(b, be, 8);
}

/* A length-prefixed field. */
static void put_field(struct bytes *b, const void *data, size_t len)
{
	put_u64(b, len);
	put(b, data, len);
}

static void put_str(struct bytes *b, const char *s)
{
	put_field(b, s, strlen(s));
}

static const char *parent_or_zero(const char *parent)
{
	return parent && *parent ? parent : tsm_zero_oid;
}

static int signed_bytes(struct bytes *b, const tsm_signed *w)
{
	unsigned char h[32];
	size_t i;

	put_str(b, w->domain);
	put_field(b, w->doc, w->doc_len);
	put_u64(b, w->nblobs);
	for (i = 0; i < w->nblobs; i++) {
		put_str(b, w->blobs[i].name);
		crypto_generichash(h, sizeof(h), w->blobs[i].data,
				   w->blobs[i].len, NULL, 0);
		put(b, h, sizeof(h));
	}
	put_str(b, parent_or_zero(w->parent));
	if (b->oom)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	return 0;
}

int tsm_signed_sign(unsigned char sig[TSM_SIG_LEN], const tsm_signed *what,
		    const unsigned char *sk)
{
	struct bytes b = {NULL, 0, 0, 0};
	int err;

	if ((err = signed_bytes(&b, what)) == 0 &&
	    crypto_sign_detached(sig, NULL, b.p, b.len, sk) != 0)
		err = tsm_error_set(TSM_ERROR, "cannot sign");
	free(b.p);
	return err;
}

int tsm_signed_verify(const unsigned char sig[TSM_SIG_LEN],
		      const tsm_signed *what, const unsigned char *pk)
{
	struct bytes b = {NULL, 0, 0, 0};
	int err;

	if ((err = signed_bytes(&b, what)) == 0 &&
	    crypto_sign_verify_detached(sig, b.p, b.len, pk) != 0)
		err = tsm_error_set(TSM_ECORRUPT, "bad signature");
	free(b.p);
	return err;
}

int tsm_signed_message(char **out, const char *summary,
		       const unsigned char pk[TSM_PK_LEN],
		       const unsigned char sig[TSM_SIG_LEN])
{
	char pkhex[2 * TSM_PK_LEN + 1], sighex[2 * TSM_SIG_LEN + 1];
	size_t len = strlen(summary) + sizeof(pkhex) + sizeof(sighex) + 32;

	*out = malloc(len);
	if (*out == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, TSM_PK_LEN);
	sodium_bin2hex(sighex, sizeof(sighex), sig, TSM_SIG_LEN);
	snprintf(*out, len, "%s\n\nSigner: %s\nSignature: %s\n", summary,
		 pkhex, sighex);
	return 0;
}

/* Finds the one line "name: value" of message; copies value into out. */
static int trailer(char *out, size_t max, const char *message,
		   const char *name)
{
	size_t nlen = strlen(name), vlen;
	const char *line = message, *end, *found = NULL;

	while (line && *line) {
		end = strchr(line, '\n');
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':' &&
		    line[nlen + 1] == ' ') {
			if (found)
				return -1;
			found = line + nlen + 2;
			vlen = end ? (size_t)(end - found) : strlen(found);
			if (vlen >= max)
				return -1;
			memcpy(out, found, vlen);
			out[vlen] = '\0';
		}
		line = end ? end + 1 : NULL;
	}
	return found ? 0 : -1;
}

static int hex_exact(unsigned char *out, size_t len, const char *hex)
{
	size_t got = 0, i;

	if (strlen(hex) != 2 * len)
		return -1;
	for (i = 0; hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		      (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	if (sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) != 0 ||
	    got != len)
		return -1;
	return 0;
}

int tsm_signed_parse(unsigned char pk[TSM_PK_LEN],
		     unsigned char sig[TSM_SIG_LEN], const char *message)
{
	char v[2 * TSM_SIG_LEN + 2];

	if (trailer(v, sizeof(v), message, "Signer") < 0 ||
	    hex_exact(pk, TSM_PK_LEN, v) < 0 ||
	    trailer(v, sizeof(v), message, "Signature") < 0 ||
	    hex_exact(sig, TSM_SIG_LEN, v) < 0)
		return tsm_error_set(TSM_ECORRUPT, "not signed");
	return 0;
}

void tsm_key_fingerprint(unsigned char out[TSM_FPR_LEN],
			 const unsigned char pk[TSM_PK_LEN])
{
	crypto_generichash(out, TSM_FPR_LEN, pk, TSM_PK_LEN, NULL, 0);
}

/* The associated data of one envelope. */
static int envelope_ad(struct bytes *b, const tsm_batch_header *h,
		       const char *scope, const char *parent)
{
	put_str(b, "tsm-envelope");
	put_str(b, h->team);
	put_str(b, h->site);
	put_str(b, scope);
	put_u64(b, h->seq_first);
	put_u64(b, h->seq_last);
	put_str(b, parent_or_zero(parent));
	if (b->oom)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	return 0;
}

void tsm_batch_out_free(tsm_batch_out *out)
{
	size_t i;

	for (i = 0; i < out->nentries; i++)
		free(out->bufs[i]);
	free(out->message);
	memset(out, 0, sizeof(*out));
}

int tsm_batch_seal(tsm_batch_out *out, tsm_batch_header *h,
		   const char *parent, const unsigned char *payload,
		   size_t len, const unsigned char *team_key,
		   const unsigned char *sign_sk)
{
	struct bytes ad = {NULL, 0, 0, 0};
	unsigned char sig[TSM_SIG_LEN], *env = NULL;
	unsigned long long ctlen = 0;
	char *header = NULL, summary[128];
	size_t hlen = 0;
	tsm_signed what;
	int err;

	memset(out, 0, sizeof(*out));
	h->nenv = 1;
	snprintf(h->scope[0], TSM_SCOPE_MAX, "%s", TSM_SCOPE_TEAM);
	if ((err = tsm_codec_header_write(&header, &hlen, h)) < 0)
		goto done;
	if ((err = envelope_ad(&ad, h, TSM_SCOPE_TEAM, parent)) < 0)
		goto done;
	env = malloc(NONCE_LEN + len + TAG_LEN);
	if (env == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	randombytes_buf(env, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(env + NONCE_LEN, &ctlen,
						   payload, len, ad.p, ad.len,
						   NULL, env, team_key);
	out->bufs[0] = (unsigned char *)header;
	snprintf(out->names[0], sizeof(out->names[0]), "%s", TSM_HEADER_BLOB);
	out->entries[0].name = out->names[0];
	out->entries[0].data = out->bufs[0];
	out->entries[0].len = hlen;
	out->bufs[1] = env;
	snprintf(out->names[1], sizeof(out->names[1]), "%s%s", TSM_ENV_PREFIX,
		 TSM_SCOPE_TEAM);
	out->entries[1].name = out->names[1];
	out->entries[1].data = env;
	out->entries[1].len = NONCE_LEN + (size_t)ctlen;
	out->nentries = 2;
	header = NULL;
	env = NULL;

	what.domain = "tsm-batch";
	what.doc = out->entries[0].data;
	what.doc_len = out->entries[0].len;
	what.blobs = &out->entries[1];
	what.nblobs = out->nentries - 1;
	what.parent = parent;
	if ((err = tsm_signed_sign(sig, &what, sign_sk)) < 0)
		goto done;
	snprintf(summary, sizeof(summary), "tsm batch %s %llu-%llu", h->site,
		 (unsigned long long)h->seq_first,
		 (unsigned long long)h->seq_last);
	err = tsm_signed_message(&out->message, summary, h->signer, sig);
done:
	free(header);
	free(env);
	free(ad.p);
	if (err < 0)
		tsm_batch_out_free(out);
	return err;
}

static int reject(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int reject(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tsm_error_set(TSM_ECORRUPT, "%s", buf);
}

int tsm_batch_open(unsigned char **out, size_t *len, tsm_batch_header *h,
		   const tsm_git_commit *c, const tsm_batch_expect *exp,
		   const unsigned char *team_key)
{
	unsigned char pk[TSM_PK_LEN], sig[TSM_SIG_LEN];
	const struct tsm_git_blob *hb, *b;
	tsm_git_entry envs[TSM_ENV_MAX];
	char names[TSM_ENV_MAX][TSM_SCOPE_MAX + 8];
	struct bytes ad = {NULL, 0, 0, 0};
	unsigned char *plain = NULL;
	unsigned long long plen = 0;
	const struct tsm_git_blob *team_env = NULL;
	tsm_signed what;
	size_t i, j;
	int err;

	*out = NULL;
	*len = 0;
	if (c->nparents > 1)
		return reject("a merge commit");
	if ((exp->parent && *exp->parent) ? (c->nparents != 1 ||
					     strcmp(c->parent, exp->parent))
					  : c->nparents != 0)
		return reject("wrong parent (expected %.12s)",
			      exp->parent && *exp->parent ? exp->parent
							  : "none");
	hb = tsm_git_commit_entry(c, TSM_HEADER_BLOB);
	if (hb == NULL || hb->data == NULL)
		return reject("no %s", TSM_HEADER_BLOB);
	if ((err = tsm_codec_header_read(h, hb->data, hb->len)) < 0)
		return err;
	if (strcmp(h->team, exp->team) != 0)
		return reject("batch of another team %s", h->team);
	if (strcmp(h->site, exp->site) != 0)
		return reject("batch of site %s replayed on the ref of site %s",
			      h->site, exp->site);
	if ((err = tsm_signed_parse(pk, sig, c->message)) < 0)
		return err;
	if (sodium_memcmp(pk, h->signer, TSM_PK_LEN) != 0)
		return reject("signer trailer and header disagree");
	if (sodium_memcmp(pk, exp->signer, TSM_PK_LEN) != 0)
		return reject("signed by a key that is not the site's "
			      "registered key");
	/* exactly header.json and the listed envelopes, nothing else */
	if (c->nentries != 1 + h->nenv)
		return reject("unexpected tree entries");
	for (i = 0; i < h->nenv; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%s", TSM_ENV_PREFIX,
			 h->scope[i]);
		for (j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return reject("envelope %s listed twice",
					      names[i]);
		b = tsm_git_commit_entry(c, names[i]);
		if (b == NULL || b->data == NULL)
			return reject("missing envelope %s", names[i]);
		envs[i].name = names[i];
		envs[i].data = b->data;
		envs[i].len = b->len;
		if (strcmp(h->scope[i], TSM_SCOPE_TEAM) == 0)
			team_env = b;
	}
	what.domain = "tsm-batch";
	what.doc = hb->data;
	what.doc_len = hb->len;
	what.blobs = envs;
	what.nblobs = h->nenv;
	what.parent = exp->parent;
	if ((err = tsm_signed_verify(sig, &what, pk)) < 0)
		return err;
	if (h->seq_first != exp->seq_first) {
		return reject("out of sequence: seq %llu, expected %llu",
			      (unsigned long long)h->seq_first,
			      (unsigned long long)exp->seq_first);
	}
	if (team_env == NULL)
		return reject("no %s envelope", TSM_SCOPE_TEAM);
	if (team_env->len < NONCE_LEN + TAG_LEN)
		return reject("envelope %s too short", TSM_SCOPE_TEAM);
	if ((err = envelope_ad(&ad, h, TSM_SCOPE_TEAM, exp->parent)) < 0)
		return err;
	plain = malloc(team_env->len - NONCE_LEN - TAG_LEN + 1);
	if (plain == NULL) {
		free(ad.p);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, &plen, NULL, team_env->data + NONCE_LEN,
		    team_env->len - NONCE_LEN, ad.p, ad.len, team_env->data,
		    team_key) != 0) {
		free(plain);
		free(ad.p);
		return reject("envelope %s does not authenticate (wrong team "
			      "key or tampered)",
			      TSM_SCOPE_TEAM);
	}
	free(ad.p);
	plain[plen] = '\0';
	*out = plain;
	*len = (size_t)plen;
	return 0;
}

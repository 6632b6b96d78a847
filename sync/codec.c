/* sync/codec.c — JSON encoders and strict decoders for the plaintext sync
 * documents (batch header, roster, join request, invite code), built on
 * core's JSON module (core/json.h), the one place that touches cJSON. */
#include "codec.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"

static int corrupt(const char *what, const char *field)
{
	return tsm_error_set(TSM_ECORRUPT, "%s: bad or missing '%s'", what,
			     field);
}

static int oom(void)
{
	return tsm_error_set(TSM_ENOMEM, "out of memory");
}

static int is_hex_id(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int tsm_team_id_valid(const char *team)
{
	size_t i, n = team ? strlen(team) : 0;

	if (n == 0 || n >= TSM_TEAM_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((team[i] >= 'a' && team[i] <= 'z') ||
		      (team[i] >= '0' && team[i] <= '9') || team[i] == '_' ||
		      team[i] == '-'))
			return 0;
	return 1;
}

int tsm_site_id_valid(const char *site)
{
	return is_hex_id(site, TSM_SITE_LEN);
}

int tsm_scope_valid(const char *scope)
{
	size_t i, n = scope ? strlen(scope) : 0;

	if (n == 0 || n >= TSM_SCOPE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((scope[i] >= 'a' && scope[i] <= 'z') ||
		      (scope[i] >= '0' && scope[i] <= '9') || scope[i] == '-'))
			return 0;
	return 1;
}

int tsm_role_valid(const char *role)
{
	static const char *const roles[] = {"agent", "lead", "manager",
					    "assistant", "auditor"};
	size_t i;

	for (i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

/* Prints doc canonically and frees it; *len (may be NULL) gets the size. */
static int finish(char **out, size_t *len, tsm_json *doc, int err)
{
	*out = NULL;
	if (err == 0 && doc == NULL)
		err = oom();
	if (err == 0)
		err = tsm_json_print(out, doc);
	tsm_json_free(doc);
	if (err == 0 && len)
		*len = strlen(*out);
	return err;
}

static int put_hex(tsm_json *obj, const char *key, const unsigned char *bin,
		   size_t len)
{
	char hex[2 * 128 + 1];

	if (len > 128)
		return tsm_error_set(TSM_EINVALID, "value too long");
	sodium_bin2hex(hex, sizeof(hex), bin, len);
	return tsm_json_put_string(obj, key, hex);
}

/* Reads obj[key] as a string of at most max-1 bytes into out. */
static int get_str(char *out, size_t max, const tsm_json *obj,
		   const char *key)
{
	const char *s = tsm_json_string(tsm_json_get(obj, key));

	if (s == NULL || strlen(s) >= max)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* Reads obj[key] as exactly len bytes of lowercase hex. */
static int get_hex(unsigned char *out, size_t len, const tsm_json *obj,
		   const char *key)
{
	const char *s = tsm_json_string(tsm_json_get(obj, key));
	size_t got = 0;

	if (!is_hex_id(s, 2 * len))
		return -1;
	if (sodium_hex2bin(out, len, s, 2 * len, NULL, &got, NULL) != 0 ||
	    got != len)
		return -1;
	return 0;
}

/* Reads obj[key] as a non-negative integer (below 2^53). */
static int get_u64(uint64_t *out, const tsm_json *obj, const char *key)
{
	int64_t v;

	if (tsm_json_int(&v, tsm_json_get(obj, key)) < 0 || v < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* Parses a document and checks its "format" and "kind" members. */
static int open_doc(tsm_json **out, const unsigned char *buf, size_t len,
		    const char *kind, const char *what)
{
	tsm_json *doc = NULL;
	uint64_t format;
	char k[32];

	*out = NULL;
	if (tsm_json_parse(&doc, (const char *)buf, len) < 0 ||
	    tsm_json_type(doc) != TSM_JSON_OBJECT) {
		tsm_json_free(doc);
		return tsm_error_set(TSM_ECORRUPT, "%s: not a JSON object",
				     what);
	}
	if (get_u64(&format, doc, "format") < 0) {
		tsm_json_free(doc);
		return corrupt(what, "format");
	}
	if (format != TSM_FORMAT) {
		tsm_json_free(doc);
		return tsm_error_set(TSM_ECORRUPT,
				     "%s: format %llu is not supported", what,
				     (unsigned long long)format);
	}
	if (get_str(k, sizeof(k), doc, "kind") < 0 || strcmp(k, kind) != 0) {
		tsm_json_free(doc);
		return corrupt(what, "kind");
	}
	*out = doc;
	return 0;
}

static tsm_json *new_doc(const char *kind)
{
	tsm_json *doc = tsm_json_new_object();

	if (doc == NULL || tsm_json_put_int(doc, "format", TSM_FORMAT) < 0 ||
	    tsm_json_put_string(doc, "kind", kind) < 0) {
		tsm_json_free(doc);
		return NULL;
	}
	return doc;
}

int tsm_codec_header_write(char **out, size_t *len, const tsm_batch_header *h)
{
	tsm_json *doc = new_doc("tsm-batch"), *envs = NULL, *e;
	size_t i;
	int err = doc ? 0 : oom();

	if (err == 0 &&
	    ((err = tsm_json_put_string(doc, "team", h->team)) < 0 ||
	     (err = tsm_json_put_string(doc, "site", h->site)) < 0 ||
	     (err = put_hex(doc, "signer", h->signer, TSM_PK_LEN)) < 0 ||
	     (err = tsm_json_put_int(doc, "seq_first",
				     (int64_t)h->seq_first)) < 0 ||
	     (err = tsm_json_put_int(doc, "seq_last", (int64_t)h->seq_last)) <
		     0))
		goto done;
	envs = tsm_json_new_array();
	for (i = 0; err == 0 && envs && i < h->nenv; i++) {
		e = tsm_json_new_object();
		if (e == NULL)
			err = oom();
		else if ((err = tsm_json_put_string(e, "scope", h->scope[i])) <
			 0)
			tsm_json_free(e);
		else
			err = tsm_json_put(envs, NULL, e);
	}
	if (err == 0)
		err = envs ? tsm_json_put(doc, "envelopes", envs) : oom();
	else
		tsm_json_free(envs);
	envs = NULL;
done:
	tsm_json_free(envs);
	return finish(out, len, doc, err);
}

int tsm_codec_header_read(tsm_batch_header *out, const unsigned char *buf,
			  size_t len)
{
	static const char what[] = "batch header";
	const tsm_json *envs, *e;
	tsm_json *doc = NULL;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = open_doc(&doc, buf, len, "tsm-batch", what)) < 0)
		return err;
	if (get_str(out->team, sizeof(out->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(out->team))
		err = corrupt(what, "team");
	else if (get_str(out->site, sizeof(out->site), doc, "site") < 0 ||
		 !tsm_site_id_valid(out->site))
		err = corrupt(what, "site");
	else if (get_hex(out->signer, TSM_PK_LEN, doc, "signer") < 0)
		err = corrupt(what, "signer");
	else if (get_u64(&out->seq_first, doc, "seq_first") < 0 ||
		 out->seq_first == 0)
		err = corrupt(what, "seq_first");
	else if (get_u64(&out->seq_last, doc, "seq_last") < 0 ||
		 out->seq_last < out->seq_first)
		err = corrupt(what, "seq_last");
	if (err < 0)
		goto done;
	envs = tsm_json_get(doc, "envelopes");
	if (tsm_json_type(envs) != TSM_JSON_ARRAY ||
	    tsm_json_count(envs) < 1 || tsm_json_count(envs) > TSM_ENV_MAX) {
		err = corrupt(what, "envelopes");
		goto done;
	}
	i = 0;
	for (e = tsm_json_first(envs); e; e = tsm_json_next(e)) {
		if (get_str(out->scope[i], TSM_SCOPE_MAX, e, "scope") < 0 ||
		    !tsm_scope_valid(out->scope[i])) {
			err = corrupt(what, "scope");
			goto done;
		}
		i++;
	}
	out->nenv = i;
done:
	tsm_json_free(doc);
	return err;
}

void tsm_roster_free(tsm_roster *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nmembers; i++)
		free(r->members[i].sites);
	free(r->members);
	free(r);
}

static int roster_site(tsm_json *sites, const tsm_roster_site *rs)
{
	tsm_json *s = tsm_json_new_object();
	int err;

	if (s == NULL)
		return oom();
	if ((err = tsm_json_put_string(s, "site", rs->site)) < 0 ||
	    (err = put_hex(s, "sign_pk", rs->sign_pk, TSM_PK_LEN)) < 0 ||
	    (err = put_hex(s, "box_pk", rs->box_pk, TSM_PK_LEN)) < 0 ||
	    (err = put_hex(s, "team_key_sealed", rs->sealed,
			   TSM_SEALED_LEN)) < 0) {
		tsm_json_free(s);
		return err;
	}
	return tsm_json_put(sites, NULL, s);
}

static int roster_member(tsm_json *members, const tsm_roster_member *rm)
{
	tsm_json *m = tsm_json_new_object(), *sites = tsm_json_new_array();
	size_t j;
	int err = m && sites ? 0 : oom();

	if (err == 0 &&
	    ((err = tsm_json_put_string(m, "member", rm->member)) < 0 ||
	     (err = tsm_json_put_string(m, "role", rm->role)) < 0))
		goto fail;
	for (j = 0; err == 0 && j < rm->nsites; j++)
		err = roster_site(sites, &rm->sites[j]);
	if (err < 0)
		goto fail;
	err = tsm_json_put(m, "sites", sites);
	sites = NULL;
	if (err < 0)
		goto fail;
	return tsm_json_put(members, NULL, m);
fail:
	tsm_json_free(sites);
	tsm_json_free(m);
	return err;
}

int tsm_codec_roster_write(char **out, size_t *len, const tsm_roster *r)
{
	tsm_json *doc = new_doc("tsm-roster"), *members = NULL;
	size_t i;
	int err = doc ? 0 : oom();

	if (err == 0 &&
	    ((err = tsm_json_put_string(doc, "team", r->team)) < 0 ||
	     (err = tsm_json_put_int(doc, "version", (int64_t)r->version)) <
		     0 ||
	     (err = put_hex(doc, "prev", r->prev, sizeof(r->prev))) < 0))
		goto done;
	members = tsm_json_new_array();
	if (members == NULL && err == 0)
		err = oom();
	for (i = 0; err == 0 && i < r->nmembers; i++)
		err = roster_member(members, &r->members[i]);
	if (err == 0) {
		err = tsm_json_put(doc, "members", members);
		members = NULL;
	}
done:
	tsm_json_free(members);
	return finish(out, len, doc, err);
}

static int read_site(tsm_roster_site *rs, const tsm_json *s)
{
	if (get_str(rs->site, sizeof(rs->site), s, "site") < 0 ||
	    !tsm_site_id_valid(rs->site))
		return corrupt("roster", "site");
	if (get_hex(rs->sign_pk, TSM_PK_LEN, s, "sign_pk") < 0)
		return corrupt("roster", "sign_pk");
	if (get_hex(rs->box_pk, TSM_PK_LEN, s, "box_pk") < 0)
		return corrupt("roster", "box_pk");
	if (get_hex(rs->sealed, TSM_SEALED_LEN, s, "team_key_sealed") < 0)
		return corrupt("roster", "team_key_sealed");
	return 0;
}

static int read_member(tsm_roster_member *rm, const tsm_json *m)
{
	const tsm_json *sites, *s;
	size_t j;
	int err;

	if (get_str(rm->member, sizeof(rm->member), m, "member") < 0 ||
	    !tsm_member_id_valid(rm->member))
		return corrupt("roster", "member");
	if (get_str(rm->role, sizeof(rm->role), m, "role") < 0 ||
	    !tsm_role_valid(rm->role))
		return corrupt("roster", "role");
	sites = tsm_json_get(m, "sites");
	if (tsm_json_type(sites) != TSM_JSON_ARRAY)
		return corrupt("roster", "sites");
	rm->sites = calloc(tsm_json_count(sites) + 1, sizeof(*rm->sites));
	if (rm->sites == NULL)
		return oom();
	j = 0;
	for (s = tsm_json_first(sites); s; s = tsm_json_next(s)) {
		if ((err = read_site(&rm->sites[j], s)) < 0)
			return err;
		rm->nsites = ++j;
	}
	return 0;
}

int tsm_codec_roster_read(tsm_roster **out, const unsigned char *buf,
			  size_t len)
{
	static const char what[] = "roster";
	const tsm_json *members, *m;
	tsm_json *doc = NULL;
	tsm_roster *r = NULL;
	size_t n;
	int err;

	*out = NULL;
	if ((err = open_doc(&doc, buf, len, "tsm-roster", what)) < 0)
		return err;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		err = oom();
		goto done;
	}
	members = tsm_json_get(doc, "members");
	if (get_str(r->team, sizeof(r->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(r->team))
		err = corrupt(what, "team");
	else if (get_u64(&r->version, doc, "version") < 0 || r->version == 0)
		err = corrupt(what, "version");
	else if (get_hex(r->prev, sizeof(r->prev), doc, "prev") < 0)
		err = corrupt(what, "prev");
	else if (tsm_json_type(members) != TSM_JSON_ARRAY)
		err = corrupt(what, "members");
	if (err < 0)
		goto done;
	n = tsm_json_count(members);
	r->members = calloc(n ? n : 1, sizeof(*r->members));
	if (r->members == NULL) {
		err = oom();
		goto done;
	}
	for (m = tsm_json_first(members); m; m = tsm_json_next(m)) {
		r->nmembers++;
		if ((err = read_member(&r->members[r->nmembers - 1], m)) < 0)
			goto done;
	}
	*out = r;
	r = NULL;
done:
	tsm_roster_free(r);
	tsm_json_free(doc);
	return err;
}

int tsm_codec_join_write(char **out, size_t *len, const tsm_join *j)
{
	tsm_json *doc = new_doc("tsm-join");
	int err = doc ? 0 : oom();

	if (err == 0 &&
	    ((err = tsm_json_put_string(doc, "team", j->team)) < 0 ||
	     (err = tsm_json_put_string(doc, "member", j->member)) < 0 ||
	     (err = tsm_json_put_string(doc, "site", j->site)) < 0 ||
	     (err = put_hex(doc, "sign_pk", j->sign_pk, TSM_PK_LEN)) < 0 ||
	     (err = put_hex(doc, "box_pk", j->box_pk, TSM_PK_LEN)) < 0 ||
	     (err = put_hex(doc, "mac", j->mac, TSM_MAC_LEN)) < 0))
		err = err < 0 ? err : oom();
	return finish(out, len, doc, err);
}

int tsm_codec_join_read(tsm_join *out, const unsigned char *buf, size_t len)
{
	static const char what[] = "join request";
	tsm_json *doc = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = open_doc(&doc, buf, len, "tsm-join", what)) < 0)
		return err;
	if (get_str(out->team, sizeof(out->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(out->team))
		err = corrupt(what, "team");
	else if (get_str(out->member, sizeof(out->member), doc, "member") <
			 0 ||
		 !tsm_member_id_valid(out->member))
		err = corrupt(what, "member");
	else if (get_str(out->site, sizeof(out->site), doc, "site") < 0 ||
		 !tsm_site_id_valid(out->site))
		err = corrupt(what, "site");
	else if (get_hex(out->sign_pk, TSM_PK_LEN, doc, "sign_pk") < 0)
		err = corrupt(what, "sign_pk");
	else if (get_hex(out->box_pk, TSM_PK_LEN, doc, "box_pk") < 0)
		err = corrupt(what, "box_pk");
	else if (get_hex(out->mac, TSM_MAC_LEN, doc, "mac") < 0)
		err = corrupt(what, "mac");
	tsm_json_free(doc);
	return err;
}

int tsm_codec_invite_write(char **out, const tsm_invite *inv)
{
	tsm_json *doc = new_doc("tsm-invite");
	char *json = NULL;
	size_t len = 0, cap;
	int err = doc ? 0 : oom();

	*out = NULL;
	if (err == 0 &&
	    ((err = tsm_json_put_string(doc, "team", inv->team)) < 0 ||
	     (err = tsm_json_put_string(doc, "remote", inv->remote)) < 0 ||
	     (err = put_hex(doc, "root", inv->root, TSM_FPR_LEN)) < 0 ||
	     (err = tsm_json_put_string(doc, "member", inv->member)) < 0 ||
	     (err = tsm_json_put_string(doc, "role", inv->role)) < 0 ||
	     (err = put_hex(doc, "secret", inv->secret, TSM_SECRET_LEN)) < 0))
		err = err < 0 ? err : oom();
	if ((err = finish(&json, &len, doc, err)) < 0)
		return err;
	cap = sodium_base64_ENCODED_LEN(len,
					sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	*out = malloc(cap);
	if (*out == NULL)
		err = oom();
	else
		sodium_bin2base64(*out, cap, (const unsigned char *)json, len,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(json, len);
	free(json);
	return err;
}

int tsm_codec_invite_read(tsm_invite *out, const char *code)
{
	static const char what[] = "invite code";
	size_t clen = strlen(code), len = 0;
	unsigned char *json = malloc(clen + 1);
	tsm_json *doc = NULL;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (json == NULL)
		return oom();
	if (sodium_base642bin(json, clen, code, clen, " \n\r\t", &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "not an invite code (bad base64url)");
		goto done;
	}
	if (open_doc(&doc, json, len, "tsm-invite", what) < 0) {
		err = tsm_error_set(TSM_EINVALID, "not a tsm invite code");
		goto done;
	}
	if (get_str(out->team, sizeof(out->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(out->team))
		err = corrupt(what, "team");
	else if (get_str(out->remote, sizeof(out->remote), doc, "remote") < 0)
		err = corrupt(what, "remote");
	else if (get_hex(out->root, TSM_FPR_LEN, doc, "root") < 0)
		err = corrupt(what, "root");
	else if (get_str(out->member, sizeof(out->member), doc, "member") <
			 0 ||
		 !tsm_member_id_valid(out->member))
		err = corrupt(what, "member");
	else if (get_str(out->role, sizeof(out->role), doc, "role") < 0 ||
		 !tsm_role_valid(out->role))
		err = corrupt(what, "role");
	else if (get_hex(out->secret, TSM_SECRET_LEN, doc, "secret") < 0)
		err = corrupt(what, "secret");
	if (err < 0)
		err = tsm_error_set(TSM_EINVALID, "%s",
				    tsm_error_last()->message);
done:
	tsm_json_free(doc);
	sodium_memzero(json, clen + 1);
	free(json);
	if (err < 0)
		sodium_memzero(out, sizeof(*out));
	return err;
}

int tsm_codec_ops_each(const unsigned char *buf, size_t len,
		       int (*fn)(const char *site, uint64_t seq,
				 const char *author, void *p),
		       void *payload)
{
	static const char what[] = "batch payload";
	const tsm_json *op, *ops;
	tsm_json *doc = NULL;
	char site[TSM_SITE_LEN + 1], author[TSM_MEMBER_MAX];
	uint64_t seq;
	int err = 0;

	if (tsm_json_parse(&doc, (const char *)buf, len) < 0)
		return tsm_error_set(TSM_ECORRUPT, "%s: not JSON", what);
	ops = doc;
	if (tsm_json_type(doc) != TSM_JSON_ARRAY) {
		err = tsm_error_set(TSM_ECORRUPT, "%s: not an array of ops",
				    what);
		goto done;
	}
	for (op = tsm_json_first(ops); op; op = tsm_json_next(op)) {
		if (get_str(site, sizeof(site), op, "site") < 0) {
			err = corrupt(what, "site");
			goto done;
		}
		if (get_u64(&seq, op, "seq") < 0) {
			err = corrupt(what, "seq");
			goto done;
		}
		if (get_str(author, sizeof(author), op, "author") < 0) {
			err = corrupt(what, "author");
			goto done;
		}
		if ((err = fn(site, seq, author, payload)) != 0)
			goto done;
	}
done:
	tsm_json_free(doc);
	return err;
}

int tsm_codec_grant_value(char **out, const char *role, const char *name,
			  const char *site, const unsigned char *sign_pk,
			  const unsigned char *box_pk)
{
	tsm_json *doc = tsm_json_new_object();
	int err = doc ? 0 : oom();

	if (err == 0 &&
	    ((err = put_hex(doc, "box_pk", box_pk, TSM_PK_LEN)) < 0 ||
	     (err = tsm_json_put_string(doc, "name", name)) < 0 ||
	     (err = tsm_json_put_string(doc, "role", role)) < 0 ||
	     (err = put_hex(doc, "sign_pk", sign_pk, TSM_PK_LEN)) < 0 ||
	     (err = tsm_json_put_string(doc, "site", site)) < 0))
		err = err < 0 ? err : oom();
	return finish(out, NULL, doc, err);
}

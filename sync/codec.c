/* sync/codec.c — JSON encoders and strict decoders for the plaintext sync
 * documents (batch header, roster, join request, invite code). The only sync
 * file that uses cJSON; nothing of cJSON leaves it. */
#include "codec.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int corrupt(const char *what, const char *field)
{
	return tsm_error_set(TSM_ECORRUPT, "%s: bad or missing '%s'", what,
			     field);
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

/* Prints doc compactly into a malloc'd buffer of ours. */
static int print_doc(char **out, size_t *len, cJSON *doc)
{
	char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
	size_t n;

	*out = NULL;
	if (s == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	n = strlen(s);
	*out = malloc(n + 1);
	if (*out == NULL) {
		cJSON_free(s);
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	}
	memcpy(*out, s, n + 1);
	cJSON_free(s);
	if (len)
		*len = n;
	return 0;
}

static cJSON *add_hex(cJSON *obj, const char *key, const unsigned char *bin,
		      size_t len)
{
	char hex[2 * 128 + 1];

	if (len > 128)
		return NULL;
	sodium_bin2hex(hex, sizeof(hex), bin, len);
	return cJSON_AddStringToObject(obj, key, hex);
}

/* Reads obj[key] as a string of at most max-1 bytes into out. */
static int get_str(char *out, size_t max, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    strlen(v->valuestring) >= max)
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* Reads obj[key] as exactly len bytes of lowercase hex. */
static int get_hex(unsigned char *out, size_t len, const cJSON *obj,
		   const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t got = 0;

	if (!cJSON_IsString(v) || !is_hex_id(v->valuestring, 2 * len))
		return -1;
	if (sodium_hex2bin(out, len, v->valuestring, 2 * len, NULL, &got,
			   NULL) != 0 ||
	    got != len)
		return -1;
	return 0;
}

/* Reads obj[key] as a non-negative integer below 2^53. */
static int get_u64(uint64_t *out, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (d < 0 || d > 9007199254740991.0 || d != (double)(uint64_t)d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static cJSON *parse(const unsigned char *buf, size_t len)
{
	return cJSON_ParseWithLength((const char *)buf, len);
}

/* Checks the "format" and "kind" members every document starts with. */
static int check_kind(const cJSON *doc, const char *kind, const char *what)
{
	uint64_t format;
	char k[32];

	if (!cJSON_IsObject(doc))
		return tsm_error_set(TSM_ECORRUPT, "%s: not a JSON object",
				     what);
	if (get_u64(&format, doc, "format") < 0)
		return corrupt(what, "format");
	if (format != TSM_FORMAT)
		return tsm_error_set(TSM_ECORRUPT,
				     "%s: format %llu is not supported", what,
				     (unsigned long long)format);
	if (get_str(k, sizeof(k), doc, "kind") < 0 || strcmp(k, kind) != 0)
		return corrupt(what, "kind");
	return 0;
}

static cJSON *new_doc(const char *kind)
{
	cJSON *doc = cJSON_CreateObject();

	if (doc == NULL || !cJSON_AddNumberToObject(doc, "format", TSM_FORMAT) ||
	    !cJSON_AddStringToObject(doc, "kind", kind)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int tsm_codec_header_write(char **out, size_t *len, const tsm_batch_header *h)
{
	cJSON *doc = new_doc("tsm-batch"), *envs, *e;
	size_t i;
	int ok, err;

	ok = doc && cJSON_AddStringToObject(doc, "team", h->team) &&
	     cJSON_AddStringToObject(doc, "site", h->site) &&
	     add_hex(doc, "signer", h->signer, TSM_PK_LEN) &&
	     cJSON_AddNumberToObject(doc, "seq_first", (double)h->seq_first) &&
	     cJSON_AddNumberToObject(doc, "seq_last", (double)h->seq_last);
	envs = ok ? cJSON_AddArrayToObject(doc, "envelopes") : NULL;
	ok = envs != NULL;
	for (i = 0; ok && i < h->nenv; i++) {
		e = cJSON_CreateObject();
		ok = e && cJSON_AddItemToArray(envs, e) &&
		     cJSON_AddStringToObject(e, "scope", h->scope[i]);
	}
	err = ok ? print_doc(out, len, doc)
		 : tsm_error_set(TSM_ENOMEM, "out of memory");
	cJSON_Delete(doc);
	return err;
}

int tsm_codec_header_read(tsm_batch_header *out, const unsigned char *buf,
			  size_t len)
{
	static const char what[] = "batch header";
	cJSON *doc = parse(buf, len);
	const cJSON *envs, *e;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = check_kind(doc, "tsm-batch", what)) < 0)
		goto done;
	if (get_str(out->team, sizeof(out->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(out->team)) {
		err = corrupt(what, "team");
		goto done;
	}
	if (get_str(out->site, sizeof(out->site), doc, "site") < 0 ||
	    !tsm_site_id_valid(out->site)) {
		err = corrupt(what, "site");
		goto done;
	}
	if (get_hex(out->signer, TSM_PK_LEN, doc, "signer") < 0) {
		err = corrupt(what, "signer");
		goto done;
	}
	if (get_u64(&out->seq_first, doc, "seq_first") < 0 ||
	    out->seq_first == 0) {
		err = corrupt(what, "seq_first");
		goto done;
	}
	if (get_u64(&out->seq_last, doc, "seq_last") < 0 ||
	    out->seq_last < out->seq_first) {
		err = corrupt(what, "seq_last");
		goto done;
	}
	envs = cJSON_GetObjectItemCaseSensitive(doc, "envelopes");
	if (!cJSON_IsArray(envs) || cJSON_GetArraySize(envs) < 1 ||
	    cJSON_GetArraySize(envs) > TSM_ENV_MAX) {
		err = corrupt(what, "envelopes");
		goto done;
	}
	i = 0;
	cJSON_ArrayForEach(e, envs)
	{
		if (get_str(out->scope[i], TSM_SCOPE_MAX, e, "scope") < 0 ||
		    !tsm_scope_valid(out->scope[i])) {
			err = corrupt(what, "scope");
			goto done;
		}
		i++;
	}
	out->nenv = i;
	err = 0;
done:
	cJSON_Delete(doc);
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

int tsm_codec_roster_write(char **out, size_t *len, const tsm_roster *r)
{
	cJSON *doc = new_doc("tsm-roster"), *members, *m, *sites, *s;
	size_t i, j;
	int ok, err;

	ok = doc && cJSON_AddStringToObject(doc, "team", r->team) &&
	     cJSON_AddNumberToObject(doc, "version", (double)r->version) &&
	     add_hex(doc, "prev", r->prev, sizeof(r->prev));
	members = ok ? cJSON_AddArrayToObject(doc, "members") : NULL;
	ok = members != NULL;
	for (i = 0; ok && i < r->nmembers; i++) {
		const tsm_roster_member *rm = &r->members[i];

		m = cJSON_CreateObject();
		ok = m && cJSON_AddItemToArray(members, m) &&
		     cJSON_AddStringToObject(m, "member", rm->member) &&
		     cJSON_AddStringToObject(m, "role", rm->role);
		sites = ok ? cJSON_AddArrayToObject(m, "sites") : NULL;
		ok = sites != NULL;
		for (j = 0; ok && j < rm->nsites; j++) {
			const tsm_roster_site *rs = &rm->sites[j];

			s = cJSON_CreateObject();
			ok = s && cJSON_AddItemToArray(sites, s) &&
			     cJSON_AddStringToObject(s, "site", rs->site) &&
			     add_hex(s, "sign_pk", rs->sign_pk, TSM_PK_LEN) &&
			     add_hex(s, "box_pk", rs->box_pk, TSM_PK_LEN) &&
			     add_hex(s, "team_key_sealed", rs->sealed,
				     TSM_SEALED_LEN);
		}
	}
	err = ok ? print_doc(out, len, doc)
		 : tsm_error_set(TSM_ENOMEM, "out of memory");
	cJSON_Delete(doc);
	return err;
}

static int read_site(tsm_roster_site *rs, const cJSON *s)
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

int tsm_codec_roster_read(tsm_roster **out, const unsigned char *buf,
			  size_t len)
{
	static const char what[] = "roster";
	cJSON *doc = parse(buf, len);
	const cJSON *members, *m, *sites, *s;
	tsm_roster *r = NULL;
	size_t i, j, n;
	int err;

	*out = NULL;
	if ((err = check_kind(doc, "tsm-roster", what)) < 0)
		goto done;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	if (get_str(r->team, sizeof(r->team), doc, "team") < 0 ||
	    !tsm_team_id_valid(r->team)) {
		err = corrupt(what, "team");
		goto done;
	}
	if (get_u64(&r->version, doc, "version") < 0 || r->version == 0) {
		err = corrupt(what, "version");
		goto done;
	}
	if (get_hex(r->prev, sizeof(r->prev), doc, "prev") < 0) {
		err = corrupt(what, "prev");
		goto done;
	}
	members = cJSON_GetObjectItemCaseSensitive(doc, "members");
	if (!cJSON_IsArray(members)) {
		err = corrupt(what, "members");
		goto done;
	}
	n = (size_t)cJSON_GetArraySize(members);
	r->members = calloc(n ? n : 1, sizeof(*r->members));
	if (r->members == NULL) {
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
		goto done;
	}
	i = 0;
	cJSON_ArrayForEach(m, members)
	{
		tsm_roster_member *rm = &r->members[i];

		r->nmembers = ++i;
		if (get_str(rm->member, sizeof(rm->member), m, "member") < 0 ||
		    !tsm_member_id_valid(rm->member)) {
			err = corrupt(what, "member");
			goto done;
		}
		if (get_str(rm->role, sizeof(rm->role), m, "role") < 0 ||
		    !tsm_role_valid(rm->role)) {
			err = corrupt(what, "role");
			goto done;
		}
		sites = cJSON_GetObjectItemCaseSensitive(m, "sites");
		if (!cJSON_IsArray(sites)) {
			err = corrupt(what, "sites");
			goto done;
		}
		rm->sites = calloc((size_t)cJSON_GetArraySize(sites) + 1,
				   sizeof(*rm->sites));
		if (rm->sites == NULL) {
			err = tsm_error_set(TSM_ENOMEM, "out of memory");
			goto done;
		}
		j = 0;
		cJSON_ArrayForEach(s, sites)
		{
			if ((err = read_site(&rm->sites[j], s)) < 0)
				goto done;
			rm->nsites = ++j;
		}
	}
	*out = r;
	r = NULL;
	err = 0;
done:
	tsm_roster_free(r);
	cJSON_Delete(doc);
	return err;
}

int tsm_codec_join_write(char **out, size_t *len, const tsm_join *j)
{
	cJSON *doc = new_doc("tsm-join");
	int ok, err;

	ok = doc && cJSON_AddStringToObject(doc, "team", j->team) &&
	     cJSON_AddStringToObject(doc, "member", j->member) &&
	     cJSON_AddStringToObject(doc, "site", j->site) &&
	     add_hex(doc, "sign_pk", j->sign_pk, TSM_PK_LEN) &&
	     add_hex(doc, "box_pk", j->box_pk, TSM_PK_LEN) &&
	     add_hex(doc, "mac", j->mac, TSM_MAC_LEN);
	err = ok ? print_doc(out, len, doc)
		 : tsm_error_set(TSM_ENOMEM, "out of memory");
	cJSON_Delete(doc);
	return err;
}

int tsm_codec_join_read(tsm_join *out, const unsigned char *buf, size_t len)
{
	static const char what[] = "join request";
	cJSON *doc = parse(buf, len);
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = check_kind(doc, "tsm-join", what)) < 0)
		goto done;
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
done:
	cJSON_Delete(doc);
	return err;
}

int tsm_codec_invite_write(char **out, const tsm_invite *inv)
{
	cJSON *doc = new_doc("tsm-invite");
	char *json = NULL;
	size_t len = 0, cap;
	int ok, err;

	*out = NULL;
	ok = doc && cJSON_AddStringToObject(doc, "team", inv->team) &&
	     cJSON_AddStringToObject(doc, "remote", inv->remote) &&
	     add_hex(doc, "root", inv->root, TSM_FPR_LEN) &&
	     cJSON_AddStringToObject(doc, "member", inv->member) &&
	     cJSON_AddStringToObject(doc, "role", inv->role) &&
	     add_hex(doc, "secret", inv->secret, TSM_SECRET_LEN);
	err = ok ? print_doc(&json, &len, doc)
		 : tsm_error_set(TSM_ENOMEM, "out of memory");
	cJSON_Delete(doc);
	if (err < 0)
		return err;
	cap = sodium_base64_ENCODED_LEN(len,
					sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	*out = malloc(cap);
	if (*out == NULL)
		err = tsm_error_set(TSM_ENOMEM, "out of memory");
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
	cJSON *doc = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (json == NULL)
		return tsm_error_set(TSM_ENOMEM, "out of memory");
	if (sodium_base642bin(json, clen, code, clen, " \n\r\t", &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		err = tsm_error_set(TSM_EINVALID,
				    "not an invite code (bad base64url)");
		goto done;
	}
	doc = parse(json, len);
	if (check_kind(doc, "tsm-invite", what) < 0) {
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
	else
		err = 0;
	if (err < 0)
		err = tsm_error_set(TSM_EINVALID, "%s",
				    tsm_error_last()->message);
done:
	cJSON_Delete(doc);
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
	cJSON *doc = parse(buf, len);
	const cJSON *op, *ops;
	char site[TSM_SITE_LEN + 1], author[TSM_MEMBER_MAX];
	uint64_t seq;
	int err = 0;

	ops = doc;
	if (cJSON_IsObject(doc))
		ops = cJSON_GetObjectItemCaseSensitive(doc, "ops");
	if (!cJSON_IsArray(ops)) {
		err = tsm_error_set(TSM_ECORRUPT, "%s: not an array of ops",
				    what);
		goto done;
	}
	cJSON_ArrayForEach(op, ops)
	{
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
	cJSON_Delete(doc);
	return err;
}

int tsm_codec_grant_value(char **out, const char *role, const char *name,
			  const char *site, const unsigned char *sign_pk,
			  const unsigned char *box_pk)
{
	cJSON *doc = cJSON_CreateObject();
	int ok, err;

	ok = doc && add_hex(doc, "box_pk", box_pk, TSM_PK_LEN) &&
	     cJSON_AddStringToObject(doc, "name", name) &&
	     cJSON_AddStringToObject(doc, "role", role) &&
	     add_hex(doc, "sign_pk", sign_pk, TSM_PK_LEN) &&
	     cJSON_AddStringToObject(doc, "site", site);
	err = ok ? print_doc(out, NULL, doc)
		 : tsm_error_set(TSM_ENOMEM, "out of memory");
	cJSON_Delete(doc);
	return err;
}

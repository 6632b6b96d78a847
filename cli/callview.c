/* cli/callview.c — the calling card and script `call next` and `dial`
 * print, the "nothing to call" explanation and the JSON of a choice. */
#include "callview.h"

#include "cli.h"
#include "tsm/phone.h"
#include "tsm/script.h"
#include "tsm/when.h"

#include <stdlib.h>
#include <string.h>

int cv_script_lang(const char *phone)
{
	if (phone && *phone && strncmp(phone, "+86", 3) != 0)
		return TSM_SCRIPT_EN;
	return TSM_SCRIPT_ZH;
}

int cv_script_check(tsm_store *store, const char *name)
{
	tsm_script *s = NULL;

	if (name == NULL)
		return 0;
	if (tsm_script_get(&s, store, name) < 0)
		return cli_fail();
	tsm_script_free(s);
	return 0;
}

/* The script for customer c: its name and language into *name and *lang,
 * its rendered text into *text (free() it). 0 or an exit code. */
static int card_script(char **text, const char **name, int *lang,
		       tsm_store *store, const tsm_customer *c,
		       const char *script)
{
	tsm_script *s = NULL;

	*lang = cv_script_lang(c->f[TSM_CF_PHONE]);
	*name = *lang == TSM_SCRIPT_EN ? TSM_SCRIPT_DEFAULT_EN
				       : TSM_SCRIPT_DEFAULT_ZH;
	if (script) {
		/* A script is in its own language, whatever the number. */
		if (tsm_script_get(&s, store, script) < 0)
			return cli_fail();
		*lang = s->lang;
		*name = script;
		tsm_script_free(s);
	}
	if (tsm_script_render(text, store, *name, c->id, *lang) < 0)
		return cli_fail();
	return 0;
}

const char *cv_time(char *buf, size_t len, int64_t ms)
{
	if (ms <= 0 || tsm_when_format(buf, len, ms) < 0)
		buf[0] = '\0';
	return buf;
}

void cv_put_talk(FILE *f, int64_t s)
{
	if (s >= 3600)
		fprintf(f, "%lldh%02lldm%02llds", (long long)(s / 3600),
			(long long)(s % 3600 / 60), (long long)(s % 60));
	else if (s >= 60)
		fprintf(f, "%lldm%02llds", (long long)(s / 60),
			(long long)(s % 60));
	else
		fprintf(f, "%llds", (long long)s);
}

/* Appends "; " (when not first) and a formatted part to buf. */
static void part(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void part(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	if (buf[used - 1] != ' ') {
		snprintf(buf + used, len - used, "; ");
		used = strlen(buf);
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static const char *plural(size_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

void cv_nothing(char *buf, size_t len, const tsm_call_next *n)
{
	char t[TSM_WHEN_FORMAT_MAX];

	snprintf(buf, len, "nothing to call now: ");
	if (n->candidates == 0)
		part(buf, len,
		     "no due follow-ups, revisits or new leads on "
		     "your list");
	if (n->retry)
		part(buf, len, "%zu %s for the retry delay (next at %s)",
		     n->retry,
		     plural(n->retry, "customer waits", "customers wait"),
		     cv_time(t, sizeof(t), n->next_retry));
	if (n->hours)
		part(buf, len, "%zu outside calling hours (next opening %s)",
		     n->hours, cv_time(t, sizeof(t), n->next_open));
	if (n->exhausted)
		part(buf, len, "%zu reached the maximum attempts",
		     n->exhausted);
	if (n->scheduled)
		part(buf, len, "%zu %s for a scheduled follow-up", n->scheduled,
		     plural(n->scheduled, "waits", "wait"));
	if (n->dnc)
		part(buf, len, "%zu on the do-not-call list", n->dnc);
	if (n->invalid)
		part(buf, len, "%zu with an invalid number", n->invalid);
	if (n->skipped)
		part(buf, len, "%zu skipped in this session", n->skipped);
	if (n->next_due)
		part(buf, len, "next follow-up due %s",
		     cv_time(t, sizeof(t), n->next_due));
}

static const char *reason_text(char *buf, size_t len, const tsm_call_next *n)
{
	char t[TSM_WHEN_FORMAT_MAX];

	switch (n->why) {
	case TSM_NEXT_CALLBACK:
		snprintf(buf, len, "callback due %s",
			 cv_time(t, sizeof(t), n->due));
		break;
	case TSM_NEXT_FOLLOWUP:
		snprintf(buf, len, "follow-up due %s",
			 cv_time(t, sizeof(t), n->due));
		break;
	case TSM_NEXT_REVISIT:
		snprintf(buf, len, "revisit due %s",
			 cv_time(t, sizeof(t), n->due));
		break;
	default:
		snprintf(buf, len, "new lead");
	}
	return buf;
}

static const tsm_card_followup *find_followup(const tsm_customer_card *k,
					      const char *id)
{
	size_t i;

	for (i = 0; i < k->nfollowups; i++)
		if (strcmp(k->followups[i].id, id) == 0)
			return &k->followups[i];
	return NULL;
}

static void field(FILE *f, const char *label, const char *v)
{
	if (v && *v)
		fprintf(f, "  %-10s %s\n", label, v);
}

int cv_print_card(FILE *f, tsm_store *store, const tsm_call_next *next,
		  const char *script_name)
{
	tsm_customer_card *k = NULL;
	const tsm_customer *c;
	const tsm_card_followup *fu;
	char why[96], t[TSM_WHEN_FORMAT_MAX], disp[TSM_PHONE_DISPLAY_MAX];
	char *script = NULL;
	const char *phone, *name;
	size_t i;
	int lang, rc;

	if (tsm_customer_card_get(&k, store, next->customer, 0, CV_LAST_CALLS) <
	    0)
		return cli_fail();
	c = &k->c;
	phone = c->f[TSM_CF_PHONE];
	fprintf(f, "== %s%s%s  %s  [%s]\n",
		c->f[TSM_CF_NAME] ? c->f[TSM_CF_NAME] : "(no name)",
		c->f[TSM_CF_SALUTATION] ? " " : "",
		c->f[TSM_CF_SALUTATION] ? c->f[TSM_CF_SALUTATION] : "", c->id,
		reason_text(why, sizeof(why), next));
	if (phone) {
		if (tsm_phone_format(disp, sizeof(disp), phone) < 0)
			snprintf(disp, sizeof(disp), "%s", phone);
		fprintf(f, "  %-10s %s  (%s)\n", "phone", disp, next->zone);
	}
	field(f, "company", c->f[TSM_CF_COMPANY]);
	field(f, "industry", c->f[TSM_CF_INDUSTRY]);
	field(f, "region", c->f[TSM_CF_REGION]);
	fprintf(f, "  %-10s %s", "stage", c->stage);
	if (c->f[TSM_CF_PRIORITY])
		fprintf(f, "   priority %s", c->f[TSM_CF_PRIORITY]);
	fprintf(f, "\n");
	field(f, "needs", c->f[TSM_CF_NEEDS]);
	field(f, "tags", c->f[TSM_CF_TAGS]);
	if (next->followup[0]) {
		fu = find_followup(k, next->followup);
		if (fu && fu->note)
			fprintf(f, "  %-10s %s\n", "follow-up", fu->note);
	}
	if (k->ncalls) {
		fprintf(f, "  last calls (%lld in all):\n",
			(long long)c->calls);
		for (i = 0; i < k->ncalls && i < CV_LAST_CALLS; i++) {
			fprintf(f, "    %s  %-14s ",
				cv_time(t, sizeof(t), k->calls[i].at),
				k->calls[i].outcome);
			cv_put_talk(f, k->calls[i].duration_s);
			if (k->calls[i].note)
				fprintf(f, "  %s", k->calls[i].note);
			fprintf(f, "\n");
		}
	}
	if (k->nnotes) {
		fprintf(f, "  last notes:\n");
		for (i = 0; i < k->nnotes && i < CV_LAST_NOTES; i++)
			fprintf(f, "    %s  %s\n",
				cv_time(t, sizeof(t), k->notes[i].at),
				k->notes[i].text);
	}
	rc = card_script(&script, &name, &lang, store, c, script_name);
	if (rc != 0) {
		tsm_customer_card_free(k);
		return rc;
	}
	fprintf(f, "-- script %s --\n%s", name, script);
	if (*script && script[strlen(script) - 1] != '\n')
		fputc('\n', f);
	free(script);
	tsm_customer_card_free(k);
	return 0;
}

static void json_counts(jsonw *w, const tsm_call_next *n)
{
	jw_key(w, "skipped");
	jw_object(w);
	jw_kv_int(w, "dnc", (int64_t)n->dnc);
	jw_kv_int(w, "session", (int64_t)n->skipped);
	jw_kv_int(w, "invalid_number", (int64_t)n->invalid);
	jw_kv_int(w, "exhausted", (int64_t)n->exhausted);
	jw_kv_int(w, "outside_hours", (int64_t)n->hours);
	jw_kv_int(w, "retry_delay", (int64_t)n->retry);
	jw_kv_int(w, "scheduled", (int64_t)n->scheduled);
	jw_end_object(w);
	jw_time(w, "next_open", n->next_open);
	jw_time(w, "next_retry", n->next_retry);
	jw_time(w, "next_due", n->next_due);
	jw_kv_int(w, "candidates", (int64_t)n->candidates);
}

int cv_json_next(jsonw *w, tsm_store *store, const tsm_call_next *next,
		 const char *script_name)
{
	tsm_customer_card *k = NULL;
	const tsm_customer *c;
	char msg[512], disp[TSM_PHONE_DISPLAY_MAX];
	char *script = NULL;
	const char *name;
	size_t i;
	int lang, f, rc;

	jw_object(w);
	jw_time(w, "now", next->now);
	jw_kv_string(w, "reason", tsm_call_next_reason_name(next->why));
	if (next->why == TSM_NEXT_NONE) {
		cv_nothing(msg, sizeof(msg), next);
		jw_key(w, "customer");
		jw_null(w);
		jw_kv_string(w, "message", msg);
		json_counts(w, next);
		jw_end_object(w);
		return 0;
	}
	if (tsm_customer_card_get(&k, store, next->customer, 0, CV_LAST_CALLS) <
	    0)
		return cli_fail();
	c = &k->c;
	rc = card_script(&script, &name, &lang, store, c, script_name);
	if (rc != 0) {
		tsm_customer_card_free(k);
		return rc;
	}
	jw_kv_string(w, "followup", next->followup[0] ? next->followup : NULL);
	jw_time(w, "due", next->due);
	jw_key(w, "customer");
	jw_object(w);
	jw_kv_string(w, "id", c->id);
	for (f = 0; f < TSM_CF_COUNT; f++)
		if (f != TSM_CF_STAGE)
			jw_kv_string(w, tsm_customer_field_name(f), c->f[f]);
	jw_kv_string(w, "phone_display",
		     c->f[TSM_CF_PHONE] &&
			     tsm_phone_format(disp, sizeof(disp),
					      c->f[TSM_CF_PHONE]) == 0
			 ? disp
			 : NULL);
	jw_kv_string(w, "stage", c->stage);
	jw_kv_string(w, "zone", next->zone);
	jw_kv_int(w, "calls", c->calls);
	jw_end_object(w);
	jw_key(w, "last_calls");
	jw_array(w);
	for (i = 0; i < k->ncalls && i < CV_LAST_CALLS; i++) {
		jw_object(w);
		jw_kv_string(w, "id", k->calls[i].id);
		jw_time(w, "at", k->calls[i].at);
		jw_kv_string(w, "outcome", k->calls[i].outcome);
		jw_kv_int(w, "duration_s", k->calls[i].duration_s);
		jw_kv_string(w, "note", k->calls[i].note);
		jw_kv_string(w, "author", k->calls[i].author);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_key(w, "last_notes");
	jw_array(w);
	for (i = 0; i < k->nnotes && i < CV_LAST_NOTES; i++) {
		jw_object(w);
		jw_time(w, "at", k->notes[i].at);
		jw_kv_string(w, "text", k->notes[i].text);
		jw_kv_string(w, "author", k->notes[i].author);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_key(w, "script");
	jw_object(w);
	jw_kv_string(w, "name", name);
	jw_kv_string(w, "lang", lang == TSM_SCRIPT_EN ? "en" : "zh");
	jw_kv_string(w, "text", script);
	jw_end_object(w);
	json_counts(w, next);
	jw_end_object(w);
	free(script);
	tsm_customer_card_free(k);
	return 0;
}

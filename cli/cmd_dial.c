/* cli/cmd_dial.c — `tsm dial`: an interactive calling session on one open
 * store (one unlock): next customer, card and script, then line-based
 * prompts for the outcome, talk time, note and follow-up; a summary at the
 * end. Prompts go to stderr so that stdout stays a clean record; it works
 * the same from a terminal or a pipe. */
#include "callview.h"
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/call.h"
#include "tsm/followup.h"
#include "tsm/money.h"
#include "tsm/order.h"
#include "tsm/when.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_dial;

#define LINE_MAX_LEN 4096

/* One call logged in the session. */
struct logged {
	char call[TSM_OPID_MAX];
	char customer[TSM_CUSTOMER_ID_MAX];
	int outcome;
	int64_t duration_s;
	char followup[TSM_FOLLOWUP_ID_MAX];
	char order[TSM_ORDER_ID_MAX];
};

struct session {
	FILE *out;  /* cards and results: stdout, or stderr with --json */
	char **ids; /* customers passed over for the rest of the session */
	size_t nids, cap;
	struct logged *log;
	size_t nlog, logcap;
	size_t skipped, followups, orders, failed;
	size_t by_outcome[TSM_OUTCOME_COUNT];
	int64_t talk_s, revenue_fen;
	const char *ended; /* quit, end of input, limit, nothing to call */
};

enum { ASK_OK = 0, ASK_EOF = -1 };

/* Prompts on stderr and reads one line from stdin into buf (no newline,
 * surrounding spaces trimmed). ASK_EOF at the end of input. */
static int ask(char *buf, size_t len, const char *prompt)
{
	size_t n;
	char *p;
	int ch;

	fputs(prompt, stderr);
	fflush(stderr);
	if (fgets(buf, (int)len, stdin) == NULL)
		return ASK_EOF;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else {
		/* A line longer than buf: drop the rest. */
		while ((ch = getchar()) != EOF && ch != '\n')
			;
	}
	while (n &&
	       (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	if (p != buf)
		memmove(buf, p, strlen(p) + 1);
	return ASK_OK;
}

static int pass_over(struct session *s, const char *id)
{
	char **v;

	if (s->nids == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		v = realloc(s->ids, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		s->ids = v;
		s->cap = cap;
	}
	if ((s->ids[s->nids] = strdup(id)) == NULL)
		return -1;
	s->nids++;
	return 0;
}

/* The outcome typed: a name, a unique prefix or its number (1..10);
 * -2 for skip, -3 for quit, -1 when not understood. */
static int read_outcome(const char *s)
{
	int i, found = -1, n = 0;
	size_t len = strlen(s);
	char *end;
	long k;

	if (strcmp(s, "q") == 0 || strcmp(s, "quit") == 0)
		return -3;
	if (strcmp(s, "s") == 0 || strcmp(s, "skip") == 0)
		return -2;
	if (len == 0)
		return -1;
	if (*s >= '0' && *s <= '9') {
		k = strtol(s, &end, 10);
		if (*end == '\0' && k >= 1 && k <= TSM_OUTCOME_COUNT)
			return (int)k - 1;
		return -1;
	}
	for (i = 0; i < TSM_OUTCOME_COUNT; i++) {
		if (strcmp(tsm_call_outcome_name(i), s) == 0)
			return i;
		if (strncmp(tsm_call_outcome_name(i), s, len) == 0) {
			found = i;
			n++;
		}
	}
	return n == 1 ? found : -1;
}

static const char outcome_prompt[] =
    "outcome [1 no-answer, 2 busy, 3 invalid-number, 4 gatekeeper, "
    "5 not-interested, 6 callback, 7 interested, 8 order, "
    "9 dnc-request, 10 revisit-done; s=skip, q=quit]: ";

/* Asks the order's fields; ASK_EOF at the end of input. */
static int ask_order(tsm_store *store, tsm_call_entry *e, char *service,
		     char *buf, size_t len)
{
	char *end;
	long v;

	for (;;) {
		if (ask(buf, len, "service: ") == ASK_EOF)
			return ASK_EOF;
		if (tsm_product_resolve(service, store, buf) == 0)
			break;
		cli_fail();
	}
	e->service = service;
	for (;;) {
		int64_t fen = 0;
		int perr;

		if (ask(buf, len, "amount (yuan): ") == ASK_EOF)
			return ASK_EOF;
		perr = tsm_money_parse_yuan(&fen, buf);
		if (perr == 0 && fen > 0) {
			e->amount_fen = fen;
			break;
		}
		if (perr < 0)
			cli_fail();
		else
			cli_error("the amount must be more than 0");
	}
	for (;;) {
		if (ask(buf, len, "term in months [empty: the product's]: ") ==
		    ASK_EOF)
			return ASK_EOF;
		if (*buf == '\0')
			break;
		v = strtol(buf, &end, 10);
		if (*buf >= '0' && *buf <= '9' && *end == '\0' && v >= 1 &&
		    v <= 1200) {
			e->term_months = (int)v;
			break;
		}
		cli_error("invalid term '%s': expected a number of months",
			  buf);
	}
	return ASK_OK;
}

/* Asks a revisit's satisfaction, feedback and complaint. */
static int ask_revisit(tsm_call_entry *e, char *feedback, char *complaint,
		       char *buf, size_t len)
{
	for (;;) {
		if (ask(buf, len, "satisfaction 1-5: ") == ASK_EOF)
			return ASK_EOF;
		if (strlen(buf) == 1 && buf[0] >= '1' && buf[0] <= '5') {
			e->satisfaction = buf[0] - '0';
			break;
		}
		cli_error("invalid satisfaction '%s': expected 1 to 5", buf);
	}
	if (ask(feedback, len, "feedback [empty: none]: ") == ASK_EOF)
		return ASK_EOF;
	if (ask(complaint, len, "complaint [empty: none]: ") == ASK_EOF)
		return ASK_EOF;
	e->feedback = *feedback ? feedback : NULL;
	e->complaint = *complaint ? complaint : NULL;
	return ASK_OK;
}

/* Buffers for one customer's answers. */
struct answers {
	char line[LINE_MAX_LEN];
	char note[LINE_MAX_LEN];
	char feedback[LINE_MAX_LEN];
	char complaint[LINE_MAX_LEN];
	char service[TSM_PRODUCT_ID_MAX];
};

/* Asks about the call on next's customer and logs it. Returns 1 when a
 * call was logged, 0 when skipped or not logged, ASK_EOF / -3 to end. */
static int one_customer(struct session *s, tsm_store *store,
			const tsm_call_next *next, struct answers *a)
{
	tsm_call_entry e = TSM_CALL_ENTRY_INIT;
	tsm_call_logged r;
	struct logged *l;
	char t[TSM_WHEN_FORMAT_MAX];
	int o;

	for (;;) {
		if (ask(a->line, sizeof(a->line), outcome_prompt) == ASK_EOF)
			return ASK_EOF;
		o = read_outcome(a->line);
		if (o >= 0 || o == -2 || o == -3)
			break;
		cli_error("unknown outcome '%s'; expected one of %s, s or q",
			  a->line, tsm_call_outcome_names());
	}
	if (o == -3)
		return -3;
	if (o == -2) {
		s->skipped++;
		fprintf(s->out, "skipped %s\n", next->customer);
		return pass_over(s, next->customer) < 0 ? -4 : 0;
	}
	e.customer = next->customer;
	e.outcome = o;
	for (;;) {
		if (ask(a->line, sizeof(a->line),
			"talk time [seconds or MM:SS, empty: 0]: ") == ASK_EOF)
			return ASK_EOF;
		if (*a->line == '\0' ||
		    tsm_call_duration_parse(&e.duration_s, a->line) == 0)
			break;
		cli_fail();
	}
	if (o == TSM_OUTCOME_ORDER && ask_order(store, &e, a->service, a->line,
						sizeof(a->line)) == ASK_EOF)
		return ASK_EOF;
	if (o == TSM_OUTCOME_REVISIT_DONE &&
	    ask_revisit(&e, a->feedback, a->complaint, a->line,
			sizeof(a->line)) == ASK_EOF)
		return ASK_EOF;
	if (ask(a->note, sizeof(a->note), "note [empty: none]: ") == ASK_EOF)
		return ASK_EOF;
	e.note = *a->note ? a->note : NULL;
	for (;;) {
		if (ask(a->line, sizeof(a->line),
			"follow-up WHEN [empty: none]: ") == ASK_EOF)
			return ASK_EOF;
		if (*a->line == '\0' ||
		    tsm_followup_parse_due(&e.followup_due, a->line) == 0)
			break;
		cli_fail();
	}
	/* Whatever happens, this customer is done for the session. */
	if (pass_over(s, next->customer) < 0)
		return -4;
	if (tsm_call_log(&r, store, &e) < 0) {
		cli_fail();
		s->failed++;
		return 0;
	}
	if (s->nlog == s->logcap) {
		size_t cap = s->logcap ? 2 * s->logcap : 16;
		struct logged *v = realloc(s->log, cap * sizeof(*v));

		if (v == NULL)
			return -4;
		s->log = v;
		s->logcap = cap;
	}
	l = &s->log[s->nlog++];
	memset(l, 0, sizeof(*l));
	snprintf(l->call, sizeof(l->call), "%s", r.call);
	snprintf(l->customer, sizeof(l->customer), "%s", r.customer);
	snprintf(l->followup, sizeof(l->followup), "%s", r.followup);
	snprintf(l->order, sizeof(l->order), "%s", r.order);
	l->outcome = o;
	l->duration_s = e.duration_s;
	s->by_outcome[o]++;
	s->talk_s += e.duration_s;
	if (r.followup[0])
		s->followups++;
	if (r.order[0]) {
		s->orders++;
		s->revenue_fen += e.amount_fen;
	}
	fprintf(s->out, "logged %s for %s", tsm_call_outcome_name(o),
		r.customer);
	if (strcmp(r.stage, r.stage_before) != 0)
		fprintf(s->out, " (stage %s -> %s)", r.stage_before, r.stage);
	if (r.followup[0])
		fprintf(s->out, "; follow-up %s due %s", r.followup,
			cv_time(t, sizeof(t), r.followup_due));
	if (r.order[0])
		fprintf(s->out, "; order %s", r.order);
	fprintf(s->out, "\n\n");
	return 1;
}

static void summary_text(const struct session *s)
{
	char money[TSM_MONEY_FORMAT_MAX];
	int i, first = 1;

	printf("session: %zu call%s, talk time ", s->nlog,
	       s->nlog == 1 ? "" : "s");
	cv_put_talk(stdout, s->talk_s);
	printf(" (%s)\n", s->ended);
	if (s->nlog) {
		printf("  ");
		for (i = 0; i < TSM_OUTCOME_COUNT; i++) {
			if (!s->by_outcome[i])
				continue;
			printf("%s%s %zu", first ? "" : ", ",
			       tsm_call_outcome_name(i), s->by_outcome[i]);
			first = 0;
		}
		printf("\n");
	}
	if (tsm_money_format(money, sizeof(money), s->revenue_fen) < 0)
		money[0] = '\0';
	printf("  follow-ups set %zu, orders %zu (¥%s), skipped %zu",
	       s->followups, s->orders, money, s->skipped);
	if (s->failed)
		printf(", not logged %zu", s->failed);
	printf("\n");
}

static void summary_json(const struct session *s)
{
	jsonw w;
	size_t i;
	int k;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_int(&w, "calls", (int64_t)s->nlog);
	jw_key(&w, "by_outcome");
	jw_object(&w);
	for (k = 0; k < TSM_OUTCOME_COUNT; k++)
		if (s->by_outcome[k])
			jw_kv_int(&w, tsm_call_outcome_name(k),
				  (int64_t)s->by_outcome[k]);
	jw_end_object(&w);
	jw_kv_int(&w, "talk_s", s->talk_s);
	jw_kv_int(&w, "followups", (int64_t)s->followups);
	jw_kv_int(&w, "orders", (int64_t)s->orders);
	jw_kv_int(&w, "revenue_fen", s->revenue_fen);
	jw_kv_int(&w, "skipped", (int64_t)s->skipped);
	jw_kv_int(&w, "failed", (int64_t)s->failed);
	jw_kv_string(&w, "ended", s->ended);
	jw_key(&w, "logged");
	jw_array(&w);
	for (i = 0; i < s->nlog; i++) {
		jw_object(&w);
		jw_kv_string(&w, "call", s->log[i].call);
		jw_kv_string(&w, "customer", s->log[i].customer);
		jw_kv_string(&w, "outcome",
			     tsm_call_outcome_name(s->log[i].outcome));
		jw_kv_int(&w, "duration_s", s->log[i].duration_s);
		jw_kv_string(&w, "followup",
			     s->log[i].followup[0] ? s->log[i].followup : NULL);
		jw_kv_string(&w, "order",
			     s->log[i].order[0] ? s->log[i].order : NULL);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static int dial_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"limit", required_argument, NULL, 'l'},
	    {"any-time", no_argument, NULL, 'a'},
	    {"script", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	tsm_call_next_opts o = TSM_CALL_NEXT_OPTS_INIT;
	struct session s;
	struct answers *a = NULL;
	tsm_call_next next;
	const char *script = NULL;
	char msg[512], *end;
	long limit = 0;
	size_t i;
	int c, r, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    limit < 1) {
				cli_error("invalid limit '%s': expected a "
					  "number of calls",
					  optarg);
				return EXIT_ERR;
			}
			break;
		case 'a':
			o.any_time = 1;
			break;
		case 's':
			script = optarg;
			break;
		default:
			return cli_option_error(&cmd_dial, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_dial, "unexpected argument '%s'",
				 argv[optind]);
	if ((rc = cv_script_check(ctx->store, script)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.out = ctx->json ? stderr : stdout;
	s.ended = "quit";
	if ((a = malloc(sizeof(*a))) == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	for (;;) {
		if (limit && s.nlog >= (size_t)limit) {
			s.ended = "limit reached";
			break;
		}
		o.skip = (const char *const *)s.ids;
		o.nskip = s.nids;
		if (tsm_call_next_get(&next, ctx->store, &o) < 0) {
			rc = cli_fail();
			break;
		}
		if (next.why == TSM_NEXT_NONE) {
			cv_nothing(msg, sizeof(msg), &next);
			fprintf(s.out, "%s\n", msg);
			s.ended = "nothing to call";
			break;
		}
		if ((rc = cv_print_card(s.out, ctx->store, &next, script)) != 0)
			break;
		fflush(s.out);
		r = one_customer(&s, ctx->store, &next, a);
		if (r == ASK_EOF) {
			fputc('\n', stderr);
			s.ended = "end of input";
			break;
		}
		if (r == -3)
			break;
		if (r == -4) {
			cli_error("out of memory");
			rc = EXIT_ERR;
			break;
		}
	}
	fflush(s.out);
	if (ctx->json)
		summary_json(&s);
	else
		summary_text(&s);
	for (i = 0; i < s.nids; i++)
		free(s.ids[i]);
	free(s.ids);
	free(s.log);
	free(a);
	return rc;
}

const struct cli_cmd cmd_dial = {
    .name = "dial",
    .usage = "tsm dial [--limit N] [--any-time] [--script NAME] [--json]",
    .summary = "an interactive calling session (one unlock)",
    .help =
	"Loops: the next customer (as `call next`) with card and script,\n"
	"then asks, one line each:\n"
	"  outcome   a name, a unique prefix or its number 1-10;\n"
	"            s skips this customer for the session, q quits\n"
	"  talk time seconds, MM:SS or 1m35s (empty: 0)\n"
	"  for order: service, amount (yuan), term (empty: default)\n"
	"  for revisit-done: satisfaction 1-5, feedback, complaint\n"
	"  note      (empty: none)\n"
	"  follow-up WHEN (empty: none)\n"
	"logs the call as `call log` does and goes on. Each customer\n"
	"comes up at most once per session. A bad answer is asked\n"
	"again; the end of input quits (the customer being asked about\n"
	"is not logged). Prompts go to stderr; cards, results and the\n"
	"summary to stdout, so a piped session reads answers line by\n"
	"line:  printf 'no-answer\\n\\n\\n\\nq\\n' | tsm dial\n"
	"With --json, stdout holds only the summary (a JSON object with\n"
	"the calls logged) and the cards go to stderr.\n"
	"--limit N stops after N calls; --any-time ignores calling hours;\n"
	"--script NAME shows that script on every card (see call next).\n",
    .flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
    .exec = dial_exec,
};

/* cli/cmd_sync.c — `tsm sync`: one round with the central repository; prints
 * what was sent and received per member, conflicts queued and rejections,
 * with a progress line on a terminal. */
#include "cli.h"
#include "jsonw.h"

#include "tsm/sync.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct cli_cmd cmd_sync;

struct sync_ui {
	int tty;     /* stderr is a terminal: draw a progress line */
	int drawn;   /* a progress line is on screen */
	const char *kill_at; /* TSM_TEST_KILL_AT */
};

static void on_progress(const char *what, size_t done, size_t total,
			void *payload)
{
	struct sync_ui *ui = payload;

	if (!ui->tty)
		return;
	if (total)
		fprintf(stderr, "\rsync: %s %zu/%zu\033[K", what, done, total);
	else if (done)
		fprintf(stderr, "\rsync: %s %zu\033[K", what, done);
	else
		fprintf(stderr, "\rsync: %s...\033[K", what);
	ui->drawn = 1;
}

/* Test hook: TSM_TEST_KILL_AT=during-apply|batched|before-push|after-push
 * kills this process at that point, as a crash or kill -9 would. */
static void on_checkpoint(const char *point, void *payload)
{
	struct sync_ui *ui = payload;

	if (ui->kill_at && strcmp(ui->kill_at, point) == 0) {
		fflush(stdout);
		raise(SIGKILL);
	}
}

static void print_json(const tsm_sync_report *r)
{
	size_t i;
	jsonw w;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_int(&w, "sent", (int64_t)r->sent);
	jw_kv_int(&w, "batches", (int64_t)r->batches);
	jw_kv_int(&w, "received", (int64_t)r->received);
	jw_kv_int(&w, "duplicates", (int64_t)r->duplicates);
	jw_kv_int(&w, "conflicts", (int64_t)r->conflicts);
	jw_kv_int(&w, "rejected_ops", (int64_t)r->rejected_ops);
	jw_kv_int(&w, "admitted", (int64_t)r->admitted);
	jw_kv_bool(&w, "admitted_self", r->admitted_self);
	jw_kv_bool(&w, "pending", r->pending);
	jw_kv_int(&w, "roster_version", (int64_t)r->roster_version);
	jw_key(&w, "members");
	jw_array(&w);
	for (i = 0; i < r->nmembers; i++) {
		jw_object(&w);
		jw_kv_string(&w, "member", r->members[i].member);
		jw_kv_int(&w, "sent", (int64_t)r->members[i].sent);
		jw_kv_int(&w, "received", (int64_t)r->members[i].received);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "rejections");
	jw_array(&w);
	for (i = 0; i < r->nrejections; i++) {
		jw_object(&w);
		jw_kv_string(&w, "ref", r->rejections[i].ref);
		jw_kv_string(&w, "commit", r->rejections[i].commit[0]
						   ? r->rejections[i].commit
						   : NULL);
		jw_kv_string(&w, "reason", r->rejections[i].reason);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	jw_finish(&w);
}

static void print_text(const tsm_sync_report *r)
{
	size_t i;

	if (r->pending) {
		printf("waiting for a manager to admit this replica "
		       "(run 'tsm sync' again later)\n");
		return;
	}
	if (r->admitted_self)
		printf("admitted to the team (roster version %llu)\n",
		       (unsigned long long)r->roster_version);
	if (r->sent)
		printf("sent %zu op%s in %zu batch%s", r->sent,
		       r->sent == 1 ? "" : "s", r->batches,
		       r->batches == 1 ? "" : "es");
	else
		printf("nothing new to send");
	if (r->received)
		printf(", received %zu op%s\n", r->received,
		       r->received == 1 ? "" : "s");
	else
		printf(", nothing new received\n");
	for (i = 0; i < r->nmembers; i++)
		printf("  %-20s sent %-6zu received %zu\n",
		       r->members[i].member, r->members[i].sent,
		       r->members[i].received);
	if (r->admitted)
		printf("admitted %zu new member site%s (roster version "
		       "%llu)\n",
		       r->admitted, r->admitted == 1 ? "" : "s",
		       (unsigned long long)r->roster_version);
	if (r->conflicts)
		printf("%zu item%s queued for review (see 'tsm review "
		       "list')\n",
		       r->conflicts, r->conflicts == 1 ? "" : "s");
	if (r->rejected_ops)
		printf("%zu received op%s rejected by the team's rules\n",
		       r->rejected_ops, r->rejected_ops == 1 ? "" : "s");
	for (i = 0; i < r->nrejections; i++) {
		if (r->rejections[i].commit[0])
			printf("rejected: %s: commit %.12s: %s\n",
			       r->rejections[i].ref, r->rejections[i].commit,
			       r->rejections[i].reason);
		else
			printf("rejected: %s: %s\n", r->rejections[i].ref,
			       r->rejections[i].reason);
	}
}

static int sync_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	tsm_sync_options opts = TSM_SYNC_OPTIONS_INIT;
	tsm_sync_report rep;
	struct sync_ui ui;
	int err, rc;

	if (argc > 1)
		return cli_usage(&cmd_sync, "unexpected argument '%s'",
				 argv[1]);
	memset(&ui, 0, sizeof(ui));
	ui.tty = isatty(STDERR_FILENO) && !ctx->json;
	ui.kill_at = getenv("TSM_TEST_KILL_AT");
	opts.progress = on_progress;
	opts.checkpoint = on_checkpoint;
	opts.payload = &ui;
	err = tsm_sync(&rep, ctx->store, &opts);
	if (ui.drawn)
		fprintf(stderr, "\r\033[K");
	if (err < 0 && err != TSM_ECONFLICT) {
		tsm_sync_report_dispose(&rep);
		return cli_fail();
	}
	if (ctx->json)
		print_json(&rep);
	else
		print_text(&rep);
	rc = EXIT_OK;
	if (err == TSM_ECONFLICT) {
		rc = cli_fail();
	} else if (rep.conflicts) {
		rc = EXIT_REVIEW;
	}
	tsm_sync_report_dispose(&rep);
	return rc;
}

const struct cli_cmd cmd_sync = {
	.name = "sync",
	.usage = "tsm sync [--json]",
	.summary = "exchange ops with the team's central repository",
	.help = "Fetches what other members published, verifies every batch\n"
		"(signature, site key, sequence, history) and applies the new\n"
		"ops in one transaction, then publishes this replica's new ops\n"
		"as one signed, encrypted batch. Managers also admit pending\n"
		"join requests. Interrupting it loses nothing: run it again.\n"
		"\n"
		"Exit status 4 when items were queued for review or something\n"
		"was rejected (a forged or rewritten batch, a refused push).\n",
	.flags = CMD_NEEDS_STORE | CMD_NEEDS_UNLOCK | CMD_WRITES,
	.exec = sync_exec,
};

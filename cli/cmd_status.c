/* cli/cmd_status.c — `tsm status`: which store, whose replica, locked or
 * unlocked, where the key came from, and row counts. When locked with no
 * passphrase source it reports what it knows without the key and exits 0. */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/agent.h"
#include "tsm/identity.h"
#include "tsm/stats.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_status;

struct status {
	char path[PATH_MAX]; /* the store directory, absolute when known */
	char id[33];
	char socket[256];
	int unlocked; /* an agent holds the key */
	tsm_agent_status agent;
	int source; /* CLI_KEY_*: how status got the key, if at all */
	int has_identity;
	tsm_identity ident;
	int has_counts;
	tsm_count counts[TSM_COUNTS_MAX];
	size_t ncounts;
};

static void print_json(const struct status *s)
{
	size_t i;
	jsonw w;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kv_string(&w, "store", s->path);
	jw_kv_string(&w, "store_id", s->id);
	jw_kv_bool(&w, "locked", !s->unlocked);
	jw_key(&w, "agent");
	if (s->unlocked) {
		jw_object(&w);
		jw_kv_int(&w, "pid", s->agent.pid);
		jw_kv_string(&w, "socket", s->socket);
		jw_kv_int(&w, "timeout", s->agent.timeout);
		jw_kv_int(&w, "expires_in", s->agent.left);
		jw_kv_bool(&w, "mlocked", s->agent.mlocked);
		jw_end_object(&w);
	} else {
		jw_null(&w);
	}
	jw_kv_string(&w, "key_source", cli_key_source_name(s->source));
	jw_kv_string(&w, "member", s->has_identity ? s->ident.member : NULL);
	jw_kv_string(&w, "name", s->has_identity ? s->ident.name : NULL);
	jw_kv_string(&w, "site", s->has_identity ? s->ident.site : NULL);
	/* Row counts of the tables this store has; null without the key. */
	jw_key(&w, "counts");
	if (s->has_counts) {
		jw_object(&w);
		for (i = 0; i < s->ncounts; i++)
			jw_kv_int(&w, s->counts[i].table, s->counts[i].rows);
		jw_end_object(&w);
	} else {
		jw_null(&w);
	}
	jw_end_object(&w);
	jw_finish(&w);
}

static void print_text(const struct status *s)
{
	static const char *const how[] = {
	    [CLI_KEY_AGENT] = "from the unlock agent",
	    [CLI_KEY_FILE] = "from $TSM_PASSPHRASE_FILE",
	    [CLI_KEY_PROMPT] = "typed at the prompt",
	};
	size_t i;

	printf("store:     %s\n", s->path);
	printf("store id:  %s\n", s->id);
	if (s->unlocked) {
		printf("state:     unlocked: agent %ld forgets the key in ",
		       s->agent.pid);
		cli_put_duration(stdout, s->agent.left);
		printf(" unless used (timeout ");
		cli_put_duration(stdout, s->agent.timeout);
		printf(")\n");
	} else {
		printf("state:     locked\n");
	}
	if (s->source == CLI_KEY_NONE) {
		printf("\nrun 'tsm unlock' (or set TSM_PASSPHRASE_FILE) to see "
		       "the member, site and counts\n");
		return;
	}
	printf("key:       %s\n", how[s->source]);
	if (s->has_identity) {
		printf("member:    %s (%s)\n", s->ident.member, s->ident.name);
		printf("site:      %s\n", s->ident.site);
	} else {
		printf("member:    none (the store has no identity)\n");
	}
	for (i = 0; i < s->ncounts; i++)
		printf("%-10s %lld\n", s->counts[i].table,
		       (long long)s->counts[i].rows);
}

static int status_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"prompt", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct status *s;
	tsm_store *store = NULL;
	tsm_key *key = NULL;
	int c, err, prompt = 0, rc = EXIT_ERR;

	while ((c = getopt_long(argc, argv, ":p", opts, NULL)) != -1) {
		if (c != 'p')
			return cli_option_error(&cmd_status, c, argv);
		prompt = 1;
	}
	if (optind < argc)
		return cli_usage(&cmd_status, "unexpected argument '%s'",
				 argv[optind]);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		cli_error("out of memory");
		return EXIT_ERR;
	}
	if (tsm_store_id(s->id, ctx->dir) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (realpath(ctx->dir, s->path) == NULL)
		snprintf(s->path, sizeof(s->path), "%s", ctx->dir);
	/* A locked store is a state to report, not an error; a wrong
	 * passphrase is an error. */
	err = cli_obtain_key_ex(&key, ctx->dir, prompt ? 0 : CLI_KEY_NO_PROMPT,
				&s->source);
	if (err < 0 && err != TSM_ELOCKED) {
		rc = cli_fail();
		goto done;
	}
	/* After the key request, so the time left is the renewed one. */
	err = tsm_agent_ping(&s->agent, s->id);
	if (err < 0 && err != TSM_ENOTFOUND)
		fprintf(stderr, "tsm: warning: unlock agent: %s\n",
			tsm_error_last()->message);
	s->unlocked = err == 0;
	if (s->unlocked &&
	    tsm_agent_socket_path(s->socket, sizeof(s->socket), s->id) < 0)
		s->socket[0] = '\0';
	if (key) {
		if (tsm_store_open(&store, ctx->dir, key) < 0) {
			rc = cli_fail();
			goto done;
		}
		err = tsm_identity_get(&s->ident, store);
		if (err < 0 && err != TSM_ENOTFOUND) {
			rc = cli_fail();
			goto done;
		}
		s->has_identity = err == 0;
		if (tsm_stats_counts(s->counts, TSM_COUNTS_MAX, &s->ncounts,
				     store) < 0) {
			rc = cli_fail();
			goto done;
		}
		s->has_counts = 1;
	}
	if (ctx->json)
		print_json(s);
	else
		print_text(s);
	rc = EXIT_OK;
done:
	tsm_store_free(store);
	tsm_key_free(key);
	free(s);
	return rc;
}

const struct cli_cmd cmd_status = {
	.name = "status",
	.usage = "tsm status [--prompt] [--json]",
	.summary = "show the store, this replica's identity and lock state",
	.help =
		"Shows the store directory and id, whether an unlock agent\n"
		"holds the key (and for how long without use), where the\n"
		"key came from, the member, name and site of this replica,\n"
		"and row counts of its tables.\n"
		"\n"
		"The key comes from the unlock agent, else the file named\n"
		"by $TSM_PASSPHRASE_FILE; status does not prompt unless\n"
		"asked to. Without a key it still reports the store, its id\n"
		"and \"locked\", and exits 0.\n"
		"\n"
		"options:\n"
		"  -p, --prompt  ask for the passphrase on the terminal when\n"
		"                locked\n"
		"  --json        print one JSON object; the fields that need\n"
		"                the key are null without it\n",
	.flags = CMD_NEEDS_STORE,
	.exec = status_exec,
};

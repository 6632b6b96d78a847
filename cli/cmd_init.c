/* cli/cmd_init.c — `tsm init`: creates the encrypted store with a new
 * passphrase and this replica's identity (member, site, key pairs). */
#include "cli.h"
#include "jsonw.h"
#include "keys.h"

#include "tsm/identity.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct cli_cmd cmd_init;

static int parse_cipher(int *out, const char *s)
{
	if (strcmp(s, "xchacha20") == 0)
		*out = TSM_CIPHER_XCHACHA20POLY1305;
	else if (strcmp(s, "aes256gcm") == 0)
		*out = TSM_CIPHER_AES256GCM;
	else
		return -1;
	return 0;
}

static int parse_journal(int *out, const char *s)
{
	if (strcmp(s, "wal") == 0)
		*out = TSM_JOURNAL_WAL;
	else if (strcmp(s, "delete") == 0)
		*out = TSM_JOURNAL_DELETE;
	else
		return -1;
	return 0;
}

/* Undoes a half-made store: its files, and dir itself if init made it. */
static void remove_store(const char *dir, int remove_dir)
{
	static const char *const files[] = {
		"tsm.key", "tsm.db", "tsm.db-wal", "tsm.db-shm",
		"tsm.db-journal",
	};
	char path[PATH_MAX];
	size_t i;
	int n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (n > 0 && (size_t)n < sizeof(path))
			unlink(path);
	}
	if (remove_dir)
		rmdir(dir);
}

static const char *kdf_name(int kdf)
{
	switch (kdf) {
	case TSM_KDF_INTERACTIVE:
		return "interactive";
	case TSM_KDF_SENSITIVE:
		return "sensitive";
	default:
		return "moderate";
	}
}

static int init_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"member", required_argument, NULL, 'm'},
		{"name", required_argument, NULL, 'n'},
		{"kdf", required_argument, NULL, 'k'},
		{"cipher", required_argument, NULL, 'c'},
		{"journal", required_argument, NULL, 'J'},
		{NULL, 0, NULL, 0},
	};
	tsm_store_options o = TSM_STORE_OPTIONS_INIT;
	const char *member = NULL, *name = NULL;
	char id[33], shown[PATH_MAX];
	tsm_store *store = NULL;
	tsm_identity ident;
	char *pass = NULL;
	struct stat st;
	int c, err, rc = EXIT_ERR, dir_existed, created = 0;
	size_t len;
	jsonw w;

	o.kdf = TSM_KDF_MODERATE;
	while ((c = getopt_long(argc, argv, ":m:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			member = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'k':
			if (cli_parse_kdf(&o.kdf, optarg) < 0)
				return cli_usage(&cmd_init, "unknown kdf '%s'",
						 optarg);
			break;
		case 'c':
			if (parse_cipher(&o.cipher, optarg) < 0)
				return cli_usage(&cmd_init,
						 "unknown cipher '%s'", optarg);
			break;
		case 'J':
			if (parse_journal(&o.journal_mode, optarg) < 0)
				return cli_usage(&cmd_init,
						 "unknown journal mode '%s'",
						 optarg);
			break;
		default:
			return cli_option_error(&cmd_init, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_init, "unexpected argument '%s'",
				 argv[optind]);
	if (member == NULL || name == NULL)
		return cli_usage(&cmd_init, "--member and --name are required");
	if (!tsm_member_id_valid(member))
		return cli_usage(&cmd_init,
				 "bad member id '%s': use 1 to %d of a-z, 0-9, "
				 "'.', '_' and '-'",
				 member, TSM_MEMBER_MAX - 1);
	if (!tsm_name_valid(name))
		return cli_usage(&cmd_init,
				 "bad name: use 1 to %d bytes of UTF-8 text "
				 "without control characters",
				 TSM_NAME_MAX - 1);
	if (tsm_store_exists(ctx->dir)) {
		cli_error("a store already exists in '%s'; nothing changed",
			  ctx->dir);
		return EXIT_ERR;
	}
	dir_existed = stat(ctx->dir, &st) == 0;

	err = cli_read_passphrase(&pass, &len, "TSM_PASSPHRASE_FILE",
				  "new passphrase for the store: ", 1);
	if (err == TSM_ELOCKED)
		cli_set_error(TSM_ELOCKED,
			      "no passphrase: set TSM_PASSPHRASE_FILE or run "
			      "'tsm init' on a terminal");
	if (err < 0)
		return cli_fail();
	cli_trace_kdf();
	err = tsm_store_create(&store, ctx->dir, pass, len, &o);
	cli_passphrase_free(pass);
	if (err < 0)
		return cli_fail();
	created = 1;
	if ((err = tsm_identity_create(store, member, name)) < 0 ||
	    (err = tsm_identity_get(&ident, store)) < 0 ||
	    (err = tsm_store_id(id, ctx->dir)) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (realpath(ctx->dir, shown) == NULL)
		snprintf(shown, sizeof(shown), "%s", ctx->dir);
	if (ctx->json) {
		jw_init(&w, stdout);
		jw_object(&w);
		jw_kv_string(&w, "store", shown);
		jw_kv_string(&w, "store_id", id);
		jw_kv_string(&w, "member", ident.member);
		jw_kv_string(&w, "name", ident.name);
		jw_kv_string(&w, "site", ident.site);
		jw_kv_string(&w, "kdf", kdf_name(o.kdf));
		jw_kv_string(&w, "cipher",
			     o.cipher == TSM_CIPHER_AES256GCM ? "aes256gcm"
							      : "xchacha20");
		jw_kv_string(&w, "journal",
			     o.journal_mode == TSM_JOURNAL_DELETE ? "delete"
								  : "wal");
		jw_end_object(&w);
		jw_finish(&w);
	} else {
		printf("created an encrypted store in %s\n"
		       "  member:   %s (%s)\n"
		       "  site:     %s\n"
		       "  store id: %s\n"
		       "run 'tsm unlock' to keep it unlocked for a while\n",
		       shown, ident.member, ident.name, ident.site, id);
	}
	created = 0; /* keep it */
	rc = EXIT_OK;
done:
	tsm_store_free(store);
	if (created)
		remove_store(ctx->dir, !dir_existed);
	return rc;
}

const struct cli_cmd cmd_init = {
	.name = "init",
	.usage = "tsm init --member ID --name NAME [--kdf COST] "
		 "[--cipher NAME] [--journal MODE]",
	.summary = "create an encrypted store and this replica's identity",
	.help =
		"Creates the store in the store directory (-C DIR,\n"
		"$TSM_HOME or $XDG_DATA_HOME/tsm) with a new passphrase,\n"
		"then this replica's identity: the member id, a display\n"
		"name, a random site id and the site's key pairs for\n"
		"signing (Ed25519) and sealing (X25519). An existing store\n"
		"is never touched.\n"
		"\n"
		"The passphrase is the first line of the file named by\n"
		"$TSM_PASSPHRASE_FILE, else typed twice on the terminal.\n"
		"\n"
		"options:\n"
		"  -m, --member ID  member id: 1-63 of a-z 0-9 . _ -\n"
		"  -n, --name NAME  display name (UTF-8, up to 127 bytes)\n"
		"  --kdf COST       Argon2id cost of each unlock:\n"
		"                   interactive, moderate (default) or\n"
		"                   sensitive\n"
		"  --cipher NAME    page cipher: xchacha20 (default) or\n"
		"                   aes256gcm (CPUs with AES-NI only)\n"
		"  --journal MODE   wal (default) or delete\n"
		"  --json           print the result as JSON\n",
	.flags = CMD_WRITES,
	.exec = init_exec,
};

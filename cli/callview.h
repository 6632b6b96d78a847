/* cli/callview.h — what `call next` and `dial` share: the customer's card
 * with the rendered script, why nothing is callable, time and talk-time
 * formatting, and the JSON of a choice. */
#ifndef TSM_CLI_CALLVIEW_H
#define TSM_CLI_CALLVIEW_H

#include <stdio.h>

#include "jsonw.h"
#include "tsm/call.h"
#include "tsm/customer.h"

/* Calls and notes shown on a calling card. */
#define CV_LAST_CALLS 3
#define CV_LAST_NOTES 3

/* The script language for a customer: Chinese unless the phone is known
 * and not +86 (TSM_SCRIPT_ZH / TSM_SCRIPT_EN). */
int cv_script_lang(const char *phone);

/* "2026-11-27 14:30" into buf, "" for ms <= 0. Returns buf. */
const char *cv_time(char *buf, size_t len, int64_t ms);

/* Prints talk time as "45s", "2m05s", "1h02m03s". */
void cv_put_talk(FILE *f, int64_t s);

/* Writes "nothing to call now: ..." (why, from the counts) into buf. */
void cv_nothing(char *buf, size_t len, const tsm_call_next *n);

/* Checks that the team (or the built-ins) has the script name, for a
 * --script option: 0, or an exit code (the error printed). */
int cv_script_check(tsm_store *store, const char *name);

/* Prints the calling card of next's customer (fields, due follow-up, the
 * last calls and notes) and the script to f, rendered for the customer:
 * script, or when NULL the default for the customer's number (Chinese for
 * +86, else English). Returns 0 or an exit code (the error printed). */
int cv_print_card(FILE *f, tsm_store *store, const tsm_call_next *next,
		  const char *script);

/* Writes the JSON object of a choice (customer, reason, script, last
 * calls and notes; or null customer and the reasons); script as for
 * cv_print_card(). Returns 0 or an exit code (the error printed; the
 * document is then incomplete). */
int cv_json_next(jsonw *w, tsm_store *store, const tsm_call_next *next,
		 const char *script);

#endif

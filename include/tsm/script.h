/* tsm/script.h — call scripts: team data (the op log's `script` entity,
 * edited by leads and managers) made of named sections with placeholders,
 * plus built-in defaults in Chinese and English, rendered for a customer.
 * Ownership: what you get through **out is malloc'd and yours; free it with
 * free() or the _free function named below. */
#ifndef TSM_SCRIPT_H
#define TSM_SCRIPT_H

#include "tsm/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The built-in defaults. A team script with the same name overrides one. */
#define TSM_SCRIPT_DEFAULT_ZH "default-zh"
#define TSM_SCRIPT_DEFAULT_EN "default-en"

/* Script names: 1..63 bytes of [a-z0-9._-], starting with a letter or
 * digit. Section names: "opening", "needs" (needs discovery), "pitch",
 * "objection:NAME" (one per objection, NAME 1..48 bytes of UTF-8 without
 * spaces, control characters, '=', '[' or ']'), "closing". */
#define TSM_SCRIPT_NAME_MAX 64
#define TSM_SCRIPT_SECTION_MAX 64
/* A section's text: 1..TSM_SCRIPT_TEXT_MAX bytes of UTF-8. */
#define TSM_SCRIPT_TEXT_MAX 8192

/* Placeholders, written {name} in a section's text:
 *   {customer.name}        the customer's name
 *   {customer.salutation}  先生 or 女士 (Mr or Ms in an English script) from
 *                          the customer's salutation field; when unknown
 *                          "先生/女士" (or "Mr/Ms")
 *   {customer.company}     the customer's company
 *   {agent.name}           this replica's member display name (the name
 *                          its identity was created with)
 *   {company.name}         the firm: the team policy's company_name when
 *                          set, else the team's name
 * "{{" gives a literal "{" and "}}" a literal "}". An unknown placeholder
 * is left visible as written ("{foo}"). A script is English when none of
 * its sections holds a CJK character, else Chinese. */

/* Script languages. */
enum { TSM_SCRIPT_ZH = 0, TSM_SCRIPT_EN = 1 };

typedef struct tsm_script_section {
	char *name; /* "opening", "needs", "pitch", "objection:price", ... */
	char *text;
} tsm_script_section;

typedef struct tsm_script {
	char *name;
	int builtin;	    /* 1: a built-in default, not team data */
	int lang;	    /* TSM_SCRIPT_ZH or TSM_SCRIPT_EN */
	char *author;	    /* member who last edited it; NULL if built-in */
	int64_t updated_at; /* ms of the last edit; 0 if built-in */
	tsm_script_section *sections; /* in order: opening, needs, pitch,
				       * objection:* by name, closing */
	size_t nsections;
} tsm_script;

/* Frees a script from tsm_script_get() or tsm_script_render_script(), and
 * the script itself. NULL is allowed. */
void tsm_script_free(tsm_script *s);

/* Frees an array from tsm_script_list(). */
void tsm_script_list_free(tsm_script *s, size_t n);

/* Nonzero if name is a valid script name. */
int tsm_script_name_valid(const char *name);

/* Checks a section name and writes its canonical form into out
 * (TSM_SCRIPT_SECTION_MAX bytes): "needs-discovery" and "discovery" become
 * "needs", "objection-X" becomes "objection:X", case is folded for the
 * fixed names. TSM_EINVALID with a message listing the valid names. */
int tsm_script_section_name(char *out, const char *name);

/* Reads the script name: the team's (with its sections as synced) or else
 * the built-in of that name. TSM_ENOTFOUND when neither exists. */
int tsm_script_get(tsm_script **out, tsm_store *store, const char *name);

/* Lists the team's scripts and the built-ins not overridden, sorted by
 * name. Free with tsm_script_list_free(). */
int tsm_script_list(tsm_script **out, size_t *n, tsm_store *store);

/* Writes into *out (free() it) the unknown placeholders of text, as
 * written and separated by ", " ("{foo}, {customer.nmae}"), or NULL when
 * there are none. */
int tsm_script_unknown_placeholders(char **out, const char *text);

/* Creates the team script name with the given sections (names as accepted
 * by tsm_script_section_name(), at least one, none twice). TSM_EEXISTS when
 * the team has a script of that name already (a built-in of that name may
 * be overridden), TSM_EINVALID for a bad name, section or text, TSM_EPERM
 * when this member's role may not edit scripts (leads and managers may). */
int tsm_script_add(tsm_store *store, const char *name,
		   const tsm_script_section *sections, size_t n);

/* Edits the team script name: sets each section of set (adding or
 * replacing it) and removes each section named in remove (TSM_ENOTFOUND if
 * it has no such section), in one atomic write. A section set to the text
 * it has is left alone; out (may be NULL) receives the number of sections
 * changed, and nothing is written when it is 0. Editing a built-in that the
 * team has not overridden creates the team's copy of it first. Refuses to
 * remove the last section (TSM_EINVALID). Errors as tsm_script_add(). */
int tsm_script_edit(size_t *out, tsm_store *store, const char *name,
		    const tsm_script_section *set, size_t nset,
		    const char *const *remove, size_t nremove);

/* ---- rendering ---- */

/* The values placeholders take. With have_customer 0 every {customer.*}
 * stays visible; with 1 a NULL customer field renders as "" (the
 * salutation falls back as described above). A NULL agent or company name
 * leaves its placeholder visible. */
typedef struct tsm_script_vars {
	const char *customer_name;
	const char *customer_salutation; /* as stored: 先生, 女士, mr, ms... */
	const char *customer_company;
	const char *agent_name;
	const char *company_name;
	int have_customer; /* 0: leave every {customer.*} visible */
} tsm_script_vars;

/* Renders text with vars in the language lang into *out (free() it). A
 * pure function: no store. */
int tsm_script_render_text(char **out, const char *text,
			   const tsm_script_vars *vars, int lang);

/* Fills vars from the store: agent and company names always, customer
 * fields when customer_id (an exact id) is not NULL (TSM_ENOTFOUND when no
 * such customer). The strings are malloc'd: free them with
 * tsm_script_vars_dispose(). */
int tsm_script_vars_load(tsm_script_vars *out, tsm_store *store,
			 const char *customer_id);
void tsm_script_vars_dispose(tsm_script_vars *vars);

/* Reads script_name (NULL: the default for lang, i.e. "default-zh" or
 * "default-en", which the team may override) and renders every section for
 * customer_id (an exact customer id, or NULL to leave {customer.*}
 * visible). Free with tsm_script_free(). */
int tsm_script_render_script(tsm_script **out, tsm_store *store,
			     const char *script_name, const char *customer_id,
			     int lang);

/* The same as one text, every section in order as "[name]\n" then its
 * rendered text and a newline, sections separated by a blank line (the
 * format `tsm script add --file` reads). free() it. */
int tsm_script_render(char **out, tsm_store *store, const char *script_name,
		      const char *customer_id, int lang);

/* Parses the script file format into sections: "[section]" header lines,
 * each followed by its text lines (leading and trailing blank lines of a
 * section dropped); lines starting with "#" before the first header are
 * comments. Free with tsm_script_sections_free(). TSM_EINVALID naming the
 * line on bad input (text before a header, bad or repeated section, empty
 * section). */
int tsm_script_parse_file(tsm_script_section **out, size_t *n,
			  const char *text);
void tsm_script_sections_free(tsm_script_section *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif

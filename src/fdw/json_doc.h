/*-------------------------------------------------------------------------
 *
 * json_doc.h
 *		Declarations of the files that read and write documents (tables of
 *		value_format 'json'), for the write path:
 *	json_doc_write.c	a value as JSON; a JSON object with fields edited
 *	json_doc_modify.c	INSERT's documents, UPDATE by check_and_set
 *
 * src/fdw/json_doc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PEGFDW_JSON_DOC_H
#define PEGFDW_JSON_DOC_H

#include "pegasus_fdw.h"

/* One field to set (json: its JSON text) or remove (json NULL). */
typedef struct PegFdwDocEdit
{
	PegFdwColumn *col;			/* the column it comes from */
	char	  **path;
	int			npath;
	const char *json;
} PegFdwDocEdit;

/*
 * Attempts of an UPDATE of one document: a conditional write that finds
 * the document changed by another writer reads it again and tries again,
 * this many times in all, then fails with a serialization failure.
 */
#define PEGFDW_DOC_UPDATE_ATTEMPTS 10

/* in json_doc_write.c */
extern char *pegfdw_doc_patch(const char *base, size_t len,
							  PegFdwDocEdit *edits, int nedits,
							  char ***found, char **why);
extern void pegfdw_datum_to_json(StringInfo buf, PegFdwColumn *c,
								 FmgrInfo *out, Datum d);

#endif							/* PEGFDW_JSON_DOC_H */

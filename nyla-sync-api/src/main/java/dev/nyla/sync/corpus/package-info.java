/**
 * What gets published, read from its sources: a {@link dev.nyla.sync.corpus.Corpus} of source records from
 * a directory of documents (Markdown, reStructuredText, HTML, AsciiDoc, text, chunked by heading) or a JSONL
 * file, and the original system's JSON index with its vectors ({@link dev.nyla.sync.corpus.SeedIndex}). The
 * publisher embeds a corpus; the sync client rebuilds from one locally, and the reconciler checks a store
 * against one.
 */
package dev.nyla.sync.corpus;

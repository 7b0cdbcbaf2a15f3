package dev.nyla.sync.lucene;

import dev.nyla.sync.store.InventoryEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiBits;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

/**
 * Streams tenants and inventories in {@link dev.nyla.sync.RecordKeys} order with bounded memory. Terms are
 * kept in UTF-8 byte order, which is code-point order; within a segment documents are in key order (the
 * index sort), so an inventory walks each segment forward and merges the segments by key.
 */
final class Inventories {
    private Inventories() {
    }

    /** The tenants with at least one live record. */
    static Iterator<String> tenants(IndexReader reader) throws IOException {
        Terms terms = MultiTerms.getTerms(reader, Schema.TENANT);
        if (terms == null) {
            return java.util.Collections.emptyIterator();
        }
        TermsEnum te = terms.iterator();
        Bits live = MultiBits.getLiveDocs(reader);
        return new Iterator<>() {
            private String next = advance();
            private PostingsEnum postings;

            private String advance() {
                try {
                    for (BytesRef t = te.next(); t != null; t = te.next()) {
                        postings = te.postings(postings, PostingsEnum.NONE);
                        for (int d = postings.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = postings.nextDoc()) {
                            if (live == null || live.get(d)) {
                                return t.utf8ToString();
                            }
                        }
                    }
                    return null;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public String next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                String t = next;
                next = advance();
                return t;
            }
        };
    }

    /** One segment's live records of a tenant, in key order. */
    private static final class SegmentCursor {
        final BytesRef prefix;
        final SortedDocValues keys;
        final BinaryDocValues hashes;
        final SortedDocValues models;
        final Bits live;
        final int maxDoc;
        int doc;
        BytesRef key;

        SegmentCursor(LeafReader leaf, BytesRef prefix, int first) throws IOException {
            this.prefix = prefix;
            this.keys = DocValues.getSorted(leaf, Schema.KEY);
            this.hashes = DocValues.getBinary(leaf, Schema.HASH);
            this.models = DocValues.getSorted(leaf, Schema.MODEL);
            this.live = leaf.getLiveDocs();
            this.maxDoc = leaf.maxDoc();
            this.doc = first - 1;
        }

        /** Moves to the next live document of the tenant; false at the end. */
        boolean next() throws IOException {
            for (doc++; doc < maxDoc; doc++) {
                if (!keys.advanceExact(doc)) {
                    continue;
                }
                BytesRef k = keys.lookupOrd(keys.ordValue());
                if (!StringHelper.startsWith(k, prefix)) {
                    return false;
                }
                if (live == null || live.get(doc)) {
                    key = BytesRef.deepCopyOf(k);
                    return true;
                }
            }
            return false;
        }

        InventoryEntry entry() throws IOException {
            String id = new String(key.bytes, key.offset + prefix.length, key.length - prefix.length,
                    StandardCharsets.UTF_8);
            String hash = hashes.advanceExact(doc) ? Schema.hashHex(hashes.binaryValue()) : "";
            String model = models.advanceExact(doc) ? models.lookupOrd(models.ordValue()).utf8ToString() : "";
            return new InventoryEntry(id, hash, model);
        }
    }

    /** The live records of {@code tenant}, by id. */
    static Iterator<InventoryEntry> inventory(IndexReader reader, String tenant) throws IOException {
        BytesRef prefix = Schema.tenantPrefix(tenant);
        PriorityQueue<SegmentCursor> queue = new PriorityQueue<>((a, b) -> a.key.compareTo(b.key));
        for (LeafReaderContext leaf : reader.leaves()) {
            int first = firstDocAtOrAfter(leaf.reader(), prefix);
            if (first >= 0) {
                SegmentCursor c = new SegmentCursor(leaf.reader(), prefix, first);
                if (c.next()) {
                    queue.add(c);
                }
            }
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !queue.isEmpty();
            }

            @Override
            public InventoryEntry next() {
                SegmentCursor c = queue.poll();
                if (c == null) {
                    throw new NoSuchElementException();
                }
                try {
                    InventoryEntry e = c.entry();
                    if (c.next()) {
                        queue.add(c);
                    }
                    return e;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** The first document whose key is at or after {@code prefix}, found through the key terms; -1 when none. */
    private static int firstDocAtOrAfter(LeafReader leaf, BytesRef prefix) throws IOException {
        Terms terms = leaf.terms(Schema.KEY);
        if (terms == null) {
            return -1;
        }
        TermsEnum te = terms.iterator();
        if (te.seekCeil(prefix) == TermsEnum.SeekStatus.END) {
            return -1;
        }
        // Keys sort documents, so the first posting of the first term is where the tenant begins (an updated
        // key may have a deleted older document too, never an earlier one's key).
        int first = te.postings(null, PostingsEnum.NONE).nextDoc();
        return first == DocIdSetIterator.NO_MORE_DOCS ? -1 : first;
    }
}

package dev.nyla.sync.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.reconcile.SourceException;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where {@code id}, {@code text} and {@code metadata} are in a result set of the records query, which
 * other columns become metadata entries, and where the id's text (the sort key) is: the last column the
 * wrapping query adds, so that the id a record gets is exactly what the database sorted by. {@link JdbcSource}
 * maps each row of its records query to a record with it.
 */
record SourceColumns(int id, int text, int metadata, int[] extra, String[] extraLabels, int key) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "id";
    private static final String TEXT = "text";
    private static final String METADATA = "metadata";

    /** The columns of a result whose first {@code userColumns} columns are the records query's. */
    static SourceColumns of(ResultSetMetaData md, int userColumns, String description) throws SQLException, SourceException {
        int id = 0;
        int text = 0;
        int metadata = 0;
        List<Integer> extra = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 1; i <= userColumns; i++) {
            String label = md.getColumnLabel(i);
            labels.add(label);
            String lower = label.toLowerCase(Locale.ROOT);
            boolean reserved = lower.equals(ID) || lower.equals(TEXT) || lower.equals(METADATA);
            if (!seen.add(reserved ? lower : label)) {
                throw new SourceException(description, "result columns", "distinct labels",
                        labels + " (the label '" + label + "' repeats)");
            }
            switch (reserved ? lower : "") {
                case ID -> id = i;
                case TEXT -> text = i;
                case METADATA -> metadata = i;
                default -> extra.add(i);
            }
        }
        for (String required : List.of(ID, TEXT)) {
            if ((required.equals(ID) ? id : text) == 0) {
                throw new SourceException(description, "result columns",
                        "a column labelled '" + required + "' (any case)", labels + ", which has none");
            }
        }
        int[] extraIndexes = extra.stream().mapToInt(Integer::intValue).toArray();
        String[] extraLabels = new String[extraIndexes.length];
        for (int k = 0; k < extraIndexes.length; k++) {
            extraLabels[k] = md.getColumnLabel(extraIndexes[k]);
        }
        return new SourceColumns(id, text, metadata, extraIndexes, extraLabels, userColumns + 1);
    }

    SourceRecord record(ResultSet rs, String tenant, long row, String subject) throws SQLException, SourceException {
        String id = rs.getString(key);
        if (id == null) {
            throw new SourceException(subject, "id of row " + row, "a value", "NULL");
        }
        String where = "record '" + id + "' (row " + row + ")";
        String text = rs.getString(this.text);
        if (text == null) {
            throw new SourceException(subject, "text of " + where, "a value", "NULL");
        }
        Map<String, String> metadata = new HashMap<>();
        if (this.metadata > 0) {
            String json = rs.getString(this.metadata);
            if (json != null) {
                parseMetadata(json, metadata, subject + ": metadata of " + where);
            }
        }
        for (int k = 0; k < extra.length; k++) {
            String value = rs.getString(extra[k]);
            if (value != null) {
                metadata.put(extraLabels[k], value);
            }
        }
        try {
            return new SourceRecord(tenant, id, text, metadata);
        } catch (IllegalArgumentException e) {
            throw new SourceException(subject + ": " + where + ": " + e.getMessage(), e);
        }
    }

    /** As the corpus reads JSONL metadata: strings as they are, other values as their JSON text, nulls dropped. */
    private static void parseMetadata(String json, Map<String, String> into, String subject) throws SourceException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SourceException(subject, "value", "a JSON object", "not JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SourceException(subject, "value", "a JSON object", "a JSON " + node.getNodeType().name()
                    .toLowerCase(Locale.ROOT));
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isNull()) {
                into.put(e.getKey(), v.isTextual() ? v.textValue() : v.toString());
            }
        }
    }
}

package dev.nyla.sync;

/**
 * How the vectors of a record file are stored on the wire. Clients always get {@code float[]}: a reader
 * widens what it reads, so stores never see the encoding. See {@code docs/artifact-format.md}.
 */
public enum VectorEncoding {
    /** IEEE 754 binary32, 4 bytes a component: the vectors exactly as the embedder made them. */
    F32("f32"),
    /**
     * IEEE 754 binary16, 2 bytes a component: half the bytes, about 3 significant decimal digits, and a
     * range of ±65504, which unit-normalized embeddings never leave.
     */
    F16("f16");

    private final String wireName;

    VectorEncoding(String wireName) {
        this.wireName = wireName;
    }

    /** The name in manifests and on the command line: {@code f32} or {@code f16}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The encoding named {@code name} in a manifest or an option.
     *
     * @throws IllegalArgumentException when no encoding has that name (a newer release may know it)
     */
    public static VectorEncoding fromWireName(String name) {
        for (VectorEncoding e : values()) {
            if (e.wireName.equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("vector encoding: expected one of f32, f16 but was '" + name + "'");
    }

    /**
     * {@code vector} as a reader of this encoding gets it back: the same array for {@link #F32}, every
     * component rounded to the nearest binary16 value and widened again for {@link #F16}. A publisher
     * applies this once to every vector it publishes, so that every payload (records, deltas, a prebuilt
     * index) holds the same values and a vector carried over to the next version round-trips exactly.
     *
     * @param subject the record, for messages
     * @throws InvalidVectorException when a finite component is too large for this encoding
     */
    public float[] round(float[] vector, String subject) throws InvalidVectorException {
        if (this == F32) {
            return vector;
        }
        float[] out = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            out[i] = Float.float16ToFloat(toHalf(vector[i], subject, i));
        }
        return out;
    }

    /**
     * The binary16 bits of {@code value}, rounded to nearest even: what {@link #F16} stores, and what
     * {@link #round} widens again.
     *
     * @param subject the record, for messages
     * @param index   the component's index, for messages
     * @throws InvalidVectorException when a finite value rounds to an infinity (|value| ≥ 65520)
     */
    public static short toHalf(float value, String subject, int index) throws InvalidVectorException {
        short half = Float.floatToFloat16(value);
        if (Float.isFinite(value) && !Float.isFinite(Float.float16ToFloat(half))) {
            throw new InvalidVectorException(subject, index, value,
                    "a value float16 can hold (|v| < 65520; publish with vector encoding f32 for larger values)");
        }
        return half;
    }
}

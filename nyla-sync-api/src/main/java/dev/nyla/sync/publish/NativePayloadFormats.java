package dev.nyla.sync.publish;

import dev.nyla.sync.internal.NamedProviders;

/**
 * The {@link NativePayloadFormat}s registered in {@code META-INF/services}, by kind, for
 * {@link NativePayloadFormat#forKind}; kept here because an interface's fields would be public.
 */
final class NativePayloadFormats {
    /** Looked up once per class loader; a kind registered twice is refused naming both formats. */
    static final NamedProviders<NativePayloadFormat> REGISTERED = new NamedProviders<>(NativePayloadFormat.class,
            "kind", "native payload format", NativePayloadFormat::kind);

    private NativePayloadFormats() {
    }
}

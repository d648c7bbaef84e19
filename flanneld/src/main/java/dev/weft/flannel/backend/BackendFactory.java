package dev.weft.flannel.backend;

import java.util.function.Function;

/**
 * Makes backends of one type. A new backend type is one more factory given to
 * {@link BackendRegistry#register} (or listed in
 * {@code META-INF/services/dev.weft.flannel.backend.BackendFactory}); the daemon does not change.
 */
public interface BackendFactory {

    /** The Backend "Type" of the net-conf this factory answers to, lower case ("vxlan"). */
    String type();

    /**
     * A backend for this node. Reads its own options from {@code ctx.network().backend()}.
     *
     * @throws BackendException for bad options or a node that cannot run it
     */
    Backend create(BackendContext ctx);

    /** The factory of a backend whose constructor takes the context ({@code of("vxlan", VxlanBackend::new)}). */
    static BackendFactory of(String type, Function<BackendContext, Backend> constructor) {
        return new BackendFactory() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public Backend create(BackendContext ctx) {
                return constructor.apply(ctx);
            }
        };
    }
}

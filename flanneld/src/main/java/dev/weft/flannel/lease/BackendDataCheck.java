package dev.weft.flannel.lease;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A backend's judgement of another node's BackendData, registered with {@link LeaseValidator} by
 * backend type, so a lease a backend could not use never reaches it.
 */
@FunctionalInterface
public interface BackendDataCheck {
    /**
     * @param backendData   the lease's BackendData (null if absent)
     * @param backendV6Data the lease's BackendV6Data (null if absent)
     * @return empty if usable, else why not (for the log)
     */
    Optional<String> problem(JsonNode backendData, JsonNode backendV6Data);
}

package dev.weft.cni.flannel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.invoke.InProcess;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Verb;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import dev.weft.cni.spec.ResultJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * weft-flannel: the flannel meta-plugin. Reads subnet.env, renders the delegate config, saves it
 * (so DEL can replay exactly what ADD used) and hands the work to the delegate (weft-bridge by
 * default). Unlike flannel's plugin, STATUS says "not ready" (50) while subnet.env is missing.
 */
public final class FlannelPlugin implements CniPlugin {
    static final String DEFAULT_SUBNET_FILE = "/run/flannel/subnet.env";
    static final String DEFAULT_DATA_DIR = "/var/lib/cni/flannel";

    @Override
    public String name() {
        return "weft-flannel";
    }

    @Override
    public Set<String> knownArgs() {
        return Set.of("IP", "MAC", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    }

    private static Path subnetFile(Request r) {
        String f = Json.text(r.config(), "subnetFile");
        return Path.of(f == null || f.isEmpty() ? DEFAULT_SUBNET_FILE : f);
    }

    private static DelegateStore store(Request r) {
        String d = Json.text(r.config(), "dataDir");
        return new DelegateStore(Path.of(d == null || d.isEmpty() ? DEFAULT_DATA_DIR : d));
    }

    @Override
    public Result add(Request r) {
        SubnetEnv env;
        try {
            env = SubnetEnv.read(subnetFile(r));
        } catch (CniError e) {
            throw new CniError(e.code(), "failed to load flannel 'subnet.env' file: " + e.msg(),
                    e.details() + (e.details().isEmpty() ? "" : " ") + "Check the weftd (or flanneld) log for this node.");
        }
        ObjectNode delegate = DelegateConfig.build(r, env);
        byte[] bytes = Json.write(delegate).getBytes(StandardCharsets.UTF_8);
        DelegateStore store = store(r);
        store.save(r.containerId(), bytes);
        // On failure the runtime calls DEL, which replays the saved config: nothing to undo here.
        return InProcess.add(delegate.get("type").asText(), r, bytes);
    }

    @Override
    public void del(Request r) {
        DelegateStore store = store(r);
        byte[] saved = store.load(r.containerId());
        if (saved == null) {
            store.remove(r.containerId()); // a crashed ADD may have left a temp file
            return; // never added, or already deleted
        }
        JsonNode json;
        try {
            json = Json.read(saved);
        } catch (java.io.IOException e) {
            System.err.println("weft-flannel: saved delegate config for " + r.containerId() + " is corrupt; removing it: " + e.getMessage());
            store.remove(r.containerId());
            return;
        }
        String type = json.path("type").asText("");
        if (type.isEmpty()) {
            System.err.println("weft-flannel: saved delegate config for " + r.containerId() + " has no type; removing it");
            store.remove(r.containerId());
            return;
        }
        InProcess.run(type, Verb.DEL, r, withPrevResult(saved, r));
        store.remove(r.containerId());
    }

    @Override
    public void check(Request r) {
        byte[] saved = store(r).load(r.containerId());
        if (saved == null) {
            throw new CniError(CniError.INTERNAL, "no saved delegate config for container " + r.containerId());
        }
        JsonNode json = Json.parse(saved, "saved delegate config");
        InProcess.run(json.path("type").asText(), Verb.CHECK, r, withPrevResult(saved, r));
    }

    @Override
    public void status(Request r) {
        SubnetEnv env = SubnetEnv.read(subnetFile(r));
        ObjectNode delegate = DelegateConfig.build(r, env);
        InProcess.run(delegate.get("type").asText(), Verb.STATUS, r, Json.write(delegate).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void gc(Request r) {
        SubnetEnv env = SubnetEnv.read(subnetFile(r));
        ObjectNode delegate = DelegateConfig.build(r, env);
        for (String key : new String[] {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
            if (r.config().has(key)) {
                delegate.set(key, r.config().get(key).deepCopy());
            }
        }
        InProcess.run(delegate.get("type").asText(), Verb.GC, r, Json.write(delegate).getBytes(StandardCharsets.UTF_8));
        Set<String> valid = new HashSet<>();
        JsonNode list = r.config().has("cni.dev/valid-attachments") ? r.config().get("cni.dev/valid-attachments")
                : r.config().path("cni.dev/attachments");
        list.forEach(a -> valid.add(a.path("containerID").asText()));
        store(r).removeAllExcept(valid);
    }

    /** The saved config with this call's prevResult added, as the delegate would have got it from a runtime. */
    private static byte[] withPrevResult(byte[] saved, Request r) {
        if (!r.hasPrevResult()) {
            return saved;
        }
        ObjectNode o = (ObjectNode) Json.parse(saved, "saved delegate config");
        Result prev = r.prevResult();
        o.set("prevResult", ResultJson.toJson(prev, o.path("cniVersion").asText(r.version())));
        return Json.write(o).getBytes(StandardCharsets.UTF_8);
    }
}

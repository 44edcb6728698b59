package io.lmaas.gateway.admin;

import static io.lmaas.gateway.admin.AdminRoutes.actor;
import static io.lmaas.gateway.admin.AdminRoutes.answer;

import io.lmaas.core.audit.AuditRepository;
import io.lmaas.core.crypto.MasterKey;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.crypto.TenantKeys;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

/**
 * {@code /admin/v1/encryption}: which master key wraps the tenants' data keys now, which previous ones this gateway
 * still opens, and how many data keys each wraps; {@code POST /admin/v1/encryption/rewrap} wraps every data key with
 * the current master key (the second step of a rotation; artifacts are not re-encrypted). Platform admin only; the
 * rewrap is audited. Key ids are fingerprints, never keys.
 */
public final class AdminEncryptionRoutes {
    private final TenantKeys keys;
    private final Pool pool;
    private final Responder responder;

    public AdminEncryptionRoutes(TenantKeys keys, Pool pool, Responder responder) {
        this.keys = keys;
        this.pool = pool;
        this.responder = responder;
    }

    void addTo(Router r) {
        r.get("/encryption").handler(AdminRoutes.PLATFORM).handler(ctx -> answer(responder, ctx, 200, keys.countsByMaster(),
                counts -> status(keys.masters(), counts)));
        r.post("/encryption/rewrap").handler(AdminRoutes.PLATFORM).handler(ctx -> answer(responder, ctx, 200,
                keys.rewrap().compose(done -> AuditRepository.record(pool, actor(ctx), "encryption.rewrap", "master_key",
                        done.masterKeyId(), null, null, new JsonObject().put("rewrapped", done.rewrapped())
                                .put("already_current", done.current())).map(done)),
                done -> new JsonObject().put("object", "encryption.rewrap").put("master_key_id", done.masterKeyId())
                        .put("rewrapped", done.rewrapped()).put("already_current", done.current())));
    }

    private static JsonObject status(MasterKeys masters, java.util.Map<String, Integer> counts) {
        JsonObject byMaster = new JsonObject();
        counts.forEach(byMaster::put);
        return new JsonObject().put("object", "encryption").put("algorithm", "AES-256-GCM")
                .put("master_key_id", masters.current().id())
                .put("previous_master_key_ids", new JsonArray(masters.previous().stream().map(MasterKey::id).toList()))
                .put("data_keys", byMaster);
    }
}

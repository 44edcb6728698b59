package io.lmaas.gateway.finetuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The LoRA hyperparameters of a fine-tuning request: defaults, and clear refusals naming the field. */
class FineTuningRequestTest {
    private static JsonObject body(JsonObject hyperparameters) {
        return new JsonObject().put("model", "qwen").put("training_file", "file-1").put("hyperparameters", hyperparameters);
    }

    @Test
    void loraSettingsDefaultLikePeftAndTravelWithTheJob() {
        JsonObject hp = FineTuningRequest.parse(body(new JsonObject())).hyperparameters();
        assertThat(hp.getInteger("lora_rank")).isEqualTo(8);
        assertThat(hp.getDouble("lora_alpha")).isEqualTo(16.0);
        assertThat(hp.getDouble("lora_dropout")).isEqualTo(0.05);
        assertThat(hp.getJsonArray("lora_target_modules").getList()).containsExactly("q_proj", "k_proj", "v_proj", "o_proj");
        JsonObject set = FineTuningRequest.parse(body(new JsonObject().put("lora_rank", 16).put("lora_target_modules",
                new JsonArray().add("gate_proj").add("down_proj")))).hyperparameters();
        assertThat(set.getInteger("lora_rank")).isEqualTo(16);
        assertThat(set.getJsonArray("lora_target_modules").getList()).containsExactly("gate_proj", "down_proj");
    }

    @Test
    void badLoraSettingsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_rank", 0))))
                .isInstanceOf(ApiException.class).hasMessageContaining("lora_rank");
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_rank", 2.5))))
                .isInstanceOf(ApiException.class).hasMessageContaining("lora_rank");
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_dropout", 1))))
                .isInstanceOf(ApiException.class).hasMessageContaining("lora_dropout");
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_target_modules",
                new JsonArray().add("qkv_proj"))))).isInstanceOf(ApiException.class).hasMessageContaining("lora_target_modules");
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_target_modules", "q_proj"))))
                .isInstanceOf(ApiException.class).hasMessageContaining("lora_target_modules");
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("lora_target_modules", new JsonArray()))))
                .isInstanceOf(ApiException.class).hasMessageContaining("lora_target_modules");
    }
}

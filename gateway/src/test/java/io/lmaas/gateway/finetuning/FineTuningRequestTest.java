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
        // "auto": the job picks the base kind's default (a decoder's q/k/v/o projections, an encoder's query and value).
        assertThat(hp.getValue("lora_target_modules")).isEqualTo("auto");
        JsonObject set = FineTuningRequest.parse(body(new JsonObject().put("lora_rank", 16).put("lora_target_modules",
                new JsonArray().add("gate_proj").add("down_proj")))).hyperparameters();
        assertThat(set.getInteger("lora_rank")).isEqualTo(16);
        assertThat(set.getJsonArray("lora_target_modules").getList()).containsExactly("gate_proj", "down_proj");
        JsonObject encoder = FineTuningRequest.parse(body(new JsonObject().put("lora_target_modules",
                new JsonArray().add("query").add("value").add("dense")))).hyperparameters();
        assertThat(encoder.getJsonArray("lora_target_modules").getList()).containsExactly("query", "value", "dense");
    }

    @Test
    void freezingLayersIsAFullFineTunesOption() {
        assertThatThrownBy(() -> FineTuningRequest.parse(body(new JsonObject().put("freeze_layers", "all"))))
                .isInstanceOf(ApiException.class).hasMessageContaining("freeze_layers").hasMessageContaining("\"lora\": false");
        assertThat(FineTuningRequest.parse(body(new JsonObject().put("freeze_layers", "all").put("lora", false))).hyperparameters()
                .getValue("freeze_layers")).isEqualTo("all");
        assertThat(FineTuningRequest.parse(body(new JsonObject().put("freeze_layers", 0))).hyperparameters().getBoolean("lora")).isTrue();
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

    @Test
    void openAisMethodObjectCarriesTheHyperparameters() {
        JsonObject body = new JsonObject().put("model", "qwen").put("training_file", "file-1").put("method", new JsonObject()
                .put("type", "supervised").put("supervised", new JsonObject().put("hyperparameters", new JsonObject()
                        .put("n_epochs", 2).put("batch_size", "auto").put("lora_rank", 4))));
        JsonObject hp = FineTuningRequest.parse(body).hyperparameters();
        assertThat(hp.getInteger("n_epochs")).isEqualTo(2);
        assertThat(hp.getInteger("batch_size")).isEqualTo(FineTuningRequest.DEFAULT_BATCH_SIZE);
        assertThat(hp.getInteger("lora_rank")).isEqualTo(4);
        // Supervised without hyperparameters: the defaults.
        assertThat(FineTuningRequest.parse(body.copy().put("method", new JsonObject().put("type", "supervised"))).epochs())
                .isEqualTo(FineTuningRequest.DEFAULT_EPOCHS);
    }

    @Test
    void otherMethodsAndHyperparametersGivenTwiceAreRefused() {
        JsonObject base = new JsonObject().put("model", "qwen").put("training_file", "file-1");
        assertThatThrownBy(() -> FineTuningRequest.parse(base.copy().put("method", new JsonObject().put("type", "dpo"))))
                .isInstanceOf(ApiException.class).hasMessageContaining("only \"supervised\"");
        assertThatThrownBy(() -> FineTuningRequest.parse(base.copy().put("method", "supervised")))
                .isInstanceOf(ApiException.class).hasMessageContaining("'method' must be");
        assertThatThrownBy(() -> FineTuningRequest.parse(base.copy().put("hyperparameters", new JsonObject().put("n_epochs", 1))
                .put("method", new JsonObject().put("type", "supervised").put("supervised", new JsonObject()
                        .put("hyperparameters", new JsonObject().put("n_epochs", 2))))))
                .isInstanceOf(ApiException.class).hasMessageContaining("once");
    }
}

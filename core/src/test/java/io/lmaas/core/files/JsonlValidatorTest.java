package io.lmaas.core.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class JsonlValidatorTest {

    private static JsonlValidator.Result check(String purpose, String... lines) throws Exception {
        return JsonlValidator.validate(new BufferedReader(new StringReader(String.join("\n", lines))), purpose);
    }

    @Test
    void classificationAndGenerationFilesAreRecognised() throws Exception {
        JsonlValidator.Result c = check("fine-tune", "{\"text\":\"a cake\",\"label\":\"cooking\"}", "",
                "{\"text\":\"a song\",\"label\":\"music\"}");
        assertThat(c.valid()).isTrue();
        assertThat(c.format()).isEqualTo("classification");
        assertThat(c.lines()).isEqualTo(2);
        assertThat(c.labels()).containsExactlyInAnyOrder("cooking", "music");
        JsonlValidator.Result g = check("fine-tune", "{\"prompt\":\"q\",\"completion\":\"a\"}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}");
        assertThat(g.valid()).isTrue();
        assertThat(g.format()).isEqualTo("generation");
    }

    @Test
    void problemsNameTheLineAndFieldAndAreCapped() throws Exception {
        JsonlValidator.Result r = check("fine-tune", "{\"text\":\"a\",\"label\":\"x\"}", "{\"text\":\"b\"}", "not json", "[1]",
                "{\"text\":\"\",\"label\":\"y\"}");
        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).containsExactly("line 2: missing \"label\"", "line 3: not valid JSON", "line 4: not a JSON object",
                "line 5: \"text\" must be a non-empty string");
        String[] many = new String[50];
        for (int i = 0; i < many.length; i++) {
            many[i] = "{\"text\":\"t\"}";
        }
        JsonlValidator.Result capped = check("fine-tune", many);
        assertThat(capped.problems()).hasSize(JsonlValidator.MAX_LISTED);
        assertThat(capped.problemCount()).isEqualTo(50);
        assertThat(capped.summary()).endsWith("and 30 more");
        assertThat(check("fine-tune").problems()).containsExactly("the file has no lines");
        assertThat(check("fine-tune", "{\"text\":\"a\",\"label\":\"x\"}").summary()).contains("at least two labels");
        assertThat(check("fine-tune", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").problems())
                .containsExactly("line 1: \"messages\" has no assistant message to learn from");
    }

    @Test
    void batchFilesNeedUniqueIdsAndABody() throws Exception {
        JsonlValidator.Result r = check("batch", "{\"custom_id\":\"a\",\"body\":{\"input\":\"x\"}}",
                "{\"custom_id\":\"a\",\"body\":{}}", "{\"custom_id\":\"b\",\"method\":\"GET\",\"body\":{}}",
                "{\"custom_id\":\"c\",\"url\":\"/v1/images\",\"body\":{}}", "{\"custom_id\":\"d\"}");
        assertThat(r.format()).isEqualTo("batch");
        assertThat(r.problems()).containsExactly("line 2: \"custom_id\" \"a\" is not unique", "line 3: \"method\" must be POST",
                "line 4: \"url\" must be one of [/v1/chat/completions, /v1/classifications, /v1/completions, /v1/embeddings]",
                "line 5: missing \"body\"");
    }
}

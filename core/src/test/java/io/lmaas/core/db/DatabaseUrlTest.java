package io.lmaas.core.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.config.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatabaseUrlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "postgresql://u:p@db:5433/lm            | db | 5433 | lm       | u        | p",
        "postgres://u@db/lm                     | db | 5432 | lm       | u        | ''",
        "jdbc:postgresql://db:5432/lm?user=a&password=b%40c | db | 5432 | lm | a | b@c",
        "postgresql://db                        | db | 5432 | postgres | postgres | ''",
        "postgresql://us%3Aer:p%2Fw@db:1/x      | db | 1    | x        | us:er    | p/w",
    })
    void parsesTheCommonForms(String url, String host, int port, String db, String user, String password) {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        assertThat(parsed).isEqualTo(new DatabaseUrl(host, port, db, user, password));
        assertThat(parsed.jdbcUrl()).isEqualTo("jdbc:postgresql://" + host + ":" + port + "/" + db);
    }

    @ParameterizedTest
    @CsvSource({"mysql://db/x", "not a url", "postgresql:///x"})
    void rejectsWhatIsNotPostgres(String url) {
        assertThatThrownBy(() -> DatabaseUrl.parse(url)).isInstanceOf(ConfigException.class);
    }

    @org.junit.jupiter.api.Test
    void neverPrintsThePassword() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql://u:s3cret@db:5432/lm");
        assertThat(url.toString()).doesNotContain("s3cret");
        assertThat(url.redacted()).doesNotContain("s3cret");
    }
}

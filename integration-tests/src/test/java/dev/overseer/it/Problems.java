package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

/** Assertions on RFC 9457 problem responses (SPEC §6). */
public final class Problems {
    private Problems() {
    }

    /**
     * Asserts that the response is an {@code application/problem+json} problem with this status, every field
     * SPEC §6 names, a non-blank detail and, when {@code code} is not null, that code. Returns the problem.
     */
    public static JsonNode assertProblem(Http.Response response, int status, String code) {
        assertThat(response.status()).as("status of %s", response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).as("content type").startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.path("type").isTextual()).as("type in %s", problem).isTrue();
        assertThat(problem.path("title").asText()).as("title in %s", problem).isNotBlank();
        assertThat(problem.path("status").isInt()).as("status in %s", problem).isTrue();
        assertThat(problem.path("status").asInt()).as("status in %s", problem).isEqualTo(status);
        assertThat(problem.path("detail").asText()).as("detail in %s", problem).isNotBlank();
        assertThat(problem.path("code").asText()).as("code in %s", problem).isNotBlank();
        if (code != null) {
            assertThat(problem.path("code").asText()).as("code in %s", problem).isEqualTo(code);
        }
        return problem;
    }
}

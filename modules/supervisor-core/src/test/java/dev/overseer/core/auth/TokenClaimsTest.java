package dev.overseer.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.UserId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * What a signed token must hold (SPEC §3, RFC 7515 and RFC 7519), checked on tokens forged by hand: the
 * server's own secret signs each, so only the header or claim under test can make it fail.
 */
class TokenClaimsTest {
    private static final String SECRET = "claims-test-secret-that-is-long-enough-0123456789";
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final String HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    private final TokenAuthenticator authenticator = new TokenAuthenticator(JwtSecret.of(SECRET),
            new TokenSettings(Duration.ofSeconds(60)), Clock.fixed(NOW, ZoneOffset.UTC), 16);

    @Test
    void expThatIsNull_orMissing_orText_isRefused() {
        refused(claims("\"sub\":\"alice\",\"exp\":null"), "invalid token: exp must be a number of seconds");
        refused(claims("\"sub\":\"alice\""), "invalid token: exp is required");
        // nimbus-jose-jwt already refuses to read a claims set whose exp is text.
        refused(claims("\"sub\":\"alice\",\"exp\":\"" + (NOW.getEpochSecond() + 600) + "\""), "invalid token");
    }

    @Test
    void expPassedWithinTheSkew_isAccepted_beyondIt_refused() throws AuthenticationException {
        assertThat(accepted(claims("\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() - 30))).userId())
                .isEqualTo(new UserId("alice"));
        refused(claims("\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() - 60)), "token expired");
        refused(claims("\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() - 120)), "token expired");
    }

    @Test
    void nbfAheadWithinTheSkew_isAccepted_beyondIt_orNull_refused() throws AuthenticationException {
        long exp = NOW.getEpochSecond() + 600;
        accepted(claims("\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":" + (NOW.getEpochSecond() + 5)));
        refused(claims("\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":" + (NOW.getEpochSecond() + 120)),
                "token not valid yet");
        refused(claims("\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":null"),
                "invalid token: nbf must be a number of seconds");
    }

    @Test
    void iatFarInTheFuture_isRefused() throws AuthenticationException {
        long exp = NOW.getEpochSecond() + 600;
        accepted(claims("\"sub\":\"alice\",\"exp\":" + exp + ",\"iat\":" + (NOW.getEpochSecond() + 30)));
        refused(claims("\"sub\":\"alice\",\"exp\":" + exp + ",\"iat\":" + (NOW.getEpochSecond() + 300)),
                "token issued in the future");
    }

    @Test
    void subThatIsNotAStringUserId_isRefused() {
        long exp = NOW.getEpochSecond() + 600;
        refused(claims("\"sub\":42,\"exp\":" + exp), "invalid token subject: sub must be a string");
        refused(claims("\"sub\":null,\"exp\":" + exp), "invalid token subject: sub must be a string");
        refused(claims("\"exp\":" + exp), "invalid token subject: sub must be a string");
        refused(claims("\"sub\":\"\",\"exp\":" + exp), "invalid token subject: user id is blank");
        refused(claims("\"sub\":\"" + "u".repeat(129) + "\",\"exp\":" + exp),
                "invalid token subject: user id is longer than 128 characters");
    }

    @Test
    void unknownCriticalHeader_isRefused() {
        String payload = "{\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() + 600) + "}";
        refused(sign("{\"alg\":\"HS256\",\"crit\":[\"exp-policy\"],\"exp-policy\":\"strict\"}", payload, SECRET),
                "invalid token");
    }

    @Test
    void otherAlgorithms_andNone_areRefused() {
        String payload = "{\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() + 600) + "}";
        refused(sign("{\"alg\":\"HS512\"}", payload, SECRET), "invalid token");
        refused(encode("{\"alg\":\"none\"}") + "." + encode(payload) + ".", "invalid token");
        refused(sign(HS256, payload, "another-secret-that-is-long-enough-0123456789"), "invalid token");
    }

    @Test
    void absurdDates_neitherOverflowNorPass() throws AuthenticationException {
        refused(claims("\"sub\":\"alice\",\"exp\":-1e300"), "token expired");
        assertThat(accepted(claims("\"sub\":\"alice\",\"exp\":1e300")).expiresAt()).isAfter(NOW.plus(Duration.ofDays(3650)));
        refused(claims("\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() + 600) + ",\"nbf\":1e300"),
                "token not valid yet");
    }

    private dev.overseer.context.Principal accepted(String token) throws AuthenticationException {
        return authenticator.authenticate(token);
    }

    private void refused(String token, String message) {
        assertThatThrownBy(() -> authenticator.authenticate(token)).as(token)
                .isInstanceOf(AuthenticationException.class).hasMessage(message);
    }

    private static String claims(String members) {
        return sign(HS256, "{" + members + "}", SECRET);
    }

    private static String sign(String header, String payload, String secret) {
        String input = encode(header) + "." + encode(payload);
        try {
            Mac mac = Mac.getInstance(header.contains("HS512") ? "HmacSHA512" : "HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), mac.getAlgorithm()));
            return input + "." + Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}

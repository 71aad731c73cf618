package dev.overseer.it;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hand-made HS256 tokens, independent of the server's issuer, so tests can forge what a client might send:
 * another secret, a missing claim. Signed with {@link TestServer#SECRET} they must be accepted.
 */
public final class Jwts {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private Jwts() {
    }

    /** A token for {@code user} valid for an hour, signed with {@code secret}. */
    public static String signed(String secret, String user) {
        return sign(secret, "{\"sub\":\"" + user + "\",\"iat\":" + Instant.now().getEpochSecond() + ",\"exp\":"
                + Instant.now().plusSeconds(3600).getEpochSecond() + "}");
    }

    /** A token for {@code user} with no {@code exp} claim. */
    public static String withoutExpiry(String secret, String user) {
        return sign(secret, "{\"sub\":\"" + user + "\",\"iat\":" + Instant.now().getEpochSecond() + "}");
    }

    /** A token for {@code user} that claims {@code alg: none} and carries no signature. */
    public static String unsigned(String user) {
        String header = encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = encode("{\"sub\":\"" + user + "\",\"exp\":" + Instant.now().plusSeconds(3600).getEpochSecond()
                + "}");
        return header + "." + payload + ".";
    }

    private static String sign(String secret, String payloadJson) {
        String signingInput = encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + encode(payloadJson);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + "." + BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String json) {
        return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}

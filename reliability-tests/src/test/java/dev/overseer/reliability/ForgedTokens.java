package dev.overseer.reliability;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** JWTs assembled from any header and payload JSON, signed with any HMAC algorithm and secret (or not at all). */
final class ForgedTokens {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private ForgedTokens() {
    }

    static String hs256(String secret, String payloadJson) {
        return sign("HmacSHA256", secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payloadJson);
    }

    /** {@code header.payload.signature} with the signature made by {@code macAlgorithm} (e.g. HmacSHA256). */
    static String sign(String macAlgorithm, String secret, String headerJson, String payloadJson) {
        String signingInput = encode(headerJson) + "." + encode(payloadJson);
        try {
            Mac mac = Mac.getInstance(macAlgorithm);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlgorithm));
            return signingInput + "." + BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String unsigned(String headerJson, String payloadJson) {
        return encode(headerJson) + "." + encode(payloadJson) + ".";
    }

    static String encode(String json) {
        return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}

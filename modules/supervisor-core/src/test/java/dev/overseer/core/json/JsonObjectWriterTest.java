package dev.overseer.core.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hot path's JSON objects: the same text Jackson writes for the same tree. */
class JsonObjectWriterTest {
    private static String written(String text, long number, ObjectNode tree) {
        StringBuilder out = new StringBuilder();
        JsonObjectWriter object = new JsonObjectWriter(out)
                .put("text", text)
                .put("number", number)
                .put("tree", tree)
                .put("missing", (String) null)
                .put("no tree", (ObjectNode) null);
        object.object("nested").put("inner", text).end();
        object.object("empty").end();
        object.end();
        return out.toString();
    }

    private static String jackson(String text, long number, ObjectNode tree) {
        ObjectNode node = Json.object().put("text", text).put("number", number);
        node.set("tree", tree);
        node.putNull("missing");
        node.set("no tree", NullNode.getInstance());
        node.putObject("nested").put("inner", text);
        node.putObject("empty");
        return Json.write(node);
    }

    @Test
    void plainAndEscapedStrings_numbersTreesAndNesting_matchJackson() {
        ObjectNode tree = Json.object().put("expression", "6*7").put("ok", true).put("tiny", 1.0e-7)
                .put("half", 2.5f).put("big", new BigInteger("123456789012345678901234567890"))
                .put("esc\"aped\nkey", "v");
        tree.set("result", LongNode.valueOf(42));
        tree.putArray("list").add(1).add("a\"b").add(false).addNull().add(-3.25).addObject().putArray("k");
        tree.putObject("empty");
        for (String text : new String[] {"", "What is 6*7?", "quote \" backslash \\ slash /", "tab\tnew\nline\r",
                "\u0000\u0001\u001f\u007f", "é ü 漢字 😀", "\u2028\u2029", "\ud800 lone surrogate"}) {
            assertThat(written(text, -7, tree)).as(text).isEqualTo(jackson(text, -7, tree));
        }
        assertThat(written("x", Long.MAX_VALUE, tree)).isEqualTo(jackson("x", Long.MAX_VALUE, tree));
    }

    @Test
    void randomStrings_matchJackson() {
        Random random = new Random(42);
        ObjectNode tree = Json.object();
        for (int i = 0; i < 2_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(40);
            for (int c = 0; c < length; c++) {
                text.append((char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0x10000)));
            }
            String value = text.toString();
            long number = random.nextLong();
            assertThat(written(value, number, tree)).isEqualTo(jackson(value, number, tree));
        }
    }
}

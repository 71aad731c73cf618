package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import jakarta.inject.Inject;

/** Evaluates an arithmetic expression; the result is a JSON number (an integer when it is whole). */
public final class CalculatorTool implements Tool {
    public static final String NAME = "calculator";
    private static final int MAX_EXPRESSION_LENGTH = 500;

    @Inject
    public CalculatorTool() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Evaluates an arithmetic expression with + - * / % ^ and parentheses.";
    }

    @Override
    public ObjectNode parametersSchema() {
        ObjectNode schema = Json.object().put("type", "object");
        schema.putObject("properties").putObject("expression")
                .put("type", "string")
                .put("description", "for example (2+3)*4");
        schema.putArray("required").add("expression");
        return schema.put("additionalProperties", false);
    }

    @Override
    public JsonNode call(JsonNode arguments, ToolContext context) throws ToolException {
        JsonNode expression = arguments.get("expression");
        if (expression == null || !expression.isTextual() || expression.asText().isBlank()) {
            throw new ToolException("'expression' must be a non-empty string");
        }
        if (expression.asText().length() > MAX_EXPRESSION_LENGTH) {
            throw new ToolException("'expression' is longer than " + MAX_EXPRESSION_LENGTH + " characters");
        }
        double value = ArithmeticExpression.evaluate(expression.asText());
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return LongNode.valueOf((long) value);
        }
        return DoubleNode.valueOf(value);
    }
}

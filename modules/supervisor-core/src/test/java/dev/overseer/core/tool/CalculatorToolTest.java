package dev.overseer.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.UserId;
import dev.overseer.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CalculatorToolTest {
    private static final ToolContext CONTEXT = new ToolContext(new UserId("alice"), (progress, total, message) -> {
    });

    private final CalculatorTool calculator = new CalculatorTool();

    private JsonNode calculate(String expression) throws ToolException {
        return calculator.call(Json.object().put("expression", expression), CONTEXT);
    }

    @Test
    void call_sixTimesSeven_isTheIntegralNumber42() throws ToolException {
        JsonNode result = calculate("6*7");

        assertThat(result.isIntegralNumber()).isTrue();
        assertThat(Json.write(result)).isEqualTo("42");
    }

    @Test
    void call_parentheses_groupFirst() throws ToolException {
        assertThat(Json.write(calculate("(2+3)*4"))).isEqualTo("20");
    }

    @Test
    void call_inexactDivision_isADecimalNumber() throws ToolException {
        JsonNode result = calculate("7/2");

        assertThat(result.isIntegralNumber()).isFalse();
        assertThat(Json.write(result)).isEqualTo("3.5");
    }

    @Test
    void call_exactDivision_isIntegral() throws ToolException {
        assertThat(Json.write(calculate("8/2"))).isEqualTo("4");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '=', value = {
            "2+3*4          = 14",
            "2*3+4          = 10",
            "10-4-3         = 3",
            "100/10/5       = 2",
            "2*3^2          = 18",
            "2^3^2          = 512",
            "2^10           = 1024",
            "7%3            = 1",
            "1+7%3*2        = 3",
            "-3+5           = 2",
            "2*-3           = -6",
            "-(2+3)         = -5",
            "--4            = 4",
            "2^-1           = 0.5",
            "' ( 2 + 3 ) * 4 ' = 20",
            "0.1*3          = 0.30000000000000004",
            "1.5+1.5        = 3",
    })
    void call_precedenceAndAssociativity(String expression, String expected) throws ToolException {
        assertThat(Json.write(calculate(expression))).isEqualTo(expected);
    }
    @Test
    void call_unaryMinusBeforePower_appliesAfterThePower() throws ToolException {
        assertThat(Json.write(calculate("-2^2"))).isEqualTo("-4");
    }

    @Test
    void call_divisionByZero_isAToolError() {
        assertThatThrownBy(() -> calculate("1/0"))
                .isInstanceOf(ToolException.class)
                .hasMessage("division by zero");
        assertThatThrownBy(() -> calculate("5/(3-3)"))
                .isInstanceOf(ToolException.class)
                .hasMessage("division by zero");
        assertThatThrownBy(() -> calculate("5%0"))
                .isInstanceOf(ToolException.class)
                .hasMessage("division by zero");
    }

    @Test
    void call_garbage_namesTheOffendingCharacterAndPosition() {
        assertThatThrownBy(() -> calculate("abc"))
                .isInstanceOf(ToolException.class)
                .hasMessage("unexpected 'a' at position 1");
        assertThatThrownBy(() -> calculate("2 + x"))
                .isInstanceOf(ToolException.class)
                .hasMessage("unexpected 'x' at position 5");
        assertThatThrownBy(() -> calculate("6*7 apples"))
                .isInstanceOf(ToolException.class)
                .hasMessage("unexpected 'a' at position 5");
    }

    @Test
    void call_truncatedExpression_saysItEndsTooEarly() {
        assertThatThrownBy(() -> calculate("2+"))
                .isInstanceOf(ToolException.class)
                .hasMessage("the expression ends too early");
    }

    @Test
    void call_unclosedParenthesis_saysWhatIsMissing() {
        assertThatThrownBy(() -> calculate("(2+3"))
                .isInstanceOf(ToolException.class)
                .hasMessage("missing ')'");
    }

    @Test
    void call_malformedNumber_isRejected() {
        assertThatThrownBy(() -> calculate("1.2.3"))
                .isInstanceOf(ToolException.class)
                .hasMessage("'1.2.3' is not a number");
    }

    @Test
    void call_overflow_isNotAFiniteNumber() {
        assertThatThrownBy(() -> calculate("10^400"))
                .isInstanceOf(ToolException.class)
                .hasMessage("the result is not a finite number");
    }

    @Test
    void call_missingExpression_isRejected() {
        assertThatThrownBy(() -> calculator.call(Json.object(), CONTEXT))
                .isInstanceOf(ToolException.class)
                .hasMessage("'expression' must be a non-empty string");
    }

    @Test
    void call_nonTextOrBlankExpression_isRejected() {
        assertThatThrownBy(() -> calculator.call(Json.object().put("expression", 42), CONTEXT))
                .isInstanceOf(ToolException.class)
                .hasMessage("'expression' must be a non-empty string");
        assertThatThrownBy(() -> calculate("   "))
                .isInstanceOf(ToolException.class)
                .hasMessage("'expression' must be a non-empty string");
    }

    @Test
    void call_overLongExpression_isRejected() {
        assertThatThrownBy(() -> calculate("1+".repeat(250) + "1"))
                .isInstanceOf(ToolException.class)
                .hasMessage("'expression' is longer than 500 characters");
    }

    @Test
    void parametersSchema_requiresAStringExpression() {
        assertThat(calculator.name()).isEqualTo("calculator");
        assertThat(calculator.parametersSchema().path("required").get(0).asText()).isEqualTo("expression");
        assertThat(calculator.parametersSchema().path("properties").path("expression").path("type").asText())
                .isEqualTo("string");
    }
}

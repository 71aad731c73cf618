package dev.overseer.core.tool;

/**
 * Evaluates arithmetic: numbers, {@code + - * / % ^}, unary minus and parentheses, with the usual
 * precedence ({@code ^} binds tightest and to the right).
 */
final class ArithmeticExpression {
    private final String text;
    private int at;

    private ArithmeticExpression(String text) {
        this.text = text;
    }

    static double evaluate(String text) throws ToolException {
        ArithmeticExpression parser = new ArithmeticExpression(text);
        double value = parser.sum();
        parser.skipSpaces();
        if (parser.at != text.length()) {
            throw new ToolException("unexpected '" + text.charAt(parser.at) + "' at position " + (parser.at + 1));
        }
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new ToolException("the result is not a finite number");
        }
        return value;
    }

    private double sum() throws ToolException {
        double value = product();
        while (true) {
            if (eat('+')) {
                value += product();
            } else if (eat('-')) {
                value -= product();
            } else {
                return value;
            }
        }
    }

    private double product() throws ToolException {
        double value = unary();
        while (true) {
            if (eat('*')) {
                value *= unary();
            } else if (eat('/')) {
                double divisor = unary();
                if (divisor == 0) {
                    throw new ToolException("division by zero");
                }
                value /= divisor;
            } else if (eat('%')) {
                double divisor = unary();
                if (divisor == 0) {
                    throw new ToolException("division by zero");
                }
                value %= divisor;
            } else {
                return value;
            }
        }
    }

    /** A sign applies after the power: {@code -2^2} is {@code -(2^2)}. */
    private double unary() throws ToolException {
        if (eat('-')) {
            return -unary();
        }
        if (eat('+')) {
            return unary();
        }
        return power();
    }

    private double power() throws ToolException {
        double base = atom();
        if (eat('^')) {
            return Math.pow(base, unary());
        }
        return base;
    }

    private double atom() throws ToolException {
        if (eat('(')) {
            double value = sum();
            if (!eat(')')) {
                throw new ToolException("missing ')'");
            }
            return value;
        }
        skipSpaces();
        int start = at;
        while (at < text.length() && (Character.isDigit(text.charAt(at)) || text.charAt(at) == '.')) {
            at++;
        }
        if (start == at) {
            throw at < text.length()
                    ? new ToolException("unexpected '" + text.charAt(at) + "' at position " + (at + 1))
                    : new ToolException("the expression ends too early");
        }
        try {
            return Double.parseDouble(text.substring(start, at));
        } catch (NumberFormatException e) {
            throw new ToolException("'" + text.substring(start, at) + "' is not a number");
        }
    }

    private boolean eat(char expected) {
        skipSpaces();
        if (at < text.length() && text.charAt(at) == expected) {
            at++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }
}

// Parses an AsyncAPI document with the official parser (@asyncapi/parser) and prints every diagnostic.
// Exits 1 when any diagnostic has severity error (or the document cannot be read), 0 otherwise.
// Usage: node validate.mjs path/to/asyncapi.json
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'information',
  [DiagnosticSeverity.Hint]: 'hint',
};

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs path/to/asyncapi.json');
  process.exit(2);
}
const text = await readFile(file, 'utf8');
const { document, diagnostics } = await new Parser().parse(text, { source: file });
let errors = 0;
for (const diagnostic of diagnostics) {
  const severity = SEVERITY[diagnostic.severity] ?? String(diagnostic.severity);
  if (diagnostic.severity === DiagnosticSeverity.Error) {
    errors++;
  }
  console.log(`${severity} ${diagnostic.code} at /${diagnostic.path.join('/')}: ${diagnostic.message}`);
}
if (document === undefined && errors === 0) {
  console.log('error: the parser returned no document');
  errors++;
}
if (document !== undefined) {
  console.log(`parsed AsyncAPI ${document.version()}: ${document.channels().length} channel(s), `
    + `${document.operations().length} operation(s), ${document.messages().length} message(s)`);
}
console.log(`${errors} error(s), ${diagnostics.length - errors} other diagnostic(s)`);
process.exit(errors === 0 ? 0 : 1);

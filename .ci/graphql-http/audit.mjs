// The GraphQL-over-HTTP conformance audit (graphql-http's auditServer) against a running server.
//
//   node .ci/graphql-http/audit.mjs http://127.0.0.1:8000/graphql
//
// Prints every audit (ok / notice / warn / error, with its id, name and reason) and exits 1 when
// any audit warns or errs: the target is no error and no warning. A notice is printed only.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs <GraphQL endpoint URL>');
  process.exit(2);
}

// No request may hang the run: each one gets 30 s.
const REQUEST_TIMEOUT_MS = 30_000;
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  // auditServer throws only on a fatal problem (for example, the server is unreachable).
  console.error(`graphql-http audit could not run against ${url}: ${err?.stack ?? err}`);
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  const line = `${result.status.toUpperCase().padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    console.log(line);
    continue;
  }
  const response = result.response;
  const got = response
    ? ` [HTTP ${response.status}, content-type: ${response.headers.get('content-type') ?? '-'}]`
    : '';
  console.log(`${line}\n       reason: ${result.reason}${got}`);
}

const failed = counts.warn + counts.error;
console.log(
  `\ngraphql-http audit of ${url}: ${results.length} audits, ${counts.ok} ok, ` +
    `${counts.notice} notice, ${counts.warn} warn, ${counts.error} error`,
);
console.log(`audit: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

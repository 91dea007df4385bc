// graphql-http's audit of the GraphQL-over-HTTP spec against a running
// authql (GRAPHQL_URL); run by tests/api/clients.rs. Prints each result and
// a summary line of ok/warn/error counts per level; exits 1 when a MUST
// item fails.
import { auditServer } from "graphql-http";
import { env } from "./lib.mjs";

const results = await auditServer({ url: env("GRAPHQL_URL") });
const counts = {};
for (const result of results) {
  const level = result.name.split(" ")[0];
  counts[level] ??= { ok: 0, warn: 0, error: 0 };
  counts[level][result.status] += 1;
  const why = result.status === "ok" ? "" : `: ${result.reason}`;
  console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}${why}`);
}
const summary = ["MUST", "SHOULD", "MAY"]
  .map((level) => {
    const { ok, warn, error } = counts[level] ?? { ok: 0, warn: 0, error: 0 };
    return `${level} ${ok} ok, ${warn} warn, ${error} error`;
  })
  .join("; ");
console.log(`audit summary: ${summary}`);
const mustFailed = results.some((result) => result.name.startsWith("MUST") && result.status !== "ok");
process.exit(mustFailed ? 1 : 0);

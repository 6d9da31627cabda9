// The TypeScript side of scripts/bench-ingest: @tinybirdco/sdk's own batch ingest call,
// `createTinybirdApi({ baseUrl, token }).ingestBatch(name, rows)` (wait=true is its default),
// one call of BATCH rows at a time; prints one JSON line with the wall and CPU time of the calls.
//
//   node ts-client.mjs SDK_DIR URL TOKEN ROWS.ndjson BATCH
//
// The rows are read and parsed into objects before the clock starts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [sdkDir, url, token, rowsFile, batchText] = process.argv.slice(2);
const sdk = await import(
  pathToFileURL(join(sdkDir, "node_modules", "@tinybirdco", "sdk", "dist", "index.js")).href
);
const rows = readFileSync(rowsFile, "utf8")
  .split("\n")
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line));
const batch = Number(batchText);
const api = sdk.createTinybirdApi({ baseUrl: url, token });

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
let written = 0;
for (let i = 0; i < rows.length; i += batch) {
  const result = await api.ingestBatch("agent_activations", rows.slice(i, i + batch));
  if (result.quarantined_rows !== 0) throw new Error(`quarantined: ${JSON.stringify(result)}`);
  written += result.successful_rows;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
if (written !== rows.length) throw new Error(`the server counted ${written} rows of ${rows.length}`);
console.log(
  JSON.stringify({
    client: "@tinybirdco/sdk",
    compression: "none",
    rows: written,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
  })
);

// A Fail2ban-like caller that runs several actions in one process through the BUILT library
// (dist/index.mjs), the same calls the CLI makes (loadConfig → Session → ban/unban/flush).
// Usage: node worker.mjs <config> '<json ops>'  (ops: {op, ip?, jail?, family?, bantime?, time?})
// Prints one JSON line per finished op: {i, exitCode, ms, error?}.
import { ban, flush, loadConfig, parseBanTarget, Session, unban } from "../../dist/index.mjs";

const [configPath, opsJson] = process.argv.slice(2);
const ops = JSON.parse(opsJson);
const { config } = await loadConfig({ path: configPath });

for (const [i, op] of ops.entries()) {
  const started = Date.now();
  const session = new Session({ config, budgetMs: 20_000 });
  let exitCode = 0;
  let error;
  try {
    session.journal.ensureDirectory();
    let outcome;
    if (op.op === "ban") {
      outcome = await ban(session, {
        target: parseBanTarget(op.ip),
        jail: op.jail,
        ...(op.time !== undefined ? { time: op.time } : {}),
        ...(op.bantime !== undefined ? { bantime: op.bantime } : {}),
      });
    } else if (op.op === "unban") {
      outcome = await unban(session, { target: parseBanTarget(op.ip), jail: op.jail });
    } else {
      outcome = await flush(session, {
        ...(op.jail !== undefined ? { jail: op.jail } : {}),
        ...(op.family !== undefined ? { family: op.family } : {}),
      });
    }
    exitCode = outcome.exitCode;
  } catch (thrown) {
    exitCode = 1;
    error = String(thrown?.message ?? thrown);
  } finally {
    session.close();
  }
  process.stdout.write(
    `${JSON.stringify({ i, exitCode, ms: Date.now() - started, ...(error ? { error } : {}) })}\n`,
  );
}

/**
 * A probe's findings as an emulator profile (src/emulator/profile.ts reads it): each answered
 * question sets the switch of docs/emulator.md; what was not measured is left out, so the
 * emulator keeps its default there.
 */
import type { StepResult } from "./report.ts";

type Profile = Record<string, unknown> & { behaviour: Record<string, unknown> };

function step(steps: StepResult[], id: string): StepResult | undefined {
  const found = steps.find((s) => s.id === id);
  return found?.ok ? found : undefined;
}

const NO_RECORDS = /^(No\.|Number) of records Zero\.?$/;

/** 200 means the firewall did it; anything else is the code it refused with. */
function codeOr<T extends string>(s: StepResult | undefined, word: T): number | T | undefined {
  if (s?.code === undefined) return undefined;
  return s.code === 200 ? word : s.code;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function profileFromSteps(steps: StepResult[], apiVersion: string | null): Profile {
  const b: Record<string, unknown> = {};
  const readNone = step(steps, "read-none");
  if (readNone?.text !== undefined && NO_RECORDS.test(readNone.text)) b.noRecordsText = readNone.text;
  const unmodelled = step(steps, "unmodelled-get");
  if (unmodelled?.text !== undefined)
    b.unmodelledGet =
      NO_RECORDS.test(unmodelled.text) || unmodelled.facts?.records ? "no-records" : "transaction-fail";
  const tagCase = step(steps, "tag-case");
  if (tagCase !== undefined)
    b.tagCase = tagCase.text !== undefined && NO_RECORDS.test(tagCase.text) ? "insensitive" : "sensitive";
  const tid = step(steps, "transactionid");
  if (tid?.facts?.echoed !== undefined) b.echoTransactionId = tid.facts.echoed === true;
  const l1000 = step(steps, "iplist-1000");
  const l1001 = step(steps, "iplist-1001");
  if (l1001?.code === 200) b.ipListMax = 1001;
  else if (l1000?.code === 200 && l1001 !== undefined) b.ipListMax = 1000;
  const prefix = step(steps, "ipv6-prefix");
  const mask = step(steps, "ipv6-mask");
  if (prefix?.code !== undefined && mask?.code !== undefined) {
    const p = prefix.code === 200;
    const m = mask.code === 200;
    if (p || m) b.ipv6Subnet = p && m ? "both" : p ? "prefix" : "mask";
  }
  // Only meaningful when the member host was really written (a duplicate address may refuse it).
  const memberWritten = step(steps, "write-1")?.code === 200;
  const removeMember = memberWritten ? codeOr(step(steps, "remove-member"), "allow") : undefined;
  if (removeMember !== undefined) b.removeMember = removeMember;
  const missingGroup = step(steps, "missing-group");
  // A firewall that writes the host anyway has no emulator switch: left at the default.
  if (missingGroup?.code !== undefined && missingGroup.code !== 200) b.missingGroupCode = missingGroup.code;
  const updateMissing = codeOr(step(steps, "update-missing"), "add");
  if (updateMissing !== undefined) b.updateMissing = updateMissing;
  const removeMissingGroup = step(steps, "remove-missing-group");
  if (removeMissingGroup?.code !== undefined) b.removeMissingGroupCode = removeMissingGroup.code;
  const duplicate = step(steps, "duplicate-address");
  if (duplicate?.code !== undefined && duplicate.facts?.firstCode === 200)
    b.rejectDuplicateAddress = duplicate.code !== 200;
  const invalidEnum = step(steps, "invalid-enum");
  if (invalidEnum?.code !== undefined && invalidEnum.code !== 200) b.invalidEnumCode = invalidEnum.code;
  const getPost = step(steps, "get-vs-post");
  if (getPost?.facts?.same !== undefined) b.getRequests = getPost.facts.same ? "allow" : "refuse";
  const long = step(steps, "get-long");
  // Only a cap is known, not its size: 4096 stands for "somewhere below the 8 KB that was refused".
  if (long?.facts?.same !== undefined && getPost?.facts?.same === true)
    b.maxUrlBytes = long.facts.same ? null : 4096;

  const profile: Profile = {
    name: "probed",
    evidence: "f2b-sophosxg probe",
    behaviour: b,
  };
  if (apiVersion !== null) profile.apiVersion = apiVersion;
  const reads = ["read-none", "unmodelled-get", "tag-case"]
    .map((id) => step(steps, id)?.ms)
    .filter((ms) => ms !== undefined);
  const write1 = step(steps, "write-1");
  const write100 = step(steps, "write-100");
  if (reads.length > 0 && write1 !== undefined) {
    const latency: Record<string, number> = { readMs: median(reads), writeMs: write1.ms };
    if (write100 !== undefined)
      latency.entityMs = Math.max(0, Math.round(((write100.ms - write1.ms) / 99) * 10) / 10);
    profile.latency = latency;
  }
  return profile;
}

/**
 * Emulator profiles: a JSON file of the fidelity switches, the APIVersion, a latency model, the
 * allowed sources and objects the firewall already has, so that the emulator behaves like one
 * known firmware (profiles/sfos-20.json, profiles/sfos-22.json) or like the firewall a
 * `f2b-sophosxg probe --json` report measured (its `profile` member is read directly).
 */
import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { F2bError } from "../errors/base.ts";
import type { BehaviourSwitches, EmulatorOptions, LatencySettings } from "./options.ts";
import { normaliseObjects } from "./seed.ts";
import type { StoreSnapshot } from "./store.ts";

export class ProfileError extends F2bError {
  override name = "ProfileError";
}

const code = v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(999));
const ms = v.pipe(v.number(), v.minValue(0));

const BehaviourSchema = v.strictObject({
  noRecordsText: v.optional(v.picklist(["No. of records Zero.", "Number of records Zero."])),
  removeMember: v.optional(v.union([code, v.literal("allow")])),
  missingGroupCode: v.optional(code),
  updateMissing: v.optional(v.union([code, v.literal("add")])),
  removeGroupWithHostList: v.optional(v.picklist(["reject", "mimic"])),
  ipv6Subnet: v.optional(v.picklist(["prefix", "mask", "both"])),
  rejectDuplicateAddress: v.optional(v.boolean()),
  echoTransactionId: v.optional(v.boolean()),
  unmodelledGet: v.optional(v.picklist(["no-records", "transaction-fail"])),
  tagCase: v.optional(v.picklist(["sensitive", "insensitive"])),
  loginLockout: v.optional(
    v.nullable(
      v.strictObject({
        failures: v.pipe(v.number(), v.integer(), v.minValue(1)),
        minutes: v.pipe(v.number(), v.minValue(0)),
      }),
    ),
  ),
  getRequests: v.optional(v.picklist(["allow", "refuse"])),
  maxUrlBytes: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(16)))),
  removeMissingGroupCode: v.optional(code),
  invalidEnumCode: v.optional(code),
  ipListMax: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const ProfileSchema = v.strictObject({
  name: v.optional(v.string()),
  description: v.optional(v.string()),
  /** Where the profile's answers come from (a probe run, public material). */
  evidence: v.optional(v.string()),
  apiVersion: v.optional(v.string()),
  behaviour: v.optional(BehaviourSchema),
  latency: v.optional(
    v.strictObject({
      readMs: v.optional(ms),
      writeMs: v.optional(ms),
      entityMs: v.optional(ms),
      timeScale: v.optional(ms),
    }),
  ),
  allowedCallers: v.optional(v.array(v.string())),
  allowedCallerHosts: v.optional(v.array(v.string())),
  seed: v.optional(
    v.looseObject({ hosts: v.optional(v.array(v.any())), groups: v.optional(v.array(v.any())) }),
  ),
});

export interface EmulatorProfile {
  name?: string;
  description?: string;
  evidence?: string;
  apiVersion?: string;
  behaviour?: Partial<BehaviourSwitches>;
  latency?: Partial<LatencySettings>;
  allowedCallers?: string[];
  allowedCallerHosts?: string[];
  seed?: Partial<StoreSnapshot>;
}

/** Checks a parsed profile (or a probe report carrying one as `profile`). */
export function parseProfile(json: unknown, where: string): EmulatorProfile {
  const inner =
    typeof json === "object" && json !== null && "profile" in json && typeof json.profile === "object"
      ? json.profile
      : json;
  const result = v.safeParse(ProfileSchema, inner);
  if (!result.success) {
    const problems = result.issues.map((issue) => {
      const path = v.getDotPath(issue) ?? "(top)";
      return `${path}: ${issue.message}`;
    });
    throw new ProfileError(`the emulator profile ${where} is not valid: ${problems.slice(0, 5).join("; ")}`, {
      hint: "see docs/emulator.md#profiles for the keys; a probe report's JSON can be used as it is",
    });
  }
  const profile = result.output as EmulatorProfile;
  if (profile.seed !== undefined) {
    try {
      profile.seed = normaliseObjects(profile.seed);
    } catch (error) {
      throw new ProfileError(`the emulator profile ${where} has a bad seed: ${(error as Error).message}`, {
        hint: "each seeded host needs name and hostType, each group a name",
      });
    }
  }
  return profile;
}

export async function loadProfile(path: string): Promise<EmulatorProfile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ProfileError(`the emulator profile ${path} cannot be read: ${(error as Error).message}`, {
      hint: "give the path of a profile JSON (profiles/sfos-20.json) or a probe report",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(`the emulator profile ${path} is not JSON: ${(error as Error).message}`, {
      hint: "fix the JSON syntax",
    });
  }
  return parseProfile(json, path);
}

/** Options from a profile, under whatever the caller sets explicitly (flags win). */
export function withProfile(profile: EmulatorProfile, options: EmulatorOptions): EmulatorOptions {
  const merged: EmulatorOptions = {
    ...options,
    behaviour: { ...profile.behaviour, ...options.behaviour },
    latency: { ...profile.latency, ...options.latency },
  };
  const apiVersion = options.apiVersion ?? profile.apiVersion;
  if (apiVersion !== undefined) merged.apiVersion = apiVersion;
  const callers = [...(profile.allowedCallers ?? []), ...(options.allowedCallers ?? [])];
  if (profile.allowedCallers !== undefined || options.allowedCallers !== undefined)
    merged.allowedCallers = callers;
  const hosts = [...(profile.allowedCallerHosts ?? []), ...(options.allowedCallerHosts ?? [])];
  if (profile.allowedCallerHosts !== undefined || options.allowedCallerHosts !== undefined)
    merged.allowedCallerHosts = hosts;
  if (profile.seed !== undefined) merged.seedObjects = profile.seed;
  return merged;
}

/**
 * `f2b-sophosxg install [--root DIR] [--dry-run]`: puts the program, the Fail2ban action file, a
 * config template and the systemd unit in place, one line per file. Idempotent: a file already
 * as it should be is left alone and reported `unchanged`. The config is never overwritten (it
 * holds the operator's credentials). The bouncer's unit (CrowdSec without Fail2ban) is installed
 * when the config there has a `crowdsec` section, or kept up to date when it is already there;
 * otherwise a `skipped` line says how to get it (no option: the config is what the unit runs). The files come from the package the running CLI belongs to
 * (dist/ beside action.d/ and systemd/, in the repository and in the npm package alike).
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { ActionOutcome } from "../action/outcome.ts";
import { F2bError } from "../errors/base.ts";

export class InstallError extends F2bError {
  override name = "InstallError";
}

export interface InstallOptions {
  /** Where to install; "/" for the real system. */
  root: string;
  dryRun: boolean;
  print: (line: string) => void;
  /** The package directory holding dist/, action.d/, systemd/; found from the running CLI by default. */
  sourceDir?: string;
}

export const LIB_DIR = "/usr/local/lib/f2b-sophosxg";
export const BIN_LINK = "/usr/local/bin/f2b-sophosxg";
export const ACTION_PATH = "/etc/fail2ban/action.d/sophosxg.conf";
export const CONFIG_PATH = "/etc/f2b-sophosxg/config.json";
export const UNIT_PATH = "/etc/systemd/system/f2b-sophosxg.service";
export const BOUNCER_UNIT_PATH = "/etc/systemd/system/f2b-sophosxg-bouncer.service";

/** Valid JSON that fails `doctor` until the operator fills it in (the placeholders say what). */
export const CONFIG_TEMPLATE = `${JSON.stringify(
  {
    url: "https://192.168.1.1:4444",
    user: "apiuser",
    pass_file: "/etc/f2b-sophosxg/password",
    tls_pin_sha256: "0000000000000000000000000000000000000000000000000000000000000000",
    iphost_prefix: "f2b_",
    iphostgroup_name: "fail2ban",
  },
  null,
  2,
)}\n`;

/** The package directory of the running code: the nearest ancestor with action.d/ and systemd/. */
export function packageDir(from = dirname(decodeURIComponent(new URL(import.meta.url).pathname))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, "action.d", "sophosxg.conf")) && existsSync(join(dir, "systemd"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new InstallError(`cannot find the package files (action.d/, systemd/) above ${from}`, {
        hint: "run install from the npm package or the repository (after npm run build)",
      });
    }
    dir = parent;
  }
}

type Action = "created" | "updated" | "unchanged" | "kept" | "skipped";

interface Plan {
  path: string;
  /** Text to write, or a symlink target. */
  content?: string | Buffer;
  link?: string;
  mode: number;
  /** Never replace an existing file (the config). */
  keepExisting?: boolean;
  dirMode?: number;
  note?: string;
  /** Said instead of `note` when an existing file is replaced. */
  updateNote?: string;
  /** Why this file is not installed (the line says so, and what to do); nothing is written. */
  skip?: string;
}

function read(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Whether the config the units run has a `crowdsec` section. Read as plain JSON, not validated:
 * install runs before the config is complete (the template), and `doctor` judges the rest.
 */
function crowdsecSection(path: string): "yes" | "no" | "unreadable" {
  const text = read(path);
  if (text === undefined) return "no";
  try {
    const data = JSON.parse(text.toString("utf8")) as unknown;
    return typeof data === "object" && data !== null && "crowdsec" in data ? "yes" : "no";
  } catch {
    return "unreadable";
  }
}

/** A unit file differs from the package's: it may be the operator's edit, which is replaced. */
function unitReplaced(unit: string): string {
  return `an edit there is replaced (keep changes in a drop-in: systemctl edit ${unit}); then systemctl daemon-reload`;
}

function source(dir: string, path: string): Buffer {
  const full = join(dir, path);
  const data = read(full);
  if (data === undefined) {
    throw new InstallError(`cannot read ${full}`, {
      hint: path.startsWith("dist/") ? "run npm run build first" : "the package is incomplete: reinstall it",
    });
  }
  return data;
}

function decide(plan: Plan): Action {
  if (plan.skip !== undefined) return "skipped";
  if (plan.link !== undefined) {
    try {
      const info = lstatSync(plan.path);
      return info.isSymbolicLink() && readlinkSync(plan.path) === plan.link ? "unchanged" : "updated";
    } catch {
      return "created";
    }
  }
  const current = read(plan.path);
  if (current === undefined) return existsSync(plan.path) ? "updated" : "created";
  if (plan.keepExisting) return "kept";
  const sameMode = (statSync(plan.path).mode & 0o777) === plan.mode;
  return current.equals(Buffer.from(plan.content ?? "")) && sameMode ? "unchanged" : "updated";
}

function apply(plan: Plan): void {
  mkdirSync(dirname(plan.path), { recursive: true, mode: plan.dirMode ?? 0o755 });
  if (plan.dirMode !== undefined) chmodSync(dirname(plan.path), plan.dirMode);
  if (plan.link !== undefined) {
    try {
      unlinkSync(plan.path);
    } catch {}
    symlinkSync(plan.link, plan.path);
    return;
  }
  // Temp file then rename: a reader (Fail2ban, a running hook) never sees half a file.
  const temp = `${plan.path}.f2b-install-${process.pid}`;
  writeFileSync(temp, plan.content ?? "", { mode: plan.mode, flag: plan.keepExisting ? "wx" : "w" });
  chmodSync(temp, plan.mode);
  if (plan.keepExisting && existsSync(plan.path)) {
    unlinkSync(temp);
    return;
  }
  renameSync(temp, plan.path);
}

export async function install(options: InstallOptions): Promise<ActionOutcome> {
  const root = resolve(options.root);
  const pkg = options.sourceDir ?? packageDir();
  const at = (path: string) => join(root, path);
  const libDir = at(LIB_DIR);
  const crowdsec = crowdsecSection(at(CONFIG_PATH));
  // The bin's entry: the CommonJS build of the entry, which Node starts fastest (scripts/build.mjs).
  const cli = join(libDir, "dist", "f2b-sophosxg.cjs");
  // The library directory mirrors the package (dist/, action.d/, systemd/), so that the installed
  // program finds its own files too (`install` from it, the CLI, emulator and probe imports beside
  // it, the emulator profiles).
  const dist = (file: string, mode: number): Plan => ({
    path: join(libDir, "dist", file),
    content: source(pkg, `dist/${file}`),
    mode,
  });
  const plans: Plan[] = [
    dist("f2b-sophosxg.mjs", 0o755),
    dist("f2b-sophosxg.cjs", 0o755),
    dist("cli.mjs", 0o644),
    dist("emulator.mjs", 0o644),
    dist("probe.mjs", 0o644),
    dist("metrics.mjs", 0o644),
    dist("fleet.mjs", 0o644),
    ...["sfos-20.json", "sfos-22.json"].map((name) => ({
      path: join(libDir, "profiles", name),
      content: source(pkg, `profiles/${name}`),
      mode: 0o644,
    })),
    {
      path: join(libDir, "action.d", "sophosxg.conf"),
      content: source(pkg, "action.d/sophosxg.conf"),
      mode: 0o644,
    },
    ...["f2b-sophosxg.service", "f2b-sophosxg-bouncer.service"].map((name) => ({
      path: join(libDir, "systemd", name),
      content: source(pkg, `systemd/${name}`),
      mode: 0o644,
    })),
    {
      path: at(BIN_LINK),
      // Relative, so that it also works inside --root and after the tree is moved into place.
      link: relative(dirname(at(BIN_LINK)), cli),
      mode: 0o777,
    },
    { path: at(ACTION_PATH), content: source(pkg, "action.d/sophosxg.conf"), mode: 0o644 },
    {
      path: at(UNIT_PATH),
      content: source(pkg, "systemd/f2b-sophosxg.service"),
      mode: 0o644,
      updateNote: unitReplaced("f2b-sophosxg"),
    },
    {
      path: at(BOUNCER_UNIT_PATH),
      content: source(pkg, "systemd/f2b-sophosxg-bouncer.service"),
      mode: 0o644,
      // An installed unit is kept current (an upgrade must not leave it running old paths).
      ...(crowdsec === "yes" || existsSync(at(BOUNCER_UNIT_PATH))
        ? {
            note: "the CrowdSec bouncer; enable it: systemctl enable --now f2b-sophosxg-bouncer",
            updateNote: unitReplaced("f2b-sophosxg-bouncer"),
          }
        : {
            skip:
              crowdsec === "unreadable"
                ? `${at(CONFIG_PATH)} is not valid JSON (f2b-sophosxg doctor says where): fix it, then run install again`
                : `no "crowdsec" section in ${at(CONFIG_PATH)}: add one, then run install again`,
          }),
    },
    {
      path: at(CONFIG_PATH),
      content: CONFIG_TEMPLATE,
      mode: 0o600,
      dirMode: 0o700,
      keepExisting: true,
      note: "template: set url, user, the password file and tls_pin_sha256, then run f2b-sophosxg doctor",
    },
  ];
  let changed = 0;
  for (const plan of plans) {
    const action = decide(plan);
    const doing = action === "created" || action === "updated";
    if (doing) changed++;
    if (doing && !options.dryRun) {
      try {
        apply(plan);
      } catch (error) {
        throw new InstallError(
          `cannot write ${plan.path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
          {
            hint: root === "/" ? "run as root" : "check that the --root directory is writable",
          },
        );
      }
    }
    const verb = options.dryRun && doing ? `would be ${action}` : action;
    const detail =
      plan.link !== undefined
        ? ` -> ${plan.link}`
        : action === "kept"
          ? " (exists: never overwritten)"
          : action === "skipped"
            ? ` (${plan.skip})`
            : ` (mode ${plan.mode.toString(8).padStart(4, "0")})`;
    const said = action === "updated" ? (plan.updateNote ?? plan.note) : plan.note;
    const note = said !== undefined && doing ? `; ${said}` : "";
    options.print(`${verb.padEnd(16)} ${plan.path}${detail}${note}`);
  }
  if (changed === 0) options.print("install: nothing to do, everything is in place");
  else if (options.dryRun)
    options.print(`install: dry run, ${changed} file(s) would change, nothing was written`);
  else
    options.print(
      `install: ${changed} file(s) changed; next: edit ${at(CONFIG_PATH)}, set "banaction = sophosxg" in jail.local, run f2b-sophosxg doctor`,
    );
  return { exitCode: 0, lines: [] };
}

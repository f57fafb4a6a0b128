/**
 * One API request in, one answer document out. Gate order (reference §1, §3): caller not
 * allowed (534), API disabled (532), malformed request (529), then Login; only then the
 * operations, in document order, each entity on its own.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type SetOperation, StatusCode, StatusText } from "../protocol/index.ts";
import { type CallerPolicy, callerAllowed } from "./caller-allowed.ts";
import type { Counters } from "./counters.ts";
import { type EntityStatus, status } from "./entity-status.ts";
import type { FaultState, StatusFault } from "./faults.ts";
import { filterGroups, filterHosts } from "./get-filter.ts";
import { removeIpHostGroup, setIpHostGroup } from "./group-ops.ts";
import { removeIpHost, setIpHost } from "./iphost-ops.ts";
import type { LoginLockout } from "./login-lockout.ts";
import { type BehaviourSwitches, KNOWN_UNMODELLED_TYPES } from "./options.ts";
import {
  codelessStatus,
  entityStatuses,
  groupXml,
  hostXml,
  loginBlock,
  responseDocument,
  topLevelStatus,
} from "./response-xml.ts";
import type { Store } from "./store.ts";
import { canonicalTags } from "./tag-case.ts";
import { child, childrenNamed, parseRequestTree, type XmlElement } from "./xml-tree.ts";

export interface DispatchContext {
  store: Store;
  behaviour: BehaviourSwitches;
  username: string;
  password: string;
  extraUsers: { username: string; password: string }[];
  apiVersion: string;
  faults: FaultState;
  counters: Counters;
  callers: CallerPolicy;
  lockout: LoginLockout;
  maxBodyBytes: number;
}

export interface DispatchResult {
  body: string;
  kind: "read" | "write";
  /** Entities in Set/Remove blocks (for the per-entity latency). */
  entities: number;
  /** Whether stored objects may have changed (persist after). */
  changed: boolean;
  outcome: string;
  /** The API user that logged in (absent when the login failed or never happened). */
  user?: string;
}

const WRITE_OPS = new Set(["Set", "Remove"]);

export function dispatch(ctx: DispatchContext, reqxml: string | undefined, caller: string): DispatchResult {
  const { faults, apiVersion } = ctx;
  const refused = (code: number, text: string, withAttrs = true): DispatchResult => {
    ctx.counters.refused += 1;
    const body = responseDocument(withAttrs ? apiVersion : undefined, [topLevelStatus(code, text)]);
    return { body, kind: "read", entities: 0, changed: false, outcome: String(code) };
  };
  const f = faults.get();
  if (f.callerNotAllowed || !callerAllowed(ctx.callers, caller, (name) => ctx.store.hosts.get(name))) {
    return refused(StatusCode.callerNotAllowed, StatusText.callerNotAllowed);
  }
  if (f.apiDisabled) return refused(StatusCode.apiDisabled, StatusText.apiDisabled);
  let root: XmlElement;
  try {
    if (reqxml === undefined) throw new Error("no reqxml");
    root = parseRequestTree(reqxml, ctx.maxBodyBytes);
    if (ctx.behaviour.tagCase === "insensitive") root = canonicalTags(root);
    if (root.tag !== "Request") throw new Error("root is not Request");
  } catch {
    return refused(StatusCode.requestInvalid, StatusText.requestInvalid, false);
  }
  const ops = root.children.filter((c) => c.tag === "Get" || WRITE_OPS.has(c.tag));
  const isWrite = ops.some((o) => WRITE_OPS.has(o.tag));
  const entities = ops.filter((o) => WRITE_OPS.has(o.tag)).reduce((n, o) => n + writeCount(o), 0);
  const kind = isWrite ? "write" : "read";
  const injected = faults.peekStatus();
  if (injected !== undefined && (injected.scope === "top" || (injected.scope === "auto" && !isWrite))) {
    faults.consumeStatus();
    return { ...refused(injected.code, injected.text), kind, entities };
  }
  const login = child(root, "Login");
  const locked = ctx.lockout.isLocked(caller);
  if (f.wrongCredentials || locked || !loginAccepted(login, ctx)) {
    ctx.counters.loginFailures += 1;
    // Only a login that was tried counts towards a lockout (not a request without <Login>).
    if (login !== undefined && !locked) ctx.lockout.recordFailure(caller);
    const body = responseDocument(apiVersion, [loginBlock(false)]);
    return { body, kind, entities, changed: false, outcome: "auth-failure" };
  }
  ctx.lockout.recordSuccess(caller);
  const blocks = [loginBlock(true)];
  const entityFault = injected?.scope === "auto" && isWrite ? injected : undefined;
  if (entityFault !== undefined) faults.consumeStatus();
  let changed = false;
  for (const op of ops) {
    ctx.counters.operations[op.tag as "Get" | "Set" | "Remove"] += 1;
    for (const el of op.children) {
      if (op.tag === "Get") blocks.push(get(ctx, el));
      else {
        const statuses = write(ctx, op, el, entityFault);
        ctx.counters.entityWrites += statuses.length;
        const applied = statuses.filter((s) => s.code === StatusCode.ok).length;
        ctx.counters.entityWritesApplied += applied;
        if (applied > 0) changed = true;
        blocks.push(entityStatuses(el.tag, statuses, transactionIdOf(ctx, el)));
      }
    }
  }
  const outcome = entityFault ? `injected-${entityFault.code}` : "ok";
  const user = child(child(root, "Login")!, "Username")?.text ?? "";
  return { body: responseDocument(apiVersion, blocks), kind, entities, changed, outcome, user };
}

function writeCount(op: XmlElement): number {
  if (op.tag === "Set") return op.children.length;
  return op.children.reduce((n, el) => n + Math.max(childrenNamed(el, "Name").length, 1), 0);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function loginAccepted(login: XmlElement | undefined, ctx: DispatchContext): boolean {
  if (login === undefined) return false;
  const password = child(login, "Password");
  // The encrypted password form is not emulated: such a login fails.
  if (password === undefined || password.attrs.passwordform === "encrypt") return false;
  const username = child(login, "Username")?.text ?? "";
  let accepted = false;
  // Every user is compared (no early exit), so the time taken does not tell which one matched.
  for (const user of [{ username: ctx.username, password: ctx.password }, ...ctx.extraUsers]) {
    const userOk = timingSafeEqual(digest(username), digest(user.username));
    const passwordOk = timingSafeEqual(digest(password.text), digest(user.password));
    if (userOk && passwordOk) accepted = true;
  }
  return accepted;
}

/** The request entity's transactionid, when the firewall is taken to echo it (reference §10.6). */
function transactionIdOf(ctx: DispatchContext, el: XmlElement): string {
  return ctx.behaviour.echoTransactionId ? (el.attrs.transactionid ?? "") : "";
}

function get(ctx: DispatchContext, el: XmlElement): string {
  const snapshot = ctx.store.snapshot();
  const tid = transactionIdOf(ctx, el);
  let items: string[];
  if (el.tag === "IPHost") {
    const result = filterHosts(el, snapshot.hosts);
    if (!result.ok) return codelessStatus(el.tag, StatusText.transactionFail, tid);
    items = result.items.map((h) => hostXml(h, tid));
  } else if (el.tag === "IPHostGroup") {
    const result = filterGroups(el, snapshot.groups);
    if (!result.ok) return codelessStatus(el.tag, StatusText.transactionFail, tid);
    items = result.items.map((g) => groupXml(g, tid));
  } else if (KNOWN_UNMODELLED_TYPES.includes(el.tag) && ctx.behaviour.unmodelledGet === "no-records") {
    // A firewall has these types; with none of them it answers "no records", not a failure.
    return codelessStatus(el.tag, ctx.behaviour.noRecordsText, tid);
  } else {
    return codelessStatus(el.tag, StatusText.transactionFail, tid);
  }
  ctx.counters.entityReads += items.length;
  if (items.length === 0) return codelessStatus(el.tag, ctx.behaviour.noRecordsText, tid);
  return items.join("\n");
}

function setOperation(op: XmlElement): SetOperation | undefined {
  const attr = op.attrs.operation;
  if (attr === undefined) return "upsert";
  return attr === "add" || attr === "update" ? attr : undefined;
}

function write(
  ctx: DispatchContext,
  op: XmlElement,
  el: XmlElement,
  fault: StatusFault | undefined,
): EntityStatus[] {
  const names = childrenNamed(el, "Name").map((n) => n.text);
  if (fault !== undefined) {
    const count = op.tag === "Remove" ? Math.max(names.length, 1) : 1;
    return Array.from({ length: count }, () => ({ code: fault.code, text: fault.text }));
  }
  const { store, behaviour } = ctx;
  if (op.tag === "Set") {
    const operation = setOperation(op);
    // Assumption: an unknown operation value or an entity type not modelled here is refused with 500.
    if (operation === undefined) return [status(StatusCode.couldNotPerform)];
    if (el.tag === "IPHost") return [setIpHost(store, el, operation, behaviour)];
    if (el.tag === "IPHostGroup") return [setIpHostGroup(store, el, operation, behaviour)];
    return [status(StatusCode.couldNotPerform)];
  }
  if (names.length === 0) return [status(StatusCode.validationFailed)];
  if (el.tag === "IPHost") return names.map((n) => removeIpHost(store, n, behaviour));
  if (el.tag === "IPHostGroup") return names.map((n) => removeIpHostGroup(store, el, n, behaviour));
  return names.map(() => status(StatusCode.couldNotPerform));
}

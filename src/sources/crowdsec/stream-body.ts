/**
 * Reads the LAPI's stream answer, `{"new":[…]|null,"deleted":[…]|null}`, strictly: an empty
 * body, text that is not JSON, or a shape that is not this one is refused as a whole (the
 * caller then releases nothing). A single decision with missing fields is skipped and counted,
 * never guessed at.
 */

export interface LapiDecision {
  id: number;
  origin: string;
  scenario: string;
  /** `Ip`, `Range`, or another scope we do not enforce. */
  scope: string;
  /** `ban`, `captcha`, … */
  type: string;
  value: string;
  /** Go duration text: the time left (negative on a deleted decision). */
  duration: string;
}

export interface StreamAnswer {
  new: LapiDecision[];
  deleted: LapiDecision[];
  /** Entries without the fields we need: left out. */
  malformed: number;
}

function isDecision(value: unknown): value is LapiDecision {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Record<string, unknown>;
  return (
    typeof d.id === "number" &&
    typeof d.value === "string" &&
    typeof d.scope === "string" &&
    typeof d.type === "string" &&
    typeof d.duration === "string" &&
    (d.origin === undefined || typeof d.origin === "string") &&
    (d.scenario === undefined || typeof d.scenario === "string")
  );
}

export function parseStreamBody(body: string): StreamAnswer | { problem: string } {
  if (body.trim() === "") return { problem: "the answer is empty" };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { problem: "the answer is not JSON" };
  }
  if (
    typeof json !== "object" ||
    json === null ||
    Array.isArray(json) ||
    !("new" in json) ||
    !("deleted" in json)
  ) {
    return { problem: 'the answer is not {"new": …, "deleted": …}' };
  }
  const raw = json as { new: unknown; deleted: unknown };
  const lists: LapiDecision[][] = [];
  let malformed = 0;
  for (const field of [raw.new, raw.deleted]) {
    if (field !== null && !Array.isArray(field)) return { problem: 'its "new" or "deleted" is not a list' };
    const list: LapiDecision[] = [];
    for (const item of field ?? []) {
      if (isDecision(item)) {
        // In place: a full pull carries up to 100,000 of them.
        item.origin ??= "";
        item.scenario ??= "";
        list.push(item);
      } else malformed++;
    }
    lists.push(list);
  }
  return { new: lists[0]!, deleted: lists[1]!, malformed };
}

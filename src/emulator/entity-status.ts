/** The per-entity `<Status code="…">text</Status>` the firewall answers for each write. */
import { StatusCode, StatusText } from "../protocol/index.ts";

export interface EntityStatus {
  code: number;
  text: string;
}

const TEXT_BY_CODE = new Map<number, string>([
  [StatusCode.ok, StatusText.applied],
  [StatusCode.couldNotPerform, StatusText.couldNotPerform],
  [StatusCode.validationFailed, StatusText.validationFailed],
  [StatusCode.sameNameExists, StatusText.sameNameExists],
  [StatusCode.sameDetailsExist, StatusText.sameDetailsExist],
  [StatusCode.referencedByOther, StatusText.referencedByOther],
  // One measured removal of a referenced object answered 504 with the same meaning (issue 15).
  [504, StatusText.referencedByOther],
  [StatusCode.defaultNotEditable, StatusText.defaultNotEditable],
  [StatusCode.requestInvalid, StatusText.requestInvalid],
  [StatusCode.apiDisabled, StatusText.apiDisabled],
  [StatusCode.callerNotAllowed, StatusText.callerNotAllowed],
]);

/** The firewall's text for `code`; unknown codes get the generic 500 text. */
export function textForCode(code: number): string {
  return TEXT_BY_CODE.get(code) ?? StatusText.couldNotPerform;
}

export function status(code: number): EntityStatus {
  return { code, text: textForCode(code) };
}

export const APPLIED: EntityStatus = status(StatusCode.ok);

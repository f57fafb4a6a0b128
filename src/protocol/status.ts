/**
 * Status codes and texts the real firewall answers with, as collected in
 * shared/reference/sophos-xml-api.md §3.1. The emulator sends them; the client recognises them.
 */

export const StatusText = {
  applied: "Configuration applied successfully.",
  renamed: "Configuration applied successfully.",
  couldNotPerform: "Operation could not be performed on Entity.",
  validationFailed: "Configuration parameters validation failed.",
  sameNameExists: "Operation failed. Entity having same name already exists.",
  sameDetailsExist: "Operation failed. Entity having same parameter details already exists.",
  referencedByOther: "Operation failed. Deleting entity referred by another entity.",
  defaultNotEditable: "Trying to update default entities which are not editable.",
  requestInvalid: "Input request file is Invalid",
  apiDisabled: "API access is disabled. Enable API configuration on the firewall.",
  callerNotAllowed: "API operations are not allowed from the requester IP address",
  noRecords: "No. of records Zero.",
  noRecordsOld: "Number of records Zero.",
  transactionFail: "Transaction fail",
  authSuccess: "Authentication Successful",
  authFailure: "Authentication Failure",
} as const;

export const StatusCode = {
  ok: 200,
  renamed: 202,
  couldNotPerform: 500,
  validationFailed: 501,
  sameNameExists: 502,
  sameDetailsExist: 503,
  referencedByOther: 510,
  defaultNotEditable: 528,
  requestInvalid: 529,
  apiDisabled: 532,
  callerNotAllowed: 534,
} as const;

/** The code-less texts a Get answers with when nothing matches (the wording changed across firmware). */
export function isNoRecordsText(text: string): boolean {
  return /^(No\.|Number) of records Zero\.?$/.test(text.trim());
}

export {
  CROWDSEC_SOURCE,
  desiredHolds,
  type HeldDecision,
  holdKey,
  isLocalOrigin,
  judge,
} from "./decisions.ts";
export { applyToHeld, crowdsecHolds, diffHolds } from "./diff.ts";
export { CrowdsecError } from "./errors.ts";
export { formatDuration, parseGoDuration } from "./go-duration.ts";
export { LapiClient } from "./lapi-client.ts";
export { CrowdsecSource, type CrowdsecSourceOptions, type PollReport } from "./source.ts";
export { type CrowdsecStatus, readCrowdsecStatus } from "./status-file.ts";
export { type LapiDecision, parseStreamBody, type StreamAnswer } from "./stream-body.ts";

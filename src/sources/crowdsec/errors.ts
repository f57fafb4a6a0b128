import { F2bError } from "../../errors/base.ts";

/** The Local API could not be asked, refused us, or answered something we cannot trust. */
export class CrowdsecError extends F2bError {
  override name = "CrowdsecError";
  /** The HTTP status when the LAPI answered; undefined for network errors and timeouts. */
  readonly status: number | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown; status?: number } = {}) {
    super(message, options);
    this.status = options.status;
  }
}

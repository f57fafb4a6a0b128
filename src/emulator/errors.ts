import { F2bError } from "../errors/base.ts";

/** The emulator could not start or could not load/save its state. */
export class EmulatorError extends F2bError {
  override name = "EmulatorError";
}

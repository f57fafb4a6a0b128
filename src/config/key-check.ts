import type { ConfigFileData } from "./schema.ts";

/** The keys' values once checked, and one line per problem found. */
export interface KeyCheck {
  values: ConfigFileData;
  problems: string[];
}

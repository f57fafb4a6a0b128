export * from "./agent-alive.ts";
export * from "./ban-state.ts";
export * from "./errors.ts";
export * from "./firewall-journal.ts";
export * from "./journal.ts";
export * from "./lock.ts";
export * from "./records.ts";
export * from "./status-file.ts";

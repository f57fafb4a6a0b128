export * from "./ban.ts";
export * from "./deliver-now.ts";
export * from "./flush.ts";
export * from "./outcome.ts";
export * from "./session.ts";
export * from "./start-check.ts";

export * from "./model.ts";
export * from "./names.ts";
export * from "./status.ts";
export * from "./xml-parse.ts";
export * from "./xml-text.ts";

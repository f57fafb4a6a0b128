export * from "./deadline.ts";
export * from "./deliver.ts";
export * from "./groups.ts";
export * from "./push.ts";
export * from "./reconcile.ts";

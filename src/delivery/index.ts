export * from "./deadline.ts";
export * from "./deliver.ts";

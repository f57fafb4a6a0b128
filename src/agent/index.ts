export * from "./agent.ts";
export * from "./alive.ts";
export * from "./backoff.ts";

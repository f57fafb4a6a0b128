export * from "./agent.ts";
export * from "./backoff.ts";

// omnimeter/guest: the AssemblyScript guest SDK, for guests outside this
// repository: `import { Counter, flush } from "omnimeter/guest";`. asc
// resolves that import to this file in node_modules/omnimeter/. The SDK
// itself is wasm/sdk/metrics.ts (docs/wasm.md).
export * from "../wasm/sdk/metrics";

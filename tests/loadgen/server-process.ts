/** The trivial test server in its own process (so the load generator under test has the CPU to itself). */
import { startTestServer } from "./server";

void startTestServer().then((s) => process.send?.(s.address));
process.on("disconnect", () => process.exit(0));

import { setup } from "rivetkit";
import { sandboxActor } from "./actor.js";

// The registry serving the actor: `npx tsx examples/rivet-actor/registry.ts` starts it (and,
// in development, RivetKit's local engine). A client then drives one actor per sandbox:
//
//   import { createClient } from "rivetkit/client";
//   const client = createClient<typeof registry>();
//   const sandbox = client.sandboxActor.getOrCreate(["sbx_123"], {
//     createWithInput: { sandboxId: "sbx_123", baseUrl: "http://127.0.0.1:2468" },
//   });
//   await sandbox.prompt("List the files in the repository");

export const registry = setup({ use: { sandboxActor } });

if (import.meta.url === `file://${process.argv[1]}`) registry.start();

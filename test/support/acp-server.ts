// The ACP-standard server the remote-transport suites run against: the official SDK's
// AcpServer serving the scripted agent on a loopback port. It lives in harness/ (no vitest
// there) so the demo and the bench start the same server; see harness/acp-server.ts.
export { startAcpServer, type AcpServerHandle, type StartAcpServerOptions } from "../../harness/acp-server.js";

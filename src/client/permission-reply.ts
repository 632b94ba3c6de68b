/** How the user answers a permission request: allow this once, allow always, or reject. */
export type PermissionReply = "once" | "always" | "reject";

// The page a client runs in going away for good (a browser tab closed or navigated away), as
// `pagehide` says it: a lease holder there gives its leases up rather than leave them to
// expire. A page entering the back/forward cache (`persisted`) may come back still holding
// them, so it keeps them. Outside a browser page there is no such event.

interface PageEvents {
  addEventListener(type: "pagehide", listener: (event: { persisted?: boolean }) => void): void;
  removeEventListener(type: "pagehide", listener: (event: { persisted?: boolean }) => void): void;
}

function page(): PageEvents | undefined {
  const scope = globalThis as { document?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  const isPage = scope.document !== undefined && typeof scope.addEventListener === "function" && typeof scope.removeEventListener === "function";
  return isPage ? (scope as unknown as PageEvents) : undefined;
}

/** Call `gone` when the page is hidden for good; returns a function that stops watching. A no-op outside a browser page. */
export function onPageGone(gone: () => void): () => void {
  const target = page();
  if (target === undefined) return () => undefined;
  const listener = (event: { persisted?: boolean }): void => {
    if (event.persisted !== true) gone();
  };
  target.addEventListener("pagehide", listener);
  return () => target.removeEventListener("pagehide", listener);
}

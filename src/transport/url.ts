// URLs as the client shows them: never with the credentials a user may have put in them.

/** `text` with the user-info of every URL in it (`//user:secret@`) replaced by `//***@`. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/)[^/@\s"']*@/g, "$1***@");
}

/** Credentials taken out of a URL. */
export interface UrlCredentials {
  /** The URL without user-info. */
  url: URL;
  /** `user:password` decoded, when the URL had user-info. */
  userInfo?: { username: string; password: string };
}

/** Take the user-info out of `url` (a copy is returned; `url` is unchanged). */
export function takeCredentials(url: URL): UrlCredentials {
  if (url.username === "" && url.password === "") return { url };
  const clean = new URL(url.toString());
  const userInfo = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  clean.username = "";
  clean.password = "";
  return { url: clean, userInfo };
}

/** The `Authorization: Basic` value for `userInfo`. */
export function basicAuthorization(userInfo: { username: string; password: string }): string {
  const bytes = new TextEncoder().encode(`${userInfo.username}:${userInfo.password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

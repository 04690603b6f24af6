// Remote URLs go into the manifest, so credentials must come out of them first. People paste
// tokens into clone URLs (https://user:ghp_xxx@github.com/…, https://oauth2:TOKEN@gitlab…,
// https://TOKEN@host/…), and git stores them verbatim in remote.<name>.url.
//
// Rule: for http, https, ftp and ftps the whole user-info part and the query string are
// dropped (over HTTP a user name alone is often the token). For ssh://, git:// and other
// URL schemes only a password is dropped (ssh://git@host is the account, not a secret).
// scp-like "user@host:path" has no password syntax and is kept as is.

const WEB = new Set(['http', 'https', 'ftp', 'ftps']);

export function stripCredentials(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(url);
  if (!m) return url; // scp-like or a local path
  const scheme = m[1]!;
  const authority = m[2]!;
  let rest = m[3]!;
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  const hostport = at === -1 ? authority : authority.slice(at + 1);
  let keep = '';
  if (userinfo !== undefined && !WEB.has(scheme.toLowerCase())) {
    const colon = userinfo.indexOf(':');
    keep = `${colon === -1 ? userinfo : userinfo.slice(0, colon)}@`;
  }
  if (WEB.has(scheme.toLowerCase())) rest = rest.replace(/[?#].*$/, '');
  return `${scheme}://${keep}${hostport}${rest}`;
}

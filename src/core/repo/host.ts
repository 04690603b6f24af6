// The host name a manifest is filed under (hosts/NAME/ in the manifest repository). It becomes a
// folder name and a git path, so it is one RFC 1123-like label: a letter or digit first, then
// letters, digits, '.', '_' or '-', at most 63 characters in all — the same pattern the schema
// gives host.hostname. No '/', no leading '.', never '' (which would file it under hosts/).
import { UserError } from '../errors.ts';

export const HOSTNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Throws a USAGE error naming `where` (e.g. "--host") unless `name` is a valid host folder name. */
export function checkHostName(name: string, where: string): string {
  if (HOSTNAME_PATTERN.test(name)) return name;
  const shown = name.length > 70 ? `${JSON.stringify(name.slice(0, 60))}… (${name.length} characters)` : JSON.stringify(name);
  const why =
    name === ''
      ? 'is empty'
      : name.length > 63
        ? `is ${name.length} characters long; at most 63 are allowed`
        : 'may only hold letters, digits, ".", "_" and "-", and must start with a letter or digit';
  throw new UserError('USAGE', `${where} ${shown}: a host name ${why}`, { hint: 'pass --host NAME with a name such as "laptop" or "web-01"' });
}

// Files under /etc that hold secrets and therefore never enter the /etc repository in clear.
// The manifest lists each one that exists as "restore from elsewhere" (path + why, never the
// content) so that a rebuild can ask for it. Users extend the list with repos.etc.exclude.
import { compileGlob, type CompiledGlob } from './glob.ts';

export interface SecretRule {
  readonly glob: string;
  readonly why: string;
}

/** Patterns are relative to /etc (see glob.ts for the syntax). */
export const DEFAULT_SECRET_RULES: readonly SecretRule[] = [
  { glob: 'shadow', why: 'password hashes (shadow(5))' },
  { glob: 'shadow-', why: 'password hashes (backup of shadow(5))' },
  { glob: 'gshadow', why: 'group password hashes (gshadow(5))' },
  { glob: 'gshadow-', why: 'group password hashes (backup of gshadow(5))' },
  { glob: 'security/opasswd', why: 'old password hashes (pam_pwhistory)' },
  { glob: 'ssh/ssh_host_*_key', why: 'SSH host private key (sshd(8)); the .pub is kept' },
  { glob: '*.key', why: 'private key file' },
  { glob: 'ssl/private/', why: 'TLS private keys' },
  { glob: 'letsencrypt/keys/', why: 'ACME certificate private keys' },
  { glob: 'letsencrypt/archive/', why: 'ACME certificate private keys' },
  { glob: 'letsencrypt/accounts/', why: 'ACME account private keys' },
  { glob: 'wireguard/', why: 'WireGuard private keys (PrivateKey= in wg-quick(8) configs)' },
  { glob: 'NetworkManager/system-connections/', why: 'network passwords and PSKs (NetworkManager keyfiles)' },
  { glob: 'wpa_supplicant/*.conf', why: 'Wi-Fi passphrases (wpa_supplicant.conf(5))' },
  { glob: 'krb5.keytab', why: 'Kerberos service keys' },
  { glob: 'ppp/chap-secrets', why: 'PPP CHAP passwords' },
  { glob: 'ppp/pap-secrets', why: 'PPP PAP passwords' },
  { glob: 'ipsec.secrets', why: 'IPsec pre-shared keys and private keys' },
  { glob: 'ipsec.d/private/', why: 'IPsec private keys' },
  { glob: 'swanctl/private/', why: 'strongSwan private keys' },
  { glob: 'openvpn/**/*.pem', why: 'OpenVPN keys and certificates (may hold a private key)' },
  { glob: 'openvpn/**/ta.key', why: 'OpenVPN TLS-auth key' },
  { glob: 'mysql/debian.cnf', why: 'MySQL maintenance account password' },
  { glob: 'postfix/sasl_passwd', why: 'SMTP relay passwords' },
  { glob: 'postfix/sasl_passwd.db', why: 'SMTP relay passwords' },
  { glob: 'ldap.secret', why: 'LDAP bind password' },
  { glob: 'libnss-ldap.secret', why: 'LDAP bind password' },
  { glob: 'pam_ldap.secret', why: 'LDAP bind password' },
  { glob: 'rsyncd.secrets', why: 'rsync daemon passwords' },
  { glob: 'davfs2/secrets', why: 'WebDAV passwords' },
  { glob: 'ddclient.conf', why: 'dynamic DNS password' },
  { glob: 'libvirt/secrets/', why: 'libvirt secret values' },
  { glob: 'docker/key.json', why: 'Docker daemon private key' },
  { glob: 'cups/ssl/', why: 'CUPS TLS private keys' },
];

export interface CompiledRule extends CompiledGlob {
  readonly why: string;
}

/** Default rules, then the user's globs (repos.etc.exclude), in that order: the first match names the reason. */
export function secretRules(userExclude: readonly string[] = []): CompiledRule[] {
  const rules = [
    ...DEFAULT_SECRET_RULES,
    ...userExclude.map((glob) => ({ glob, why: `excluded by repos.etc.exclude (${glob})` })),
  ];
  return rules.map((r) => ({ ...compileGlob(r.glob, { stripPrefix: '/etc' }), why: r.why }));
}

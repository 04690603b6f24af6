// Secrets, kept apart and encrypted (issue 12, item 7). Capture: capture.ts writes the
// age-encrypted archive (capture --secrets-out). Rebuild: plan.ts plans the restore (or, without
// an archive, the report and the account locks); restore.ts is what the restore step runs.
export { checkSecretsOut, RECIPIENTS_FILE, resolveRecipients, writeSecretsArchive, type SecretsOut, type SecretsWritten } from './capture.ts';
export { HASH_FILES, secretPaths } from './gather.ts';
export { planSecretsMissing, planSecretsRestore, type SecretsMissingReport, type SecretsPlanOptions } from './plan.ts';
export { restoreSecrets, type RestoreOptions, type RestoreReport } from './restore.ts';
